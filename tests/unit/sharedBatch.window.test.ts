import type { Pool } from 'pg';
import { SharedBatch } from '../../src/db/sharedBatch';
import { SqlRecorder } from '../../src/db/sql';

/**
 * The batch window of shared pass-check statements (PASS_CHECK_BATCH_WINDOW_MS): behind a gateway,
 * checks reach a subgraph one loop turn apart, and only a window lets them share a statement.
 */
async function batchesFor(windowMs: number): Promise<{ batches: string[][]; answers: string[][] }> {
  const batches: string[][] = [];
  const batch = new SharedBatch<string, string>(
    'test',
    {} as Pool, // the batch function below never touches it
    'access',
    async (_sql, keys) => {
      batches.push([...keys]);
      return keys.map((k) => `value of ${k}`);
    },
    undefined,
    undefined,
    windowMs,
  );
  const pending: Promise<string[]>[] = [];
  for (const keys of [['a'], ['b', 'c'], ['a', 'd']]) {
    pending.push(batch.loadAll(keys, new SqlRecorder()));
    // the next request arrives in a later turn of the event loop
    await new Promise((resolve) => setImmediate(resolve));
  }
  return { batches, answers: await Promise.all(pending) };
}

describe('shared batches across requests', () => {
  it('without a window, send one statement per loop turn', async () => {
    const { batches, answers } = await batchesFor(0);
    expect(batches).toEqual([['a'], ['b', 'c'], ['a', 'd']]);
    expect(answers).toEqual([['value of a'], ['value of b', 'value of c'], ['value of a', 'value of d']]);
  });

  it('with a window, gather requests of several loop turns into one statement, each answered with its own keys', async () => {
    const { batches, answers } = await batchesFor(50);
    expect(batches).toEqual([['a', 'b', 'c', 'a', 'd']]);
    expect(answers).toEqual([['value of a'], ['value of b', 'value of c'], ['value of a', 'value of d']]);
  });
});
