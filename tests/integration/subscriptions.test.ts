import WebSocket from 'ws';
import { createClient, type Client, type FormattedExecutionResult } from 'graphql-ws';
import { startTestServer, type TestServer } from '../helpers/server';
import { freshDatabase, type OwnDatabase } from '../helpers/fixtures';
import { operation } from '../helpers/operations';
import { todayCst } from '../../src/clock';
import { addDays } from '../../src/risk/dates';
import { DEMO_KEYS } from '../../datasources/apiKeys';

const today = todayCst();
const HEALTH = { authorization: `Bearer ${DEMO_KEYS.HEALTH}` };
const RISK_LEVEL_CHANGED = `subscription Live($codes: [ID!]!) {
  riskLevelChanged(regionCodes: $codes) { region { code name level risk { level } } level previousLevel asOf ruleset }
}`;

// Ingestion here changes county levels: the suite works in a database of its own (regions, no epidemic).
let db: OwnDatabase;
let a: TestServer;
let b: TestServer;
const clients: Client[] = [];
beforeAll(async () => {
  db = await freshDatabase('subscriptions');
  a = await startTestServer({ databaseUrl: db.url });
  b = await startTestServer({ databaseUrl: db.url });
});
afterAll(async () => {
  await Promise.all(clients.map((c) => c.dispose()));
  await a?.close();
  await b?.close();
  await db?.drop();
});

/** A graphql-ws client of `server` that authenticates with `key` (none: PUBLIC). */
function connect(server: TestServer, key?: string): Client {
  const client = createClient({
    url: `${server.url.replace(/^http/, 'ws')}/graphql`,
    webSocketImpl: WebSocket,
    connectionParams: key ? { authorization: `Bearer ${key}` } : {},
    retryAttempts: 0,
  });
  clients.push(client);
  return client;
}

/** Results of one operation, read in order with `next()`; `done` once the server completed it. */
function run(client: Client, query: string, variables: Record<string, unknown> = {}) {
  const results: FormattedExecutionResult<any, unknown>[] = [];
  const waiters: (() => void)[] = [];
  let done = false;
  let failure: unknown = null;
  const wake = () => waiters.splice(0).forEach((w) => w());
  client.subscribe(
    { query, variables },
    {
      next: (r) => void (results.push(r), wake()),
      error: (e) => void ((failure = e), (done = true), wake()),
      complete: () => void ((done = true), wake()),
    },
  );
  return {
    async next(timeoutMs = 5000): Promise<FormattedExecutionResult<any, unknown>> {
      const deadline = Date.now() + timeoutMs;
      while (results.length === 0) {
        if (done) throw new Error(`the operation ended without a result: ${JSON.stringify(failure)}`);
        if (Date.now() > deadline) throw new Error(`no result within ${timeoutMs} ms`);
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 50);
        });
      }
      return results.shift()!;
    },
    failure: () => failure,
    ended: () => done,
  };
}

/**
 * Until a LISTEN connection (other than `not`) is in place, and its backend pid. It opens with an
 * instance's first subscriber, after that subscriber is registered. (One instance subscribes per test run.)
 */
async function listening(server: TestServer, not?: number): Promise<number> {
  for (let i = 0; i < 400; i++) {
    const { rows } = await server.pools.cases.query<{ pid: number }>(
      `SELECT pid FROM pg_stat_activity
        WHERE datname = current_database() AND application_name LIKE '%:listen' AND state = 'idle' AND pid <> $1`,
      [not ?? 0],
    );
    if (rows.length > 0) return rows[0].pid;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error('the LISTEN connection did not open');
}

/** A county no test of this suite has reported on yet: LOW, no case ever (the database has no epidemic). */
const used = new Set<string>();
async function quietCounty(server: TestServer): Promise<{ code: string; provinceCode: string }> {
  const counties = (await server.pools.region.query<{ code: string; province_code: string }>(`SELECT code, province_code FROM region.regions WHERE level = 'COUNTY' ORDER BY code DESC`)).rows;
  const found = counties.find((c) => !used.has(c.code));
  if (!found) throw new Error('no county left');
  used.add(found.code);
  return { code: found.code, provinceCode: found.province_code };
}

describe('live risk level updates over WebSocket', () => {
  it('tells a GOV subscriber on one instance of the level changes that ingestion on another instance commits, and only of those', async () => {
    const county = await quietCounty(a);
    const other = await quietCounty(a);
    // the second county is subscribed to through its province: codes of cities and provinces cover their counties
    const live = run(connect(a, DEMO_KEYS.GOV), RISK_LEVEL_CHANGED, { codes: [county.code, other.provinceCode] });
    await listening(a);

    const report = (input: object[]) => b.gql(operation('ReportDailyCases'), { input }, HEALTH);
    const firstReport = await report([{ regionCode: county.code, date: today, newConfirmed: 3 }]);
    // lock + levels before + upsert + running totals + levels after + NOTIFY (docs/api.md, "SQL round trips per operation");
    // the data version is bumped by the tables' statement triggers, inside the upsert and the running totals
    expect(firstReport.body.extensions.sql.bySource.cases).toBe(6);
    expect(firstReport.body.data.reportDailyCases.accepted).toBe(1);
    const first = await live.next();
    expect(first.errors).toBeUndefined();
    expect(first.data.riskLevelChanged).toMatchObject({
      region: { code: county.code, level: 'COUNTY', risk: { level: 'MEDIUM' } },
      level: 'MEDIUM',
      previousLevel: 'LOW',
      asOf: today,
      ruleset: 'CN_2020_COUNTY',
    });

    // 60 more cases earlier in the window: cumulative > 50 without a cluster is still MEDIUM, so nothing is sent …
    const noChange = await report([{ regionCode: county.code, date: addDays(today, -3), newConfirmed: 60 }]);
    expect(noChange.body.extensions.sql).toMatchObject({ statements: 6, bySource: { region: 1, cases: 5 } }); // no NOTIFY
    expect(noChange.body.data.reportDailyCases.accepted).toBe(1);
    // … and a cluster then makes it HIGH: the next message is that change (none came in between).
    const cluster = await b.gql(operation('ReportCluster'), { input: { regionCode: county.code, detectedOn: today, size: 3 } }, HEALTH);
    expect(cluster.body.data.reportCluster.userErrors).toEqual([]);
    const second = await live.next();
    expect(second.data.riskLevelChanged).toMatchObject({ region: { code: county.code, risk: { level: 'HIGH' } }, level: 'HIGH', previousLevel: 'MEDIUM' });

    // a county of a subscribed province
    await report([{ regionCode: other.code, date: addDays(today, -1), newConfirmed: 1 }]);
    const third = await live.next();
    expect(third.data.riskLevelChanged).toMatchObject({ region: { code: other.code }, level: 'MEDIUM', previousLevel: 'LOW' });
  });

  it('keeps delivering after the LISTEN connection drops: it is opened again', async () => {
    const county = await quietCounty(a);
    const live = run(connect(a, DEMO_KEYS.HEALTH), RISK_LEVEL_CHANGED, { codes: [county.code] });
    const before = await listening(a);
    await a.pools.cases.query('SELECT pg_terminate_backend($1)', [before]);
    await listening(a, before);
    await b.gql(operation('ReportDailyCases'), { input: [{ regionCode: county.code, date: today, newConfirmed: 1 }] }, HEALTH);
    expect((await live.next()).data!.riskLevelChanged).toMatchObject({ region: { code: county.code }, level: 'MEDIUM', previousLevel: 'LOW' });
  });

  it('refuses PUBLIC and PARTNER subscribers (FORBIDDEN) and a bad key (UNAUTHENTICATED)', async () => {
    for (const [key, code] of [[undefined, 'FORBIDDEN'], [DEMO_KEYS.PARTNER, 'FORBIDDEN'], ['not-a-key', 'UNAUTHENTICATED']] as const) {
      const op = run(connect(a, key), RISK_LEVEL_CHANGED, { codes: ['420106'] });
      let errors: readonly any[];
      try {
        errors = (await op.next()).errors ?? [];
      } catch {
        errors = op.failure() as any[];
      }
      expect(errors[0].extensions.code).toBe(code);
    }
  });

  it('holds subscription documents to the operation limits and checks the region codes', async () => {
    const gov = connect(a, DEMO_KEYS.GOV);
    const deep = `subscription { riskLevelChanged(regionCodes: ["420106"]) { region { ${'parent { '.repeat(12)}code${' }'.repeat(12)} } } }`;
    const tooDeep = run(gov, deep);
    await expect(tooDeep.next()).rejects.toThrow();
    expect((tooDeep.failure() as any[])[0]).toMatchObject({ extensions: { code: 'QUERY_TOO_COMPLEX' } });

    const unknown = await run(gov, RISK_LEVEL_CHANGED, { codes: ['999999'] }).next();
    expect(unknown.errors![0]).toMatchObject({ message: 'No region has code 999999.', extensions: { code: 'BAD_USER_INPUT' } });

    const query = run(gov, '{ apiInfo { version } }');
    await expect(query.next()).rejects.toThrow();
    expect((query.failure() as any[])[0].message).toMatch(/subscriptions only/);
  });

  it('closes open subscriptions and its LISTEN connection when the server stops', async () => {
    const c = await startTestServer({ databaseUrl: db.url });
    const live = run(connect(c, DEMO_KEYS.GOV), RISK_LEVEL_CHANGED, { codes: ['420000'] });
    const pid = await listening(c, await listening(a));
    const started = Date.now();
    await c.close();
    expect(Date.now() - started).toBeLessThan(3000);
    for (let i = 0; i < 100 && !live.ended(); i++) await new Promise((r) => setTimeout(r, 20));
    expect(live.ended()).toBe(true);
    // (the backend leaves pg_stat_activity a moment after the client has ended the connection)
    let alive = 1;
    for (let i = 0; i < 100 && alive > 0; i++) {
      alive = (await a.pools.cases.query('SELECT count(*)::int AS n FROM pg_stat_activity WHERE pid = $1', [pid])).rows[0].n;
      if (alive > 0) await new Promise((r) => setTimeout(r, 20));
    }
    expect(alive).toBe(0);
  });

  it('refuses subscriptions over HTTP with a clear error', async () => {
    const { status, body } = await a.gql(RISK_LEVEL_CHANGED, { codes: ['420106'] }, { authorization: `Bearer ${DEMO_KEYS.GOV}` });
    expect(status).toBe(400);
    expect(body.errors![0].message).toMatch(/WebSocket/);
  });
});
