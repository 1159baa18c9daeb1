import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { AnswerStore } from '../../src/cache/answerStore';
import { compressions } from '../../src/http/compression';

/** Cached answers and their compressed bytes (src/cache/answerStore.ts). */
describe('AnswerStore', () => {
  const body = JSON.stringify({ data: { counties: Array.from({ length: 500 }, (_, i) => ({ code: String(110000 + i), level: 'LOW' })) } }) + '\n';

  it('compresses an entry once per coding however many hits ask, and counts the bytes it keeps', async () => {
    const store = new AnswerStore({ maxEntries: 10, maxBytes: 16 * 1024 * 1024 });
    const answer = store.set('k', body);
    const before = { br: compressions.of('br', 'stored'), gzip: compressions.of('gzip', 'stored') };
    // the first asks start the compression; until it is done there is nothing stored
    expect(store.variant('k', answer, 'br')).toBeUndefined();
    expect(store.variant('k', answer, 'br')).toBeUndefined();
    expect(store.variant('k', answer, 'gzip')).toBeUndefined();
    await store.settled();
    const kept = store.get('k')!;
    const br = store.variant('k', kept, 'br')!;
    const gz = store.variant('k', kept, 'gzip')!;
    for (let i = 0; i < 20; i++) store.variant('k', store.get('k')!, 'br');
    expect(compressions.of('br', 'stored') - before.br).toBe(1);
    expect(compressions.of('gzip', 'stored') - before.gzip).toBe(1);
    expect(brotliDecompressSync(br).toString()).toBe(body);
    expect(gunzipSync(gz).toString()).toBe(body);
    expect(br.length).toBeLessThan(body.length / 10);
    expect(store.calculatedSize).toBe(2 * body.length + br.length + gz.length);
    expect(kept.etag).toBe(answer.etag);
  });

  it('drops a compression whose entry was evicted meanwhile', async () => {
    const store = new AnswerStore({ maxEntries: 1, maxBytes: 16 * 1024 * 1024 });
    const answer = store.set('old', body);
    store.variant('old', answer, 'br');
    store.set('new', body);
    await store.settled();
    expect(store.get('old')).toBeUndefined();
    expect(store.size).toBe(1);
    expect(store.calculatedSize).toBe(2 * body.length);
  });
});
