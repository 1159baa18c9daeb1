import type { Pools } from '../../src/db/pools';
import { CaseDataVersionReads } from '../../datasources/dataVersion';
import { SqlRecorder } from '../../src/db/sql';

/**
 * The case data version read for the whole process (datasources/dataVersion.ts): requests share a
 * read, but only one sent after they arrived, so none is keyed by a version older than a commit its
 * caller saw. The pool answers when the test says so.
 */
function fakePools() {
  let version = 1;
  const pending: (() => void)[] = [];
  const sent: number[] = [];
  const cases = {
    query: (text: string) => {
      if (!text.includes('CaseDataVersion.primary')) throw new Error(`unexpected statement ${text}`);
      sent.push(version);
      const answer = String(version);
      return new Promise((resolve) => pending.push(() => resolve({ rows: [{ version: answer }] })));
    },
  };
  return {
    pools: { cases } as unknown as Pools,
    sent,
    commit: () => void version++,
    answerAll: async () => {
      for (const answer of pending.splice(0)) answer();
      await new Promise((r) => setImmediate(r));
    },
  };
}

describe('the case data version, read for the process', () => {
  it('sends one read for the requests that arrive while none is in flight after them, and records it with each', async () => {
    const db = fakePools();
    let clock = 0;
    const reads = new CaseDataVersionReads(db.pools, () => clock);
    const recorders = [new SqlRecorder(), new SqlRecorder(), new SqlRecorder()];
    clock = 1;
    const first = reads.read(0, recorders[0]);
    // arrived before the read in flight was sent (at 1): they share it
    const shared = [reads.read(0.5, recorders[1]), reads.read(0.9, recorders[2])];
    await db.answerAll();
    expect(await first).toEqual({ version: '1', replicaBehind: false });
    expect(await Promise.all(shared)).toEqual([await first, await first]);
    expect(db.sent).toEqual([1]);
    for (const r of recorders) expect(r.names).toEqual(['CaseDataVersion.primary']);
  });

  it('never gives a request a read sent before it arrived: it waits for the next one, which sees the commit', async () => {
    const db = fakePools();
    let clock = 10;
    const reads = new CaseDataVersionReads(db.pools, () => clock);
    const early = reads.read(9, new SqlRecorder());
    // a commit, then a request that saw it arrives while the earlier read is still in flight
    db.commit();
    clock = 11;
    const late = [reads.read(10.5, new SqlRecorder()), reads.read(10.6, new SqlRecorder())];
    await db.answerAll(); // the first read answers version 1 (sent before the commit); the next is sent then
    expect(await early).toEqual({ version: '1', replicaBehind: false });
    await db.answerAll();
    expect(await Promise.all(late)).toEqual([
      { version: '2', replicaBehind: false },
      { version: '2', replicaBehind: false },
    ]);
    expect(db.sent).toEqual([1, 2]);
    // a finished read sent after a request arrived serves it without another statement
    expect(await reads.read(10.9, new SqlRecorder())).toEqual({ version: '2', replicaBehind: false });
    expect(db.sent).toEqual([1, 2]);
  });

  it('lets a failed read fail its waiters only: the next request sends a new one', async () => {
    let fail = true;
    const cases = { query: () => (fail ? Promise.reject(new Error('connection refused')) : Promise.resolve({ rows: [{ version: '7' }] })) };
    const reads = new CaseDataVersionReads({ cases } as unknown as Pools, () => performance.now());
    await expect(reads.read(performance.now(), new SqlRecorder())).rejects.toThrow('connection refused');
    fail = false;
    expect(await reads.read(performance.now(), new SqlRecorder())).toEqual({ version: '7', replicaBehind: false });
  });
});
