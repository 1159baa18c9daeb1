import { startTestServer, type TestServer } from '../helpers/server';
import { seededCopy, type OwnDatabase } from '../helpers/fixtures';
import { operation } from '../helpers/operations';
import { closePools, createPool, createPools, labelledPools, SOURCES, type PoolLabel, type PoolOptions, type Pools } from '../../src/db/pools';
import { loadConfig, ConfigError, type Config } from '../../src/config';
import { requestSql, SqlRecorder } from '../../datasources';
import { CaseSource } from '../../datasources/case';
import { PersonSource } from '../../datasources/person';
import { RegionSource } from '../../datasources/region';
import { DEMO_PEOPLE } from '../../src/seed/demoPeople';

/**
 * Read replicas (docs/federation.md, "Read replicas"). No real replica here: each source's "replica" is a second
 * pool on the test database whose sessions are read-only (as a hot standby's are) and named
 * `changxing-test:<source>:read`, so a write routed there fails, and every statement is logged with
 * the pool that served it.
 */
const HEALTH = { authorization: 'Bearer demo-health' };
const PARTNER = { authorization: 'Bearer demo-partner' };

interface Call {
  pool: PoolLabel;
  /** The statement's name (its leading comment), or `connect` for a transaction's connection. */
  name: string;
}

let server: TestServer;
let calls: Call[] = [];
/** When set, the replica answers the case data version with this (a replica behind the primary). */
let replicaVersion: string | null = null;

// Mutations are routed here: the suite works on a copy of the seed of its own.
let own: OwnDatabase;
const url = () => own.url;
const sameUrl = (u: string) => Object.fromEntries(SOURCES.map((s) => [s, u])) as Record<(typeof SOURCES)[number], string>;
const poolOptions = (): PoolOptions => ({ urls: sameUrl(url()), readUrls: sameUrl(url()), max: 4, statementTimeoutMs: 30000, applicationName: 'changxing-test' });

/**
 * Logs every statement sent through `pools` with the pool that received it. A request class's own
 * pools (docs/limits.md, "Bulkheads and load shedding") are logged under the label of the pool they stand for (`cases`,
 * `cases:read`): this suite is about primary against replica, whatever the class.
 */
function tap(pools: Pools): void {
  const classes = Object.values(pools.classes ?? {});
  for (const [label, pool] of [...labelledPools(pools), ...classes.flatMap((c) => labelledPools(c))]) {
    const query = pool.query.bind(pool) as (...args: unknown[]) => Promise<unknown>;
    const connect = pool.connect.bind(pool) as (...args: unknown[]) => Promise<unknown>;
    Object.assign(pool, {
      query: (text: unknown, ...rest: unknown[]) => {
        const name = typeof text === 'string' ? (/^\/\* (\S+) \*\//.exec(text)?.[1] ?? text) : 'other';
        calls.push({ pool: label, name });
        if (label === 'cases:read' && name === 'CaseDataVersion.replica' && replicaVersion !== null) {
          return Promise.resolve({ rows: [{ version: replicaVersion }] });
        }
        return query(text, ...rest);
      },
      // pool.query connects with a callback; Sql.transaction connects with no argument
      connect: (...args: unknown[]) => {
        if (args.length === 0) calls.push({ pool: label, name: 'connect' });
        return connect(...args);
      },
    });
  }
}

const namesOn = (pool: PoolLabel) => calls.filter((c) => c.pool === pool).map((c) => c.name);

beforeAll(async () => {
  own = await seededCopy('read_replicas');
  server = await startTestServer({ databaseUrl: own.url });
  // The server reads `pools.read` per request (createContext), per /readyz and per scrape.
  server.pools.read = Object.fromEntries(SOURCES.map((s) => [s, createPool(poolOptions(), s, true)]));
  // and each request class's replica pools, as createPools makes them when replicas are configured
  for (const classPools of Object.values(server.pools.classes ?? {})) classPools.read = Object.fromEntries(SOURCES.map((s) => [s, createPool(poolOptions(), s, true)]));
  tap(server.pools);
});
afterAll(async () => {
  await server?.close(); // closes the read pools too (closePools)
  await own?.drop();
});
beforeEach(() => {
  calls = [];
  replicaVersion = null;
});

describe('read replicas: the simulated replica', () => {
  it('is a read-only session named after its source, so a write sent there fails', async () => {
    const { rows } = await server.pools.read!.cases!.query<{ app: string; ro: string }>(
      "SELECT current_setting('application_name') AS app, current_setting('transaction_read_only') AS ro",
    );
    expect(rows[0]).toEqual({ app: 'changxing-test:cases:read', ro: 'on' });
    await expect(server.pools.read!.access!.query("INSERT INTO access.audit_log (role, operation, outcome) VALUES ('PUBLIC', 'x', 'OK')")).rejects.toThrow(
      /read-only transaction/,
    );
  });
});

describe('read replicas: routing over HTTP', () => {
  it('serves the national map from the read pools; only the case data version is read on the primary', async () => {
    const { body } = await server.gql(operation('NationalRiskMap'), {});
    expect(body.errors).toBeUndefined();
    expect(body.data.counties.nodes.length).toBeGreaterThan(100);
    expect(calls.filter((c) => !c.pool.endsWith(':read')).map((c) => c.name)).toEqual(['CaseDataVersion.primary']);
    expect(namesOn('cases:read')).toContain('CaseDataVersion.replica');
    expect(namesOn('cases:read').filter((n) => n !== 'CaseDataVersion.replica').length).toBeGreaterThan(0);
    expect(namesOn('region:read').length).toBeGreaterThan(0);
  });

  it('reads case data from the primary when the replica is behind the version that keys the response cache', async () => {
    replicaVersion = '-1';
    const { body } = await server.gql(`query($d: Int!) { regions(first: 3, level: PROVINCE) { nodes { code caseSummary(days: $d) { newConfirmed } } } }`, { d: 5 });
    expect(body.errors).toBeUndefined();
    expect(namesOn('cases:read')).toEqual(['CaseDataVersion.replica']);
    expect(namesOn('cases')).toContain('CaseDataVersion.primary');
    expect(namesOn('cases').filter((n) => n !== 'CaseDataVersion.primary').length).toBeGreaterThan(0);
    expect(namesOn('region:read').length).toBeGreaterThan(0);
  });

  it('sends a ReportDailyCases mutation to the primary (its transaction), nothing to the read pools but reads', async () => {
    const [row] = (
      await server.pools.cases.query<{ region_code: string; date: string; new_confirmed: number }>(
        'SELECT region_code, date, new_confirmed FROM cases.daily_reports ORDER BY date DESC, region_code DESC LIMIT 1',
      )
    ).rows;
    calls = [];
    // the stored figures again: a real write (a new data version) that changes no answer
    const { body } = await server.gql(operation('ReportDailyCases'), { input: [{ regionCode: row.region_code, date: row.date, newConfirmed: row.new_confirmed }] }, HEALTH);
    expect(body.errors).toBeUndefined();
    expect(body.data.reportDailyCases).toEqual({ accepted: 1, userErrors: [] });
    expect(namesOn('cases')).toContain('connect');
    expect(namesOn('cases:read')).not.toContain('connect');
    expect(namesOn('access:read')).toEqual([]);
  });

  it('checks passes (the statement that writes audit rows) and audits a health lookup without touching a read pool with a write', async () => {
    const person = DEMO_PEOPLE.find((p) => p.expectedColor === 'GREEN')!;
    const issued = await server.gql(operation('IssuePass'), { name: person.name, idNumber: person.idNumber });
    expect(issued.body.errors).toBeUndefined();
    calls = [];
    const checked = await server.gql(operation('CheckPasses'), { tokens: [issued.body.data.issuePass.pass.token] }, PARTNER);
    expect(checked.body.errors).toBeUndefined();
    expect(checked.body.data.checkPasses[0].status).toBe('VALID');
    expect(namesOn('access')).toContain('PassRegistry.checkAndAudit');
    expect(namesOn('access:read')).toEqual([]);
    calls = [];
    const record = await server.gql(operation('PersonRecord'), { idNumber: person.idNumber }, HEALTH);
    expect(record.body.errors).toBeUndefined();
    expect(record.body.data.person.name).toBe(person.name);
    expect(namesOn('access')).toContain('AuditSource.append');
    expect(namesOn('access:read')).toEqual([]);
    // the pass colour's facts carry the version that keys the county-level cache: primary, and the
    // case reads after them (county levels) too. The record's own reads (PersonSource: its cases and
    // contacts) are issued beside the facts, before the pin, and may be sent after them: a request's
    // statements to one pool go one at a time (src/db/lane.ts), so the log's order is the sending's.
    const facts = calls.findIndex((c) => c.name === 'PersonSource.passFacts');
    expect(calls[facts]?.pool).toBe('cases');
    expect(calls.slice(facts).filter((c) => c.pool === 'cases:read' && !['PersonSource.contactsByPerson', 'PersonSource.casesByPerson'].includes(c.name))).toEqual([]);
    expect(calls.slice(facts).filter((c) => c.pool === 'cases').length).toBeGreaterThan(1);
  });

  it('reports the read pools in /readyz and in the pool gauges', async () => {
    const ready = await fetch(`${server.url}/readyz`).then(async (r) => ({ status: r.status, body: (await r.json()) as any }));
    expect(ready.status).toBe(200);
    for (const s of SOURCES) expect(ready.body.checks[`${s}:read`]).toBe('ok');
    const metrics = await fetch(`${server.url}/metrics`).then((r) => r.text());
    expect(metrics).toMatch(/^changxing_pg_pool_connections\{source="cases:read"\} \d+$/m);
    expect(metrics).toMatch(/^changxing_pg_pool_connections\{source="cases"\} \d+$/m);
  });
});

describe('read replicas: read-your-writes within a request', () => {
  it('sends a request’s reads of a source to the primary once it wrote there, other sources and requests stay on the replica', async () => {
    const [row] = (
      await server.pools.cases.query<{ region_code: string; date: string; new_confirmed: number; new_asymptomatic: number; new_suspected: number; new_recovered: number; new_deaths: number }>(
        'SELECT region_code, date, new_confirmed, new_asymptomatic, new_suspected, new_recovered, new_deaths FROM cases.daily_reports ORDER BY date DESC, region_code LIMIT 1',
      )
    ).rows;
    const recorder = new SqlRecorder();
    const cases = new CaseSource(requestSql(server.pools, 'cases', recorder));
    const persons = new PersonSource(requestSql(server.pools, 'cases', recorder));
    const regions = new RegionSource(requestSql(server.pools, 'region', recorder));
    calls = [];
    await cases.latestReportDate();
    expect(calls).toEqual([{ pool: 'cases:read', name: 'CaseSource.latestReportDate' }]);

    calls = [];
    await cases.reportDaily([
      { regionCode: row.region_code, date: row.date, newConfirmed: row.new_confirmed, newAsymptomatic: row.new_asymptomatic, newSuspected: row.new_suspected, newRecovered: row.new_recovered, newDeaths: row.new_deaths },
    ]);
    await cases.latestReportDate();
    await persons.byIdHash.load(Buffer.alloc(32)); // another Sql object of the same source and request
    await regions.byCode.load(row.region_code);
    expect(calls).toEqual([
      { pool: 'cases', name: 'connect' },
      { pool: 'cases', name: 'CaseSource.latestReportDate' },
      { pool: 'cases', name: expect.stringMatching(/^PersonSource\./) },
      { pool: 'region:read', name: expect.stringMatching(/^RegionSource\./) },
    ]);
    expect(recorder.pinnedToPrimary('cases')).toBe(true);
    expect(recorder.pinnedToPrimary('region')).toBe(false);

    calls = [];
    await new CaseSource(requestSql(server.pools, 'cases', new SqlRecorder())).latestReportDate();
    expect(calls).toEqual([{ pool: 'cases:read', name: 'CaseSource.latestReportDate' }]);
  });
});

describe('read replicas: configuration', () => {
  // as openDatabase does (src/db/index.ts, which jest cannot load: node-pg-migrate is ESM only)
  const open = (config: Config) => {
    const pools = createPools({ urls: config.databaseUrls!, readUrls: config.readDatabaseUrls, max: 2, statementTimeoutMs: 30000, applicationName: 'changxing-test' });
    return { pools, close: () => closePools(pools) };
  };

  it('opens exactly one pool per source when no read URL is set, as before', async () => {
    const config = loadConfig({ NODE_ENV: 'test', DATABASE_URL: url() });
    expect(config.readDatabaseUrls).toEqual({});
    const db = open(config);
    try {
      expect(db.pools.read).toBeUndefined();
      expect(labelledPools(db.pools).map(([label]) => label)).toEqual([...SOURCES]);
      // and a datasource's reads go to its only pool
      const recorder = new SqlRecorder();
      const sql = requestSql(db.pools, 'cases', recorder);
      expect(sql.readsFromReplica).toBe(false);
    } finally {
      await db.close();
    }
  });

  it('opens a read pool per source from READ_DATABASE_URL, a per-source variable overriding it', async () => {
    const other = url().replace(/\/[^/?]+(\?|$)/, '/elsewhere$1');
    const config = loadConfig({ NODE_ENV: 'test', DATABASE_URL: url(), READ_DATABASE_URL: url(), MOBILITY_READ_DATABASE_URL: other });
    expect(config.readDatabaseUrls).toEqual({ region: url(), cases: url(), mobility: other, access: url() });
    const only = loadConfig({ NODE_ENV: 'test', DATABASE_URL: url(), CASE_READ_DATABASE_URL: url() });
    expect(only.readDatabaseUrls).toEqual({ cases: url() });
    const db = open(only);
    try {
      expect(Object.keys(db.pools.read ?? {})).toEqual(['cases']);
      const { rows } = await db.pools.read!.cases!.query<{ app: string; ro: string }>("SELECT current_setting('application_name') AS app, current_setting('transaction_read_only') AS ro");
      expect(rows[0]).toEqual({ app: 'changxing-test:cases:read', ro: 'on' });
    } finally {
      await db.close();
    }
  });

  it('rejects a read URL that is not a URL, and a read URL without a primary URL', () => {
    expect(() => loadConfig({ DATABASE_URL: url(), READ_DATABASE_URL: 'replica' })).toThrow(/READ_DATABASE_URL/);
    expect(() => loadConfig({ CASE_READ_DATABASE_URL: url() })).toThrow(ConfigError);
  });
});
