import { startTestServer, type TestServer } from '../helpers/server';
import { seededCopy, type OwnDatabase } from '../helpers/fixtures';
import { operation } from '../helpers/operations';
import { todayCst } from '../../src/clock';
import { demoPerson } from '../../src/seed/demoPeople';

const HEALTH = { authorization: 'Bearer demo-health' };
const today = todayCst();
const county = '130104'; // 桥西区, 石家庄
const SUMMARY = `query($code: ID!) { region(code: $code) { code caseSummary(days: 1) { newConfirmed } risk { level } } }`;

// Two instances over one database that ingestion here writes to: a copy of the seed of this suite's own.
let db: OwnDatabase;
let a: TestServer;
let b: TestServer;
beforeAll(async () => {
  db = await seededCopy('response_cache');
  a = await startTestServer({ databaseUrl: db.url });
  b = await startTestServer({ databaseUrl: db.url });
});
afterAll(async () => {
  await a?.close();
  await b?.close();
  await db?.drop();
});

async function post(server: TestServer, query: string, variables: object, headers: Record<string, string> = {}, operationName?: string) {
  const res = await fetch(`${server.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query, variables, operationName }),
  });
  return { cache: res.headers.get('x-changxing-cache'), body: (await res.json()) as any };
}

/** A gauge of the server's /metrics. */
async function gauge(server: TestServer, name: string): Promise<number> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  if (!line) throw new Error(`no ${name} in /metrics`);
  return Number(line.split(' ')[1]);
}

describe('response cache of aggregate queries', () => {
  it('answers a repeated national map from memory with the same data, after one version read', async () => {
    const first = await post(a, operation('NationalRiskMap'), {});
    const second = await post(a, operation('NationalRiskMap'), {});
    expect(first.cache).toBeNull();
    expect(second.cache).toBe('hit');
    expect(second.body.data).toEqual(first.body.data);
    expect(second.body.extensions.sql).toMatchObject({ statements: 1, bySource: { cases: 1 } });
  });

  it('writes a hit from the stored JSON text, byte for byte the text of the miss (production: no extensions)', async () => {
    const prod = await startTestServer({ env: { NODE_ENV: 'production', PASS_SIGNING_KEY: 'unused', ID_HASH_SECRET: 'unused-but-long-enough-0123456789abcdef' } });
    try {
      const send = () =>
        fetch(`${prod.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: operation('NationalRiskMap') }) }).then(
          async (r) => ({ cache: r.headers.get('x-changxing-cache'), text: await r.text() }),
        );
      const miss = await send();
      // A hit must not serialise the national map again: no large JSON.stringify while hits are served.
      const stringify = jest.spyOn(JSON, 'stringify');
      const hits = [await send(), await send()];
      const large = stringify.mock.results.filter((r) => typeof r.value === 'string' && r.value.length > 100_000);
      stringify.mockRestore();
      expect(large).toHaveLength(0);
      expect(miss.cache).toBeNull();
      expect(JSON.parse(miss.text).data.counties.nodes.length).toBeGreaterThan(2000);
      for (const hit of hits) {
        expect(hit.cache).toBe('hit');
        expect(hit.text).toBe(miss.text);
      }
    } finally {
      await prod.close();
    }
  });

  it('is invalidated by ingestion, on every instance at once', async () => {
    await post(a, SUMMARY, { code: county });
    await post(b, SUMMARY, { code: county });
    expect((await post(b, SUMMARY, { code: county })).cache).toBe('hit');
    const reported = await a.gql(operation('ReportDailyCases'), { input: [{ regionCode: county, date: today, newConfirmed: 3 }] }, HEALTH);
    expect(reported.body.data.reportDailyCases.accepted).toBe(1);
    for (const server of [a, b]) {
      const after = await post(server, SUMMARY, { code: county });
      expect(after.cache).toBeNull();
      expect(after.body.data.region.caseSummary.newConfirmed).toBe(3);
    }
    const cluster = await b.gql(operation('ReportCluster'), { input: { regionCode: county, detectedOn: today, size: 2 } }, HEALTH);
    expect(cluster.body.data.reportCluster.userErrors).toEqual([]);
    expect((await post(a, SUMMARY, { code: county })).cache).toBeNull();
  });

  it('keeps roles apart and never stores an answer with errors', async () => {
    const q = `{ region(code: "420106") { code inflows { trips } } }`;
    const publicFirst = await post(a, q, {});
    const publicAgain = await post(a, q, {});
    expect(publicAgain.cache).toBeNull();
    expect(publicAgain.body.errors[0].extensions.code).toBe('FORBIDDEN');
    expect(publicFirst.body.errors[0].extensions.code).toBe('FORBIDDEN');
    await post(a, q, {}, { authorization: 'Bearer demo-gov' });
    const govAgain = await post(a, q, {}, { authorization: 'Bearer demo-gov' });
    expect(govAgain.cache).toBe('hit');
    expect(govAgain.body.data.region.inflows.length).toBeGreaterThan(0);
  });

  it('keys answers by operation name: B of a two-operation document is not answered with A', async () => {
    const doc = 'query A { region(code: "420106") { name } } query B { region(code: "110101") { name } }';
    const a1 = await post(a, doc, {}, {}, 'A');
    const b1 = await post(a, doc, {}, {}, 'B');
    expect([a1.body.data.region.name, b1.cache, b1.body.data.region.name]).toEqual(['武昌区', null, '东城区']);
    const [a2, b2] = [await post(a, doc, {}, {}, 'A'), await post(a, doc, {}, {}, 'B')];
    expect([a2.cache, a2.body.data.region.name, b2.cache, b2.body.data.region.name]).toEqual(['hit', '武昌区', 'hit', '东城区']);
  });

  it('never caches operations on personal data: every self-check is read and audited', async () => {
    const li = demoPerson('liCheng');
    const count = async () =>
      (await a.pools.access.query(`SELECT count(*)::int AS n FROM access.audit_log WHERE operation = 'closeContactCheck'`)).rows[0].n as number;
    const before = await count();
    for (let i = 0; i < 2; i++) {
      const r = await post(a, operation('CloseContactCheck'), { name: li.name, idNumber: li.idNumber });
      expect(r.cache).toBeNull();
    }
    expect(await count()).toBe(before + 2);
  });
});

describe('memory of the response cache', () => {
  // 64 KiB of answer text (2 bytes a character); an answer over 4 KiB is not kept
  let small: TestServer;
  beforeAll(async () => {
    small = await startTestServer({ env: { RESPONSE_CACHE_MAX_BYTES: '64kb' } });
  });
  afterAll(async () => {
    await small.close();
  });
  const COUNTIES = 'query($n: Int!) { regions(level: COUNTY, first: $n) { nodes { code } } }';

  it('does not keep an answer over a sixteenth of RESPONSE_CACHE_MAX_BYTES, and keeps a small one', async () => {
    // 300 counties ≈ 5,000 characters ≈ 10 KiB
    for (const n of [300, 10]) await post(small, COUNTIES, { n });
    expect((await post(small, COUNTIES, { n: 300 })).cache).toBeNull();
    expect((await post(small, COUNTIES, { n: 10 })).cache).toBe('hit');
  });

  it('holds at most RESPONSE_CACHE_MAX_BYTES, dropping the least recently used answers', async () => {
    // 40 answers of 1,000–1,700 characters (2–3.4 KiB each, ≈ 110 KiB together)
    const sizes = Array.from({ length: 40 }, (_, i) => 60 + i);
    for (const n of sizes) expect((await post(small, COUNTIES, { n })).cache).toBeNull();
    const bytes = await gauge(small, 'changxing_response_cache_bytes');
    const entries = await gauge(small, 'changxing_response_cache_entries');
    expect(bytes).toBeLessThanOrEqual(64 * 1024);
    expect(bytes).toBeGreaterThan(48 * 1024);
    expect(entries).toBeLessThan(40);
    expect((await post(small, COUNTIES, { n: sizes[39] })).cache).toBe('hit');
    expect((await post(small, COUNTIES, { n: sizes[0] })).cache).toBeNull();
  });
});
