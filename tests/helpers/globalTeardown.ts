import { redisSkipNote } from './redis';

/** Drops the run's databases and stops the embedded PostgreSQL, if one was started; repeats what was skipped. */
export default async function globalTeardown(): Promise<void> {
  const note = redisSkipNote();
  if (note) process.stderr.write(`\n${note}`);
  const state = globalThis.__changxingTest;
  if (!state) return;
  for (const url of state.urls) await state.cluster.dropDatabase(url).catch(() => undefined);
  await state.cluster.stop();
}
