import Redis from 'ioredis';
import { startTestServer, type TestServer } from '../helpers/server';
import { seededCopy, type OwnDatabase } from '../helpers/fixtures';
import { operation } from '../helpers/operations';
import { sha256 } from '../../src/documents/manifest';
import { DEMO_PEOPLE } from '../../src/seed/demoPeople';
import { todayCst } from '../../src/clock';
import { LogCapture } from '../helpers/logCapture';

const HEALTH = { authorization: 'Bearer demo-health' };

/** POSTs a request body as is (APQ sends a hash instead of the text); returns the cache header too. */
async function post(server: TestServer, body: Record<string, unknown>, headers: Record<string, string> = {}) {
  const res = await fetch(`${server.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  return { cache: res.headers.get('x-changxing-cache'), body: (await res.json()) as { data?: any; errors?: { extensions?: Record<string, any> }[]; extensions?: any } };
}
const apq = (hash: string) => ({ persistedQuery: { version: 1, sha256Hash: hash } });

/** Registers a new document (not in the manifest: `alias` makes the text new) on one server, then sends its hash alone to another. */
async function registerThenSendHash(registerOn: TestServer, askOn: TestServer, alias: string) {
  const query = `{ region(code: "420106") { name ${alias}: code } }`;
  const hash = sha256(query);
  const registered = await post(registerOn, { query, extensions: apq(hash) });
  expect(registered.body.errors).toBeUndefined();
  return { hash, registered, byHash: await post(askOn, { extensions: apq(hash) }) };
}

// CI machines run Redis on 127.0.0.1:6379 and .ci/run exports REDIS_URL when it answers.
const redisUrl = process.env.REDIS_URL;
(redisUrl ? describe : describe.skip)('two instances on one Redis (REDIS_URL) share what a client may see', () => {
  // A prefix per run: counts and cached answers of earlier runs do not leak in.
  const prefix = `cx-test-stateless-${process.pid}-${Date.now()}:`;
  let db: OwnDatabase;
  let a: TestServer;
  let b: TestServer;
  let redis: Redis;
  beforeAll(async () => {
    const env = { SELF_SERVICE_MAX_IDS_PER_DAY: '3', SELF_SERVICE_RATE_PER_MINUTE: '100', REDIS_KEY_PREFIX: prefix };
    // A and B ingest: they share a copy of the seed of this suite's own
    db = await seededCopy('stateless');
    [a, b] = await Promise.all([startTestServer({ env, redisUrl, databaseUrl: db.url }), startTestServer({ env, redisUrl, databaseUrl: db.url })]);
    redis = new Redis(redisUrl!);
  });
  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
    await db?.drop();
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
  });

  it('holds the close-contact limit of distinct ID numbers across instances', async () => {
    const ask = (s: TestServer, p: { name: string; idNumber: string }) => s.gql(operation('CloseContactCheck'), { name: p.name, idNumber: p.idNumber });
    for (const person of DEMO_PEOPLE.slice(0, 3)) expect((await ask(a, person)).body.errors).toBeUndefined();
    // An ID number already looked up through A is not a new one on B…
    expect((await ask(b, DEMO_PEOPLE[0])).body.errors).toBeUndefined();
    // …and a 4th distinct one is refused there.
    const fourth = await ask(b, DEMO_PEOPLE[3]);
    expect(fourth.status).toBe(429);
    expect(fourth.body.errors![0].extensions!.code).toBe('RATE_LIMITED');
  });

  it('runs a document registered (APQ) through one instance when another gets its hash alone', async () => {
    const { hash, registered, byHash } = await registerThenSendHash(a, b, 'stateless');
    expect(byHash.body.errors).toBeUndefined();
    expect(byHash.body.data).toEqual({ region: { name: registered.body.data.region.name, stateless: '420106' } });
    expect(await redis.exists(`${prefix}apq:${hash}`)).toBe(1);
  });

  it('answers the national map on one instance from what another stored, until the next ingestion', async () => {
    const map = { query: operation('NationalRiskMap') };
    const miss = await post(a, map);
    expect(miss.cache).toBeNull();
    expect(miss.body.extensions.sql.statements).toBeGreaterThan(1);
    const hit = await post(b, map);
    expect(hit.cache).toBe('hit');
    // only the data version was read: B ran none of the map's statements
    expect(hit.body.extensions.sql).toMatchObject({ statements: 1, bySource: { cases: 1 } });
    expect(hit.body.data).toEqual(miss.body.data);
    expect(hit.body.data.counties.nodes.length).toBeGreaterThan(2000);

    // A county of Shanxi; its 14-day sum loses today's old figure and gains the new one.
    const county = miss.body.data.counties.nodes.filter((n: { code: string }) => n.code.startsWith('14')).at(-1);
    const today = todayCst();
    const { rows } = await a.pools.cases.query(
      'SELECT coalesce(sum(new_confirmed), 0)::int AS n FROM cases.daily_reports WHERE region_code = $1 AND date = $2',
      [county.code, today],
    );
    const reported = await a.gql(operation('ReportDailyCases'), { input: [{ regionCode: county.code, date: today, newConfirmed: rows[0].n + 7 }] }, HEALTH);
    expect(reported.body.data.reportDailyCases.accepted).toBe(1);

    const after = await post(b, map);
    expect(after.cache).toBeNull();
    const figures = after.body.data.counties.nodes.find((n: { code: string }) => n.code === county.code);
    expect(figures.caseSummary.newConfirmed).toBe(county.caseSummary.newConfirmed + 7);
    // and the other way round: A answers the new version from what B stored
    const back = await post(a, map);
    expect(back.cache).toBe('hit');
    expect(back.body.extensions.sql.statements).toBe(1);
    expect(back.body.data).toEqual(after.body.data);
  });

  it('writes a hit from another instance from the stored text, byte for byte the miss (production: no extensions)', async () => {
    const env = { NODE_ENV: 'production', PASS_SIGNING_KEY: 'unused', ID_HASH_SECRET: 'unused-but-long-enough-0123456789abcdef', REDIS_KEY_PREFIX: `${prefix}prod:` };
    const [p, q] = await Promise.all([startTestServer({ env, redisUrl }), startTestServer({ env, redisUrl })]);
    try {
      const send = (s: TestServer) =>
        fetch(`${s.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: operation('NationalRiskMap') }) }).then(
          async (r) => ({ cache: r.headers.get('x-changxing-cache'), text: await r.text() }),
        );
      const miss = await send(p);
      // Parsed once from Redis, never serialised again: no large JSON.stringify while Q serves its hits.
      const stringify = jest.spyOn(JSON, 'stringify');
      const hits = [await send(q), await send(q)];
      const large = stringify.mock.results.filter((r) => typeof r.value === 'string' && r.value.length > 100_000);
      stringify.mockRestore();
      expect(large).toHaveLength(0);
      expect(miss.cache).toBeNull();
      for (const hit of hits) {
        expect(hit.cache).toBe('hit');
        expect(hit.text).toBe(miss.text);
      }
    } finally {
      await Promise.all([p.close(), q.close()]);
    }
  });
});

describe('with Redis unreachable', () => {
  // Nothing listens on port 1: every Redis command fails (after one reconnection attempt).
  let server: TestServer;
  const logs = new LogCapture();
  beforeAll(async () => {
    server = await startTestServer({ redisUrl: 'redis://127.0.0.1:1', logDestination: logs, logLevel: 'warn' });
  });
  afterAll(async () => {
    await server.close();
  });

  it('answers from the database as if every cache missed, and warns once per cache', async () => {
    // the registration was not kept anywhere: the client is asked for the text again
    const { byHash } = await registerThenSendHash(server, server, 'unreachable');
    expect(byHash.body.errors![0].extensions!.code).toBe('PERSISTED_QUERY_NOT_FOUND');

    const map = { query: operation('NationalRiskMap') };
    const first = await post(server, map);
    expect(first.cache).toBeNull();
    expect(first.body.errors).toBeUndefined();
    // the process's own copy still serves repeats
    const second = await post(server, map);
    expect(second.cache).toBe('hit');
    expect(second.body.data).toEqual(first.body.data);
    await post(server, { query: `{ apiInfo { version } }` });

    const warnings = logs.lines().filter((l) => l.msg === 'Redis cache unavailable: treated as a miss');
    expect(warnings.map((w) => w.prefix).sort()).toEqual(['cx:apq:', 'cx:response-data:']);
    expect(warnings.every((w) => w.failedSinceLastWarning === 1)).toBe(true);
  });

  it('refuses self-service lookups as SERVICE_UNAVAILABLE (503): an outage does not lift the limit', async () => {
    const [person] = DEMO_PEOPLE;
    const res = await server.gql(operation('CloseContactCheck'), { name: person.name, idNumber: person.idNumber });
    expect(res.status).toBe(503);
    expect(res.body.errors!.map((e) => e.extensions!.code)).toEqual(['SERVICE_UNAVAILABLE']);
    expect(JSON.stringify(res.body)).not.toContain(person.idNumber);
  });
});
