import { PersistedQueryCache } from '../../src/documents/trusted';

describe('registered APQ documents in memory', () => {
  it('are bounded by bytes as well as by count; a document too large is not kept at all', async () => {
    const cache = new PersistedQueryCache(new Map(), { maxEntries: 1000, maxBytes: 64 * 1024 });
    const doc = (i: number, size: number) => `{ a${i}: __typename }`.padEnd(size, ' ');
    for (let i = 0; i < 100; i++) await cache.set(`apq:h${i}`, doc(i, 1000));
    // 100 × 2,000 bytes > 64 KiB: the oldest went, the newest stay
    expect(cache.held.bytes).toBeLessThanOrEqual(64 * 1024);
    expect(cache.held.entries).toBe(32);
    expect(await cache.get('apq:h99')).toBe(doc(99, 1000));
    expect(await cache.get('apq:h0')).toBeUndefined();
    // over a sixteenth of the bytes (4 KiB): not kept, and it does not push others out
    await cache.set('apq:big', doc(0, 3000));
    expect(await cache.get('apq:big')).toBeUndefined();
    expect(cache.held.entries).toBe(32);
  });
});
