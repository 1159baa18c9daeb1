import http from 'node:http';
import pg from 'pg';
import { startTestServer, type GraphQLResponse, type TestServer } from '../helpers/server';
import { startFederatedStack, type FederatedStack } from '../helpers/federation';
import { operation } from '../helpers/operations';
import { DEMO_PEOPLE } from '../../src/seed/demoPeople';
import { todayCst } from '../../src/clock';
import { addDays } from '../../src/risk/dates';
import { executionSlices, RESOLVED_PER_SLICE } from '../../src/limits/slices';

/**
 * Bulkheads (issue 15, 4; docs/limits.md, "Bulkheads and load shedding"): request classes with their own connections, turns,
 * per-caller caps and deadlines, shed by load in the order public → official → self, never pass
 * checks. With production's settings: the test servers' defaults lift them (tests/helpers/bulkheads.ts).
 *
 * The servers (and the subgraphs) run in this process, on a machine shared with other work: the lag
 * they shed by is one this suite sets (`lag`), so that what it asserts does not depend on the
 * machine. Measuring the real lag is tests/unit/limits.admission.test.ts's.
 */
const lag = { ms: 0, lagMs() { return this.ms; } };
const PRODUCTION: Record<string, string> = { REQUEST_DEADLINE_MS: '', CLASS_CONCURRENCY: '', CALLER_CONCURRENCY: '', SHED_LAG_MS: '', SHED_BUSY_PERCENT: '', PG_POOL_SHARES: '', SHARED_STATEMENTS: '' };
const PARTNER = { authorization: 'Bearer demo-partner' };
const GOV = { authorization: 'Bearer demo-gov' };
const today = todayCst();

interface Reply {
  status: number;
  retryAfter: string | null;
  codes: string[];
  reasons: string[];
  body: GraphQLResponse['body'];
}

/** POSTs an operation; `from` (any of 127.0.0.0/8) makes it another PUBLIC caller, as callers on the internet are told apart by address. */
function send(base: string, query: string, variables: Record<string, unknown> = {}, headers: Record<string, string> = {}, from = '127.0.0.1'): Promise<Reply> {
  const payload = JSON.stringify({ query, variables });
  return new Promise((resolve, reject) => {
    const req = http.request(
      `${base}/graphql`,
      { method: 'POST', localAddress: from, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload), ...headers } },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => {
          const body = JSON.parse(text) as GraphQLResponse['body'];
          const errors = body.errors ?? [];
          const retryAfter = res.headers['retry-after'];
          resolve({ status: res.statusCode ?? 0, retryAfter: typeof retryAfter === 'string' ? retryAfter : null, codes: errors.map((e) => e.extensions?.code), reasons: errors.map((e) => e.extensions?.reason), body });
        });
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

/** The flooding caller: anonymous (PUBLIC may run NationalDaily; PARTNER's budget refuses it by cost), from an address of its own. */
const FLOODER = '127.0.0.9';

/** The dashboard's national chart (web/src/operations/dashboard.graphql; in documents/manifest.json). */
const NATIONAL_DAILY = 'query NationalDaily($from: Date!, $to: Date!) { provinces: regions(level: PROVINCE, first: 100) { nodes { code population daily(from: $from, to: $to) { date newConfirmed } } } }';

/** NationalDaily over 366 days, each ending on another day: no answer comes from the response cache. */
const nationalDaily = (i: number) => ({ from: addDays(today, -365 - i), to: addDays(today, -i) });
const ONE_COUNTY = '{ region(code: "420106") { name caseSummary(days: 14) { newConfirmed } } }';

async function refusedCount(base: string, requestClass: string, reason: string): Promise<number> {
  const text = await (await fetch(`${base}/metrics`)).text();
  const line = new RegExp(`^changxing_requests_refused_total\\{class="${requestClass}",reason="${reason}"\\} (\\d+)$`, 'm').exec(text);
  return line ? Number(line[1]) : 0;
}

let token: string;

describe('npm start with production bulkheads (PG_POOL_MAX 10)', () => {
  let server: TestServer;
  beforeAll(async () => {
    lag.ms = 0;
    // PUBLIC's deadline cut to 1.5 s: the two admitted NationalDaily end sooner (the suite's time), nothing else changes
    server = await startTestServer({ env: { ...PRODUCTION, REQUEST_DEADLINE_MS: 'public=1500' }, pool: { max: 10, connectionTimeoutMs: 1000, statementTimeoutMs: 5000 }, load: lag });
    const issued = await server.gql(operation('IssuePass'), { name: DEMO_PEOPLE[3].name, idNumber: DEMO_PEOPLE[3].idNumber });
    token = issued.body.data.issuePass.pass.token;
  });
  afterAll(async () => {
    lag.ms = 0;
    await server?.close();
  });

  it('a dozen concurrent NationalDaily over 366 days from one caller: 10 refused before running, and another caller\'s one-county caseSummary and a pass check still answer', async () => {
    const flood = Array.from({ length: 12 }, (_, i) => send(server.url, NATIONAL_DAILY, nationalDaily(i), {}, FLOODER));
    await new Promise((r) => setTimeout(r, 300));
    const [county, check] = await Promise.all([send(server.url, ONE_COUNTY), send(server.url, operation('CheckPass'), { token }, PARTNER)]);
    // before the bulkheads the flood held every connection, and these answered SERVICE_UNAVAILABLE
    expect([county.status, county.codes]).toEqual([200, []]);
    expect(county.body.data.region.name).toBe('武昌区');
    expect([check.status, check.codes, check.body.data.checkPass.status]).toEqual([200, [], 'VALID']);
    const replies = await Promise.all(flood);
    // refused before running: past the caller's 2 (429), or while the class's own connections had a
    // queue (503; the response cache's version reads of the flood wait for them too)
    const refused = replies.filter((r) => r.reasons.includes('caller_limit') || r.reasons.includes('pool_saturated'));
    expect(refused).toHaveLength(10);
    for (const r of refused) {
      expect([r.status, r.retryAfter]).toEqual(r.reasons[0] === 'caller_limit' ? [429, '1'] : [503, '1']);
      expect(r.codes).toEqual([r.status === 429 ? 'RATE_LIMITED' : 'SERVICE_UNAVAILABLE']);
    }
    expect(refused.some((r) => r.reasons[0] === 'caller_limit')).toBe(true);
    // the two admitted ran in their class's pools, to their end or to its deadline
    for (const r of replies.filter((x) => !refused.includes(x))) expect(r.status === 200 || r.reasons[0] === 'deadline').toBe(true);
    expect((await refusedCount(server.url, 'public', 'caller_limit')) + (await refusedCount(server.url, 'public', 'pool_saturated'))).toBe(10);
    // the statements that took turns behind the pass check (src/db/statementShare.ts): none left in flight
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    for (const c of ['official', 'public']) for (const state of ['running', 'waiting']) expect(metrics).toContain(`changxing_shared_statements{class="${c}",state="${state}"} 0`);
  }, 60_000);

  it('when the event loop lags, refuses the public class first with 503 and Retry-After; official, self-service and pass checks go on', async () => {
    lag.ms = 300;
    const [aggregate, official, self, check] = await Promise.all([
      send(server.url, '{ regions(level: PROVINCE, first: 3) { totalCount } }'),
      send(server.url, '{ regions(level: CITY, first: 3) { totalCount } }', {}, GOV),
      send(server.url, operation('CloseContactCheck'), { name: DEMO_PEOPLE[1].name, idNumber: DEMO_PEOPLE[1].idNumber }),
      send(server.url, operation('CheckPass'), { token }, PARTNER),
    ]);
    expect([aggregate.status, aggregate.retryAfter, aggregate.codes, aggregate.reasons]).toEqual([503, '2', ['SERVICE_UNAVAILABLE'], ['event_loop_lag']]);
    for (const r of [official, self, check]) expect([r.status, r.codes]).toEqual([200, []]);
    // the loop on time again: public requests are served again
    lag.ms = 0;
    const later = await send(server.url, '{ regions(level: PROVINCE, first: 3) { totalCount } }');
    expect([later.status, later.codes]).toEqual([200, []]);
    expect(await refusedCount(server.url, 'public', 'event_loop_lag')).toBeGreaterThanOrEqual(1);
    expect(await refusedCount(server.url, 'pass', 'event_loop_lag')).toBe(0);
  });

  it('a longer lag stops official requests too, a long one self-service too, never pass checks', async () => {
    lag.ms = 700;
    const [official, check] = await Promise.all([send(server.url, '{ regions(level: CITY, first: 4) { totalCount } }', {}, GOV), send(server.url, operation('CheckPass'), { token }, PARTNER)]);
    expect([official.status, official.reasons]).toEqual([503, ['event_loop_lag']]);
    expect([check.status, check.codes]).toEqual([200, []]);
    lag.ms = 5000;
    const [self, stillChecking] = await Promise.all([
      send(server.url, operation('CloseContactCheck'), { name: DEMO_PEOPLE[2].name, idNumber: DEMO_PEOPLE[2].idNumber }),
      send(server.url, operation('CheckPass'), { token }, PARTNER),
    ]);
    expect([self.status, self.reasons]).toEqual([503, ['event_loop_lag']]);
    expect([stillChecking.status, stillChecking.codes]).toEqual([200, []]);
    lag.ms = 0;
  });
});

describe('the national map from the response cache, while its class is shed', () => {
  let server: TestServer;
  beforeAll(async () => {
    lag.ms = 0;
    server = await startTestServer({ env: PRODUCTION, pool: { max: 10, connectionTimeoutMs: 1000, statementTimeoutMs: 5000 }, load: lag });
  });
  afterAll(async () => {
    lag.ms = 0;
    await server?.close();
  });

  it('answers 200 from the cache while every connection of the public class is held and the class is refused for lag', async () => {
    const map = operation('NationalRiskMap');
    const first = await send(server.url, map, {}, {}, '127.0.0.21');
    expect([first.status, first.codes]).toEqual([200, []]);
    // every connection of the public class held by statements that outlast the pool's 1 s wait for
    // one: before, the map's data version was read on them, failed, and the map was computed, and shed
    const publicPools = server.pools.classes!.public;
    const held = Object.values({ region: publicPools.region, cases: publicPools.cases, mobility: publicPools.mobility }).flatMap((pool) =>
      Array.from({ length: pool.options.max ?? 1 }, () => pool.query('SELECT pg_sleep(2.5)').catch(() => undefined)),
    );
    await new Promise((r) => setTimeout(r, 300));
    expect(publicPools.cases.idleCount).toBe(0);
    lag.ms = 300;
    const [cached, computed] = await Promise.all([send(server.url, map, {}, {}, '127.0.0.22'), send(server.url, '{ regions(level: PROVINCE, first: 2) { totalCount } }', {}, {}, '127.0.0.23')]);
    lag.ms = 0;
    expect([cached.status, cached.codes]).toEqual([200, []]);
    expect(cached.body.data).toEqual(first.body.data);
    expect([computed.status, computed.reasons]).toEqual([503, ['event_loop_lag']]);
    await Promise.all(held);
  }, 60_000);
});

describe('answers of the expensive classes built in slices (EXECUTION_SLICE_MS)', () => {
  const slices = executionSlices(1);
  let paced: TestServer;
  let unpaced: TestServer;
  beforeAll(async () => {
    lag.ms = 0;
    // no response cache: an answer kept by an earlier run (in Redis, across processes) would be served, not built
    [paced, unpaced] = await Promise.all([startTestServer({ env: { ...PRODUCTION, EXECUTION_SLICE_MS: '1', RESPONSE_CACHE: 'off' }, load: lag }), startTestServer({ env: { RESPONSE_CACHE: 'off' } })]);
  });
  afterAll(async () => {
    await Promise.all([paced?.close(), unpaced?.close()]);
  });

  it('checks a pass while a GOV answer of 2,000 counties × 30 days is being built, and that answer is whole', async () => {
    const issued = await send(paced.url, operation('IssuePass'), { name: DEMO_PEOPLE[0].name, idNumber: DEMO_PEOPLE[0].idNumber }, {}, '127.0.0.31');
    const passToken = issued.body.data.issuePass.pass.token as string;
    const heavyQuery = 'query($from: Date!, $to: Date!) { regions(level: COUNTY, first: 2000) { nodes { code name daily(from: $from, to: $to) { date newConfirmed cumulativeConfirmed } } } }';
    const range = { from: addDays(today, -29), to: today };
    // Held: once the first slice is spent the fields after it wait, so the answer stays unfinished
    // for as long as the test needs (no race with its end), and is let go below.
    const release = slices.hold();
    let heavyDone = false;
    try {
      const spentBefore = slices.spentSlices;
      const heavy = send(paced.url, heavyQuery, range, GOV).then((r) => ((heavyDone = true), r));
      // the answer is being built: a slice ran out and fields wait for the next
      while (slices.waitingCount === 0 && !heavyDone) await new Promise((r) => setTimeout(r, 1));
      if (heavyDone) {
        // it can only have ended without being built (a refusal, an error): say which
        const early = await heavy;
        throw new Error(`the GOV answer ended before a slice was spent: HTTP ${early.status} ${JSON.stringify(early.body.errors ?? null).slice(0, 500)}`);
      }
      expect(slices.spentSlices).toBeGreaterThan(spentBefore);
      const check = await send(paced.url, operation('CheckPass'), { token: passToken }, PARTNER);
      expect([check.status, check.codes, check.body.data.checkPass.status]).toEqual([200, [], 'VALID']);
      // the pass check did not wait for the dashboard's answer, which is still held mid-build
      expect([heavyDone, slices.waitingCount > 0]).toEqual([false, true]);
      release();
      const [pacedAnswer, reference] = await Promise.all([heavy, send(unpaced.url, heavyQuery, range, GOV)]);
      expect([pacedAnswer.status, pacedAnswer.codes]).toEqual([200, []]);
      expect(pacedAnswer.body.data.regions.nodes).toHaveLength(2000);
      expect(pacedAnswer.body.data).toEqual(reference.body.data);
    } finally {
      release();
    }
    expect(slices.waitingCount).toBe(0);
  }, 60_000);
});

describe.each(['jit', 'js'])('with GRAPHQL_EXECUTOR=%s, a large answer is built over several slices', (executor) => {
  const slices = executionSlices(1);
  let server: TestServer;
  beforeAll(async () => {
    lag.ms = 0;
    server = await startTestServer({ env: { ...PRODUCTION, EXECUTION_SLICE_MS: '1', RESPONSE_CACHE: 'off', GRAPHQL_EXECUTOR: executor }, load: lag });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('spends more than one slice on the national map, nothing held', async () => {
    // graphql-jit's compiled code calls the same wrapped resolvers: a list resolved after the slice
    // is spent waits for the next turn there too
    const spentBefore = slices.spentSlices;
    const map = await send(server.url, operation('NationalRiskMap'), {}, GOV);
    expect([map.status, map.codes]).toEqual([200, []]);
    expect(slices.spentSlices - spentBefore).toBeGreaterThan(1);
    expect(slices.waitingCount).toBe(0);
  }, 60_000);

  it('spends more than one slice on lists that one DataLoader batch resolves together (2,000 counties × 30 days), nothing held', async () => {
    // every county's `daily` resolves in the same run of microtasks, before any is built: the clock
    // alone let all 2,000 into one slice; at most RESOLVED_PER_SLICE go on per slice now
    const heavyQuery = 'query($from: Date!, $to: Date!) { regions(level: COUNTY, first: 2000) { nodes { code daily(from: $from, to: $to) { date newConfirmed } } } }';
    const spentBefore = slices.spentSlices;
    const heavy = await send(server.url, heavyQuery, { from: addDays(today, -29), to: today }, GOV);
    expect([heavy.status, heavy.codes]).toEqual([200, []]);
    expect(heavy.body.data.regions.nodes).toHaveLength(2000);
    expect(heavy.body.data.regions.nodes.every((n: { daily: unknown[] }) => n.daily.length === 30)).toBe(true);
    expect(slices.spentSlices - spentBefore).toBeGreaterThanOrEqual(2000 / RESOLVED_PER_SLICE - 1);
    expect(slices.waitingCount).toBe(0);
  }, 60_000);
});

describe('deadlines per class', () => {
  let server: TestServer;
  beforeAll(async () => {
    // a short PUBLIC deadline, official's as in production (30 s), statements up to 30 s: GOV's must
    // finish on a machine that other work slows
    server = await startTestServer({ env: { ...PRODUCTION, REQUEST_DEADLINE_MS: 'public=300' }, pool: { max: 10, connectionTimeoutMs: 1000, statementTimeoutMs: 30000 }, load: lag });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('cut a PUBLIC request at its class\'s deadline with a message that says so, while GOV runs the same operation to its end', async () => {
    const range = nationalDaily(40);
    // The daily figures' table held by a lock while both run: the PUBLIC statement waits past its
    // 300 ms (statement_timeout counts lock waits), the GOV one until the lock goes — whatever the
    // speed of the statement itself (once it took longer than 300 ms; it no longer does).
    const locker = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL });
    await locker.connect();
    try {
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE cases.daily_reports IN ACCESS EXCLUSIVE MODE');
      const govAnswer = send(server.url, NATIONAL_DAILY, range, GOV);
      const pub = await send(server.url, NATIONAL_DAILY, range);
      await locker.query('ROLLBACK');
      const gov = await govAnswer;
      expect([pub.status, pub.codes, pub.reasons]).toEqual([503, ['SERVICE_UNAVAILABLE'], ['deadline']]);
      // cut by the class's statement_timeout, or — on a loaded machine, past the deadline before its first statement — not sent
      expect(pub.body.errors![0].message).toMatch(/ran past (the 300 ms its class allows|its deadline of 300 ms) \(public requests\): ask for less/);
      expect([gov.status, gov.codes]).toEqual([200, []]);
      expect(gov.body.data.provinces.nodes[0].daily).toHaveLength(366);
      expect(await refusedCount(server.url, 'public', 'deadline')).toBe(1);
    } finally {
      await locker.query('ROLLBACK').catch(() => undefined);
      await locker.end();
    }
  }, 60_000);
});

describe('through the gateway, with production bulkheads', () => {
  let stack: FederatedStack;
  beforeAll(async () => {
    const issuer = await startTestServer();
    try {
      token = (await issuer.gql(operation('IssuePass'), { name: DEMO_PEOPLE[3].name, idNumber: DEMO_PEOPLE[3].idNumber })).body.data.issuePass.pass.token;
    } finally {
      await issuer.close();
    }
    // the gateway is a process of its own on a shared machine: it sheds by lag in production, not here
    stack = await startFederatedStack(undefined, { env: { ...PRODUCTION, PG_STATEMENT_TIMEOUT_MS: '5000', REQUEST_DEADLINE_MS: 'public=1500' }, gatewayEnv: { SHED_LAG_MS: 'self=none,official=none,public=none', SHED_BUSY_PERCENT: 'self=none,official=none,public=none' }, pgPoolMax: 10, load: lag });
  }, 60_000);
  afterAll(async () => {
    lag.ms = 0;
    await stack?.close();
  });

  it('refuses a flood from one caller at the gateway (429), and another caller\'s caseSummary and a pass check answer', async () => {
    const flood = Array.from({ length: 12 }, (_, i) => send(stack.url, NATIONAL_DAILY, nationalDaily(100 + i), {}, FLOODER));
    await new Promise((r) => setTimeout(r, 300));
    const [county, check] = await Promise.all([send(stack.url, ONE_COUNTY), send(stack.url, operation('CheckPass'), { token }, PARTNER)]);
    expect([county.status, county.codes]).toEqual([200, []]);
    expect([check.status, check.codes, check.body.data.checkPass.status]).toEqual([200, [], 'VALID']);
    const replies = await Promise.all(flood);
    const limited = replies.filter((r) => r.codes.includes('RATE_LIMITED'));
    expect(limited).toHaveLength(10);
    for (const r of limited) expect([r.status, r.retryAfter, r.reasons]).toEqual([429, '1', ['caller_limit']]);
    expect(await refusedCount(stack.url, 'public', 'caller_limit')).toBe(10);
  }, 60_000);

  it('answers 503 with Retry-After when a subgraph sheds the public class, and pass checks go on', async () => {
    // the subgraphs (in this process) are late: they refuse the gateway's public fetches
    lag.ms = 300;
    const [aggregate, check] = await Promise.all([send(stack.url, '{ regions(level: PROVINCE, first: 3) { totalCount } }'), send(stack.url, operation('CheckPass'), { token }, PARTNER)]);
    expect([aggregate.status, aggregate.retryAfter, aggregate.codes, aggregate.reasons]).toEqual([503, '2', ['SERVICE_UNAVAILABLE'], ['event_loop_lag']]);
    expect([check.status, check.codes]).toEqual([200, []]);
    lag.ms = 0;
  });
});
