import { startTestServer, type TestServer } from '../helpers/server';
import { operation } from '../helpers/operations';
import { todayCst } from '../../src/clock';
import { demoPerson } from '../../src/seed/demoPeople';

const HEALTH = { authorization: 'Bearer demo-health' };
const today = todayCst();
const county = '130104'; // 桥西区, 石家庄: not touched by other suites' ingestion
const SUMMARY = `query($code: ID!) { region(code: $code) { code caseSummary(days: 1) { newConfirmed } risk { level } } }`;

let a: TestServer;
let b: TestServer;
beforeAll(async () => {
  a = await startTestServer();
  b = await startTestServer();
});
afterAll(async () => {
  await a.close();
  await b.close();
});

async function post(server: TestServer, query: string, variables: object, headers: Record<string, string> = {}) {
  const res = await fetch(`${server.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query, variables }),
  });
  return { cache: res.headers.get('x-changxing-cache'), body: (await res.json()) as any };
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
