import { redisSkipNote } from './redis';
import { adminQuery } from './scratchDatabase';

/**
 * Drops the run's databases (the seeds, the templates, and whatever copies of them a suite that
 * crashed left behind: all are named after the run's tag) and stops the embedded PostgreSQL, if one
 * was started; repeats what was skipped.
 */
export default async function globalTeardown(): Promise<void> {
  const note = redisSkipNote();
  if (note) process.stderr.write(`\n${note}`);
  const state = globalThis.__changxingTest;
  if (!state) return;
  const on = state.urls[0];
  const { rows } = await adminQuery(`SELECT datname FROM pg_database WHERE starts_with(datname, '${state.runTag}_')`, on).catch(() => ({ rows: [] }));
  for (const { datname } of rows as { datname: string }[]) await adminQuery(`DROP DATABASE IF EXISTS ${datname} WITH (FORCE)`, on).catch(() => undefined);
  for (const url of state.urls) await state.cluster.dropDatabase(url).catch(() => undefined);
  await state.cluster.stop();
}
