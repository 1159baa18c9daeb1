import { startTestServer, type TestServer } from '../helpers/server';
import { operation } from '../helpers/operations';
import { todayCst } from '../../src/clock';
import { addDays } from '../../src/risk/dates';

const today = todayCst();

let server: TestServer;
let other: TestServer;
beforeAll(async () => {
  // Identical requests must take the same SQL path for their counts to be compared: no response cache.
  server = await startTestServer({ env: { RESPONSE_CACHE: 'off' } });
  // A second app in the same process: each has its own registry, so nothing is registered twice.
  other = await startTestServer();
});
afterAll(async () => {
  await server.close();
  await other.close();
});

async function scrape(s: TestServer): Promise<{ status: number; type: string | null; text: string }> {
  const res = await fetch(`${s.url}/metrics`);
  return { status: res.status, type: res.headers.get('content-type'), text: await res.text() };
}

/** The value of one sample, e.g. sample(text, 'x_count', { operation: 'A' }). */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const match = /^[^{ ]+(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match) continue;
    const have = Object.fromEntries([...(match[1] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) return Number(match[2]);
  }
  return undefined;
}

describe('/metrics', () => {
  it('serves Prometheus text with process metrics, including event-loop lag', async () => {
    const { status, type, text } = await scrape(server);
    expect(status).toBe(200);
    expect(type).toMatch(/^text\/plain/);
    expect(text).toContain('# TYPE nodejs_eventloop_lag_seconds gauge');
    expect(text).toContain('# TYPE process_cpu_user_seconds_total counter');
  });

  it('counts requests and latency by operation and outcome, and SQL statements per operation', async () => {
    const vars = { code: '420000', from: addDays(today, -6), to: today };
    await server.gql(operation('ProvinceDrilldown'), vars);
    await server.gql(operation('ProvinceDrilldown'), vars);
    await server.gql(operation('PersonRecord'), { idNumber: '510107199506063211' }); // PUBLIC: FORBIDDEN at a nullable field
    await server.gql('query Broken { region(code: "420106") { noSuchField } }'); // no data: the outcome is the code
    const { text } = await scrape(server);
    expect(sample(text, 'changxing_graphql_requests_total', { operation: 'ProvinceDrilldown', outcome: 'ok' })).toBe(2);
    expect(sample(text, 'changxing_graphql_request_duration_seconds_count', { operation: 'ProvinceDrilldown', outcome: 'ok' })).toBe(2);
    expect(sample(text, 'changxing_graphql_request_duration_seconds_bucket', { operation: 'ProvinceDrilldown', outcome: 'ok', le: '+Inf' })).toBe(2);
    expect(sample(text, 'changxing_graphql_requests_total', { operation: 'PersonRecord', outcome: 'partial' })).toBe(1);
    expect(sample(text, 'changxing_graphql_requests_total', { operation: 'anonymous', outcome: 'GRAPHQL_VALIDATION_FAILED' })).toBe(1);
    // Every request of ProvinceDrilldown sends the same bounded number of statements.
    const count = sample(text, 'changxing_graphql_sql_statements_count', { operation: 'ProvinceDrilldown' });
    const sum = sample(text, 'changxing_graphql_sql_statements_sum', { operation: 'ProvinceDrilldown' });
    expect(count).toBe(2);
    expect(sum).toBeGreaterThan(0);
    expect(sum! % 2).toBe(0);
    // The other app saw none of it.
    expect(sample((await scrape(other)).text, 'changxing_graphql_requests_total', { operation: 'ProvinceDrilldown' })).toBeUndefined();
  });

  it('records DataLoader batch sizes per loader, named by its SQL statement', async () => {
    await server.gql(operation('NationalRiskMap'), {});
    const { text } = await scrape(server);
    // One province lookup batch for ~2,900 counties: the batch holds the 31 provinces (and a few more
    // pseudo-levels), not one key per county.
    const batches = sample(text, 'changxing_dataloader_batch_size_count', { loader: 'RegionSource.byCode' });
    const keys = sample(text, 'changxing_dataloader_batch_size_sum', { loader: 'RegionSource.byCode' });
    expect(batches).toBeGreaterThanOrEqual(1);
    expect(keys! / batches!).toBeGreaterThan(10);
  });

  it('reports pg pool usage per datasource on scrape', async () => {
    const { text } = await scrape(server);
    for (const source of ['region', 'cases', 'mobility', 'access']) {
      expect(sample(text, 'changxing_pg_pool_connections', { source })).toBeGreaterThanOrEqual(0);
      expect(sample(text, 'changxing_pg_pool_idle_connections', { source })).toBeGreaterThanOrEqual(0);
      expect(sample(text, 'changxing_pg_pool_waiting_requests', { source })).toBe(0);
    }
    // requests read through their class's own pools (docs/limits.md, "Bulkheads and load shedding"): PUBLIC's NationalRiskMap above, `region/public`
    for (const source of ['region', 'cases', 'mobility', 'access']) {
      for (const requestClass of ['pass', 'self', 'official', 'public']) {
        expect(sample(text, 'changxing_pg_pool_waiting_requests', { source: `${source}/${requestClass}` })).toBe(0);
      }
    }
    expect(sample(text, 'changxing_pg_pool_connections', { source: 'region/public' })).toBeGreaterThan(0);
  });

  it('labels unnamed and odd operation names without exploding the series', async () => {
    await server.gql('{ apiInfo { version } }');
    await server.gql('query Q110105199003071239 { apiInfo { version } }');
    const { text } = await scrape(server);
    expect(sample(text, 'changxing_graphql_requests_total', { operation: 'anonymous', outcome: 'ok' })).toBe(1);
    expect(sample(text, 'changxing_graphql_requests_total', { operation: 'other', outcome: 'ok' })).toBe(1);
    expect(text).not.toContain('110105199003071239');
  });
});
