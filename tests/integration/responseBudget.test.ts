import { startTestServer, type TestServer } from '../helpers/server';
import { DEFAULT_LIMITS } from '../../src/limits';
import { CONTRACT_USES } from '../../src/limits/contract';
import { readManifest } from '../../src/documents/manifest';
import { todayCst } from '../../src/clock';
import { addDays } from '../../src/risk/dates';

const today = todayCst();

const GOV = { authorization: 'Bearer demo-gov' };
const PARTNER = { authorization: 'Bearer demo-partner' };

// PUBLIC may take 64 KiB, PARTNER 16 KiB; GOV keeps its default (8 MiB)
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ env: { GRAPHQL_MAX_RESPONSE_BYTES: 'PUBLIC=64kb,PARTNER=16384' } });
});
afterAll(async () => {
  await server.close();
});

/** Every county's code and name: ≈ 2,900 × 40 bytes ≈ 115 KB of JSON. */
const COUNTIES = '{ regions(level: COUNTY, first: 5000) { nodes { code name } } }';

describe('the response budget', () => {
  it('refuses an answer over the role’s budget with RESPONSE_TOO_LARGE, one error, no data, HTTP 400', async () => {
    const { status, body } = await server.gql(COUNTIES);
    expect(status).toBe(400);
    expect(body.data).toBeNull();
    expect(body.errors).toHaveLength(1);
    expect(body.errors![0]).toMatchObject({
      message: expect.stringMatching(/^the answer exceeds the limit of 65536 bytes for role PUBLIC; ask for fewer items \(a smaller first, a shorter from–to range.*GET \/export\/daily\.csv \(role GOV or HEALTH\)$/),
      extensions: { code: 'RESPONSE_TOO_LARGE', limit: 'response', maxBytes: 65536 },
    });
    // counted when the list arrived, with the leaves its counties hold (code, name: read without a
    // resolver): the whole list at once, ≈ 115 KB, so it was refused before anything under it was built
    expect(body.extensions.responseBytes).toBeGreaterThan(100_000);
    expect(body.extensions.responseBytes).toBeLessThan(130_000);
  });

  it('answers the same for a role whose budget it fits, and counts it within 1 % of the JSON sent', async () => {
    const res = await fetch(`${server.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', ...GOV }, body: JSON.stringify({ query: COUNTIES }) });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { data: { regions: { nodes: unknown[] } }; extensions: { responseBytes: number } };
    expect(body.data.regions.nodes.length).toBeGreaterThan(2800);
    const sent = Buffer.byteLength(JSON.stringify(body.data));
    expect(sent).toBeGreaterThan(65536);
    expect(Math.abs(body.extensions.responseBytes - sent) / sent).toBeLessThan(0.01);
  });

  it('applies each role’s own budget, and lets answers within it through', async () => {
    const provinces = '{ regions(level: PROVINCE, first: 100) { nodes { code name } } }';
    expect((await server.gql(provinces)).status).toBe(200);
    expect((await server.gql(provinces, {}, PARTNER)).status).toBe(200);
    // 300 counties ≈ 12 KB: under PUBLIC's 64 KiB, and PARTNER's 16 KiB
    const some = '{ regions(level: COUNTY, first: 300) { nodes { code name } } }';
    expect((await server.gql(some)).status).toBe(200);
    const partner = await server.gql(some, {}, PARTNER);
    expect(partner.status).toBe(200);
    const more = '{ regions(level: COUNTY, first: 600) { nodes { code name } } }';
    const refused = await server.gql(more, {}, PARTNER);
    expect([refused.status, refused.body.errors![0].extensions!.code, refused.body.errors![0].extensions!.maxBytes]).toEqual([400, 'RESPONSE_TOO_LARGE', 16384]);
  });

  it('reads no figures past the budget: a series of fixed length reserves its bytes before it loads', async () => {
    const keysLoaded = async () => {
      const text = await (await fetch(`${server.url}/metrics`)).text();
      const line = text.split('\n').find((l) => l.startsWith('changxing_dataloader_batch_size_sum{loader="CaseSource.daily"}'));
      return line ? Number(line.split(' ')[1]) : 0;
    };
    const before = await keysLoaded();
    // every county (2,978) with 7 days: each reserves 7 × 28 bytes, so ≈ 330 fit PUBLIC's 64 KiB
    const { status, body } = await server.gql(
      'query($f: Date!, $t: Date!) { regions(level: COUNTY, first: 5000) { nodes { daily(from: $f, to: $t) { date newConfirmed } } } }',
      { f: addDays(today, -6), t: today },
    );
    expect([status, body.errors![0].extensions!.code]).toEqual([400, 'RESPONSE_TOO_LARGE']);
    const loaded = (await keysLoaded()) - before;
    expect(loaded).toBeGreaterThan(200);
    expect(loaded).toBeLessThan(400);
    // a bad range reserves nothing: its error is the answer, not the budget
    const bad = await server.gql('{ regions(level: COUNTY, first: 5000) { nodes { daily(from: "2019-11-20", to: "2019-11-30") { date } } } }');
    expect(bad.body.errors![0].extensions!.code).toBe('BAD_USER_INPUT');
  });

  it('never stores a refused answer in the response cache', async () => {
    const first = await fetch(`${server.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: COUNTIES }) });
    const again = await fetch(`${server.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: COUNTIES }) });
    expect([first.status, again.status, again.headers.get('x-changxing-cache')]).toEqual([400, 400, null]);
  });

  it('defaults to budgets each contract query fits twice over, for every role that runs it', async () => {
    const HEALTH = { authorization: 'Bearer demo-health' };
    const sizes: Record<string, number> = {};
    for (const op of readManifest().operations.filter((o) => o.type === 'query')) {
      const use = CONTRACT_USES[op.name!];
      // echoed tokens as long as real ones (≈ 300 characters)
      const variables = op.name === 'CheckPasses' ? { tokens: Array.from({ length: 1000 }, (_, i) => `${i}`.padEnd(300, 'x')) } : use.variables;
      const { status, body } = await server.gql(op.body, variables, HEALTH);
      expect({ name: op.name, status }).toEqual({ name: op.name, status: 200 });
      sizes[op.name!] = body.extensions.responseBytes;
      for (const role of use.roles) {
        expect({ name: op.name, role, fitsTwice: 2 * body.extensions.responseBytes <= DEFAULT_LIMITS.maxResponseBytes[role] }).toEqual({ name: op.name, role, fitsTwice: true });
      }
    }
    // the largest: the county lists of the dashboards (≈ 1 MB) and 1,000 pass checks
    expect(sizes.DashboardCounties).toBeGreaterThan(500_000);
    expect(sizes.CheckPasses).toBeGreaterThan(300_000);
  });
});
