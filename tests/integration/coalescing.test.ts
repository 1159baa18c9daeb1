import pg from 'pg';
import { startTestServer, type TestServer } from '../helpers/server';
import { freshDatabase, type OwnDatabase } from '../helpers/fixtures';
import { operation } from '../helpers/operations';

/**
 * Identical requests computed once (issue 15; docs/http-caching.md, "Identical requests computed
 * once"): while an answer is being computed, requests with its key wait for it instead of computing
 * it again. The computation is held by a lock on region.regions, which every answer here reads and
 * the data version read does not, so what the requests do meanwhile is read from /metrics, not timed.
 */
const GOV = { authorization: 'Bearer demo-gov' };
const MAP = operation('NationalRiskMap');
const COUNTIES = 'query Counties($n: Int!) { regions(level: COUNTY, first: $n) { nodes { code name } } }';

interface Reply {
  status: number;
  cache: string | null;
  statements: number;
  body: { data?: any; errors?: { extensions?: Record<string, any> }[] };
}

let db: OwnDatabase;
let server: TestServer;
/** At most two requests wait on a key, and one key is computed with waiters at a time. */
let bounded: TestServer;

beforeAll(async () => {
  db = await freshDatabase('coalescing');
  [server, bounded] = await Promise.all([
    startTestServer({ databaseUrl: db.url }),
    startTestServer({ databaseUrl: db.url, env: { RESPONSE_CACHE_COALESCE_WAITERS: '2', RESPONSE_CACHE_COALESCE_KEYS: '1' } }),
  ]);
});
afterAll(async () => {
  await Promise.all([server?.close(), bounded?.close()]);
  await db?.drop();
});

async function post(s: TestServer, query: string, variables: object = {}, headers: Record<string, string> = {}): Promise<Reply> {
  const res = await fetch(`${s.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ query, variables }) });
  const body = (await res.json()) as Reply['body'] & { extensions: { sql: { statements: number } } };
  return { status: res.status, cache: res.headers.get('x-changxing-cache'), statements: body.extensions.sql.statements, body };
}

async function metric(s: TestServer, name: string, label: string): Promise<number> {
  const text = await (await fetch(`${s.url}/metrics`)).text();
  const line = new RegExp(`^${name}\\{[^}]*${label}[^}]*\\} (\\d+)$`, 'm').exec(text);
  return line ? Number(line[1]) : 0;
}
const inFlight = (s: TestServer, state: 'computing' | 'waiting') => metric(s, 'changxing_response_cache_in_flight', `state="${state}"`);
const lookups = (s: TestServer, result: string) => metric(s, 'changxing_response_cache_requests_total', `result="${result}"`);

/** Polls until `condition` holds (every 10 ms, at most 30 s): a state the server reaches, not a duration. */
async function until(condition: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 3000; i++) {
    if (await condition()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error('the server never reached the expected state');
}

/** Another session holds region.regions: every answer here waits for it until `release`. */
async function lockRegions() {
  const locker = new pg.Client({ connectionString: db.url });
  await locker.connect();
  await locker.query('BEGIN');
  await locker.query('LOCK TABLE region.regions IN ACCESS EXCLUSIVE MODE');
  let released = false;
  return {
    /** Cancels the statements waiting for the lock: their requests fail. */
    async cancelWaiting(): Promise<number> {
      const { rows } = await locker.query<{ n: number }>(
        `SELECT count(*) FILTER (WHERE pg_cancel_backend(pid))::int AS n FROM pg_stat_activity
          WHERE datname = current_database() AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()`,
      );
      return rows[0].n;
    },
    async release(): Promise<void> {
      if (released) return;
      released = true;
      await locker.query('ROLLBACK');
      await locker.end();
    },
  };
}

/**
 * Runs `meanwhile` (which sends requests and returns them) while region.regions is locked, then
 * releases it: the replies, in the order sent.
 */
async function whileRegionsLocked(meanwhile: (lock: Awaited<ReturnType<typeof lockRegions>>) => Promise<Promise<Reply>[]>): Promise<Reply[]> {
  const lock = await lockRegions();
  try {
    const sent = await meanwhile(lock);
    await lock.release();
    return await Promise.all(sent);
  } finally {
    await lock.release();
  }
}

describe('identical cacheable requests while the cache is empty', () => {
  it('compute the national map once: eight concurrent requests cost the SQL of one, the others wait and are answered the same', async () => {
    const replies = await whileRegionsLocked(async () => {
      const sent = Array.from({ length: 8 }, () => post(server, MAP));
      await until(async () => (await inFlight(server, 'waiting')) === 7);
      expect(await inFlight(server, 'computing')).toBe(1);
      return sent;
    });
    const computed = replies.filter((r) => r.cache === null);
    const coalesced = replies.filter((r) => r.cache === 'coalesced');
    expect([computed.length, coalesced.length]).toEqual([1, 7]);
    for (const r of replies) expect([r.status, r.body.errors]).toEqual([200, undefined]);
    expect(computed[0].body.data.counties.nodes.length).toBeGreaterThan(2000);
    for (const r of coalesced) expect(r.body.data).toEqual(computed[0].body.data);
    // the waiters sent the data version read only: the SQL of one map, not eight
    expect(computed[0].statements).toBeGreaterThan(2);
    expect(coalesced.map((r) => r.statements)).toEqual(Array(7).fill(1));
    expect([await lookups(server, 'miss'), await lookups(server, 'coalesced')]).toEqual([1, 7]);
    expect([await inFlight(server, 'computing'), await inFlight(server, 'waiting')]).toEqual([0, 0]);
    // and stored: the next one is a hit
    expect((await post(server, MAP)).cache).toBe('hit');
  }, 60_000);

  it('are not coalesced across variables or roles: each key is computed by its own request', async () => {
    const replies = await whileRegionsLocked(async () => {
      const sent = [post(server, COUNTIES, { n: 10 }), post(server, COUNTIES, { n: 11 }), post(server, COUNTIES, { n: 10 }, GOV)];
      await until(async () => (await inFlight(server, 'computing')) === 3);
      expect(await inFlight(server, 'waiting')).toBe(0);
      return sent;
    });
    for (const r of replies) expect([r.status, r.cache, r.statements > 1]).toEqual([200, null, true]);
    expect(replies.map((r) => r.body.data.regions.nodes.length)).toEqual([10, 11, 10]);
  }, 60_000);

  it('share a failed computation with its waiters once, and the next request computes afresh', async () => {
    const replies = await whileRegionsLocked(async (lock) => {
      const sent = Array.from({ length: 4 }, () => post(server, COUNTIES, { n: 20 }));
      await until(async () => (await inFlight(server, 'waiting')) === 3);
      expect(await lock.cancelWaiting()).toBe(1);
      return sent;
    });
    // the computation failed: its answer is every waiter's, not stored
    expect(replies.map((r) => r.cache).sort()).toEqual(['coalesced', 'coalesced', 'coalesced', null]);
    const failed = replies.find((r) => r.cache === null)!;
    expect([failed.status, new Set(failed.body.errors?.map((e) => e.extensions?.code))]).toEqual([503, new Set(['SERVICE_UNAVAILABLE'])]);
    for (const r of replies) expect([r.status, r.body.data, r.body.errors]).toEqual([503, failed.body.data, failed.body.errors]);
    expect(await lookups(server, 'coalesced_failure')).toBe(3);
    expect([await inFlight(server, 'computing'), await inFlight(server, 'waiting')]).toEqual([0, 0]);
    // nothing left behind: computed again, then kept
    const again = await post(server, COUNTIES, { n: 20 });
    expect([again.status, again.cache, again.body.data.regions.nodes.length]).toEqual([200, null, 20]);
    expect((await post(server, COUNTIES, { n: 20 })).cache).toBe('hit');
  }, 60_000);

  it('bounds the waiters of a key and the keys in flight: past them a request computes by itself', async () => {
    const replies = await whileRegionsLocked(async () => {
      const maps = Array.from({ length: 5 }, () => post(bounded, MAP));
      // one computes, two wait (RESPONSE_CACHE_COALESCE_WAITERS=2), two compute by themselves
      await until(async () => (await lookups(bounded, 'uncoalesced')) === 2);
      expect([await inFlight(bounded, 'computing'), await inFlight(bounded, 'waiting')]).toEqual([1, 2]);
      // another key while one is in flight (RESPONSE_CACHE_COALESCE_KEYS=1): by itself, nobody may wait on it
      const other = post(bounded, COUNTIES, { n: 5 });
      await until(async () => (await lookups(bounded, 'uncoalesced')) === 3);
      expect(await inFlight(bounded, 'computing')).toBe(1);
      return [...maps, other];
    });
    for (const r of replies) expect([r.status, r.body.errors]).toEqual([200, undefined]);
    expect(replies.map((r) => r.cache).sort()).toEqual(['coalesced', 'coalesced', null, null, null, null]);
    expect([await lookups(bounded, 'miss'), await lookups(bounded, 'coalesced')]).toEqual([1, 2]);
  }, 60_000);
});
