import { startTestServer, type TestServer } from '../helpers/server';
import { operation } from '../helpers/operations';
import { persistedGetPath, wire } from '../helpers/wire';
import { sha256 } from '../../src/documents/manifest';
import { compressions } from '../../src/http/compression';
import { todayCst } from '../../src/clock';

const HEALTH = { authorization: 'Bearer demo-health' };
const county = '130105'; // 新华区, 石家庄: not touched by other suites' ingestion
const MAP = operation('NationalRiskMap');
const json = { 'content-type': 'application/json' };
const PRODUCTION = { NODE_ENV: 'production', PASS_SIGNING_KEY: 'unused', ID_HASH_SECRET: 'unused-but-long-enough-0123456789abcdef' };

let dev: TestServer;
let prod: TestServer;
beforeAll(async () => {
  dev = await startTestServer();
  // production: a hit's body is the cached answer itself (no diagnostics in `extensions`)
  prod = await startTestServer({ env: PRODUCTION });
});
afterAll(async () => {
  await dev.close();
  await prod.close();
});

const postMap = (server: TestServer, headers: Record<string, string> = {}) =>
  wire(`${server.url}/graphql`, { method: 'POST', headers: { ...json, ...headers }, body: JSON.stringify({ query: MAP }) });
/** The national map by its hash alone, over GET (CSRF prevention wants a preflighted header). */
const getMap = (server: TestServer, headers: Record<string, string> = {}) =>
  wire(`${server.url}${persistedGetPath(sha256(MAP))}`, { headers: { 'apollo-require-preflight': 'true', ...headers } });

describe('compression of GraphQL answers', () => {
  it('sends the national map in the coding the client prefers, and as it is to a client that asks for none', async () => {
    const plain = await postMap(dev);
    const br = await postMap(dev, { 'accept-encoding': 'gzip, deflate, br' });
    const gzip = await postMap(dev, { 'accept-encoding': 'br;q=0, gzip' });
    const refused = await postMap(dev, { 'accept-encoding': 'identity, br;q=0, gzip;q=0' });
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(br.headers['content-encoding']).toBe('br');
    expect(gzip.headers['content-encoding']).toBe('gzip');
    expect(refused.headers['content-encoding']).toBeUndefined();
    for (const answer of [plain, br, gzip, refused]) expect(answer.headers.vary).toMatch(/Accept-Encoding/i);
    expect(JSON.parse(br.text).data).toEqual(JSON.parse(plain.text).data);
    expect(JSON.parse(gzip.text).data).toEqual(JSON.parse(plain.text).data);
    expect(br.bytes.length).toBeLessThan(plain.bytes.length / 10);
  });

  it('leaves small answers uncompressed', async () => {
    const small = await wire(`${dev.url}/graphql`, { method: 'POST', headers: { ...json, 'accept-encoding': 'br' }, body: JSON.stringify({ query: '{ apiInfo { version } }' }) });
    expect(small.status).toBe(200);
    expect(small.headers['content-encoding']).toBeUndefined();
  });

  it('serves cached answers from bytes compressed once per entry and coding, not once per hit', async () => {
    const identity = await postMap(prod);
    await postMap(prod, { 'accept-encoding': 'br' }); // a hit: the entry's brotli starts, this one is compressed as sent
    await postMap(prod, { 'accept-encoding': 'gzip' });
    await prod.app.responseCache().settled();
    const before = ['br', 'gzip'].flatMap((e) => [compressions.of(e as 'br', 'online'), compressions.of(e as 'br', 'stored')]);
    const hits = [];
    for (let i = 0; i < 5; i++) hits.push(await postMap(prod, { 'accept-encoding': i % 2 ? 'gzip' : 'br' }));
    const after = ['br', 'gzip'].flatMap((e) => [compressions.of(e as 'br', 'online'), compressions.of(e as 'br', 'stored')]);
    expect(after).toEqual(before);
    for (const hit of hits) {
      expect(hit.headers['x-changxing-cache']).toBe('hit');
      expect(hit.text).toBe(identity.text);
      expect(Number(hit.headers['content-length'])).toBe(hit.bytes.length);
    }
    // brotli at quality 11: the target is ≤ 60 KB for the medium seed; the small one is smaller still
    expect(hits[0].bytes.length).toBeLessThan(60_000);
  });

  it('compresses the CSV export as it streams', async () => {
    const csv = await wire(`${dev.url}/export/daily.csv`, { headers: { authorization: 'Bearer demo-gov', 'accept-encoding': 'br' } });
    expect(csv.status).toBe(200);
    expect(csv.headers['content-encoding']).toBe('br');
    expect(csv.headers.vary).toMatch(/Accept-Encoding/i);
    expect(csv.text.split('\n').length).toBeGreaterThan(100);
    expect(csv.bytes.length).toBeLessThan(Buffer.byteLength(csv.text) / 3);
  });

  it('compresses the pages\' scripts', async () => {
    const page = await wire(`${dev.url}/`, { headers: { 'accept-encoding': 'gzip' } });
    expect(page.status).toBe(200);
    const script = /src="(\/assets\/[^"]+\.js)"/.exec(page.text)![1];
    const asset = await wire(`${dev.url}${script}`, { headers: { 'accept-encoding': 'br, gzip' } });
    expect(asset.status).toBe(200);
    expect(asset.headers['content-encoding']).toMatch(/^(br|gzip)$/);
    expect(asset.bytes.length).toBeLessThan(Buffer.byteLength(asset.text) / 2);
  });
});

describe('conditional GETs and Cache-Control', () => {
  it('answers a GET of the national map with a strong tag per coding, then 304 with no body until the data changes', async () => {
    const first = await getMap(prod, { 'accept-encoding': 'br' });
    expect(first.status).toBe(200);
    const tag = first.headers.etag!;
    expect(tag).toMatch(/^"[A-Za-z0-9_-]{27}-br"$/);
    expect(first.headers['cache-control']).toBe('public, max-age=0, s-maxage=10, stale-while-revalidate=20');
    expect(first.headers.vary).toMatch(/Accept-Encoding/i);
    expect(first.headers.vary).toMatch(/Authorization/i);
    const plain = await getMap(prod);
    expect(plain.headers.etag).toBe(tag.replace(/-br"$/, '"'));

    const again = await getMap(prod, { 'accept-encoding': 'br', 'if-none-match': tag });
    expect(again.status).toBe(304);
    expect(again.bytes.length).toBe(0);
    expect(again.headers.etag).toBe(tag);
    expect(again.headers['cache-control']).toBe(first.headers['cache-control']);
    // another coding's tag does not match this coding's representation
    expect((await getMap(prod, { 'accept-encoding': 'gzip', 'if-none-match': tag })).status).toBe(200);

    const reported = await dev.gql(operation('ReportDailyCases'), { input: [{ regionCode: county, date: todayCst(), newConfirmed: 7 }] }, HEALTH);
    expect(reported.body.data.reportDailyCases.accepted).toBe(1);
    const changed = await getMap(prod, { 'accept-encoding': 'br', 'if-none-match': tag });
    expect(changed.status).toBe(200);
    expect(changed.headers.etag).not.toBe(tag);
    const row = JSON.parse(changed.text).data.counties.nodes.find((c: { code: string }) => c.code === county);
    expect(row.caseSummary.newConfirmed).toBeGreaterThanOrEqual(7);
  });

  it('never gives POST answers a tag, and answers them no-store', async () => {
    const post = await postMap(dev, { 'accept-encoding': 'br' });
    expect(post.headers.etag).toBeUndefined();
    expect(post.headers['cache-control']).toBe('no-store');
  });

  it('keeps keyed answers private and personal ones out of every cache', async () => {
    const keyed = await getMap(dev, { authorization: 'Bearer demo-gov' });
    expect(keyed.status).toBe(200);
    expect(keyed.headers['cache-control']).toBe('private, no-cache');
    const region = await wire(`${dev.url}/graphql?query=${encodeURIComponent('{ region(code: "420106") { name inflows { trips } } }')}`, { headers: { 'apollo-require-preflight': 'true' } });
    expect(region.headers['cache-control']).toBe('no-store'); // PUBLIC may not read flows: an error
    const audit = await wire(`${dev.url}/graphql?query=${encodeURIComponent('{ auditTrail(first: 1) { totalCount } }')}`, {
      headers: { 'apollo-require-preflight': 'true', ...HEALTH },
    });
    expect(audit.headers['cache-control']).toBe('no-store');
    expect(audit.headers.etag).toBeDefined(); // a tag is harmless; no cache keeps the answer
  });
});
