/** Drops the run's databases and stops the embedded PostgreSQL, if one was started. */
export default async function globalTeardown(): Promise<void> {
  const state = globalThis.__changxingTest;
  if (!state) return;
  for (const url of state.urls) await state.cluster.dropDatabase(url).catch(() => undefined);
  await state.cluster.stop();
}
