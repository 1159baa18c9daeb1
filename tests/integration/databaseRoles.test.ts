import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { freePort, waitFor } from '../helpers/processes';
import { runEntryPoint, type Running } from '../helpers/entryPoints';
import { createScratchDatabase } from '../helpers/scratchDatabase';
import { postGraphQL } from '../helpers/server';
import { operation } from '../helpers/operations';
import { DEMO_PEOPLE } from '../../src/seed/demoPeople';
import { todayCst } from '../../src/clock';
import { generatePassSigningKey } from '../../src/pass/token';
import { closePools, createPools, SOURCES, type SourceName } from '../../src/db/pools';
import { grantAppPrivileges } from '../../src/db/roles';
import { TEST_BULKHEADS } from '../helpers/bulkheads';

const sameUrl = (url: string) => Object.fromEntries(SOURCES.map((s) => [s, url])) as Record<SourceName, string>;

/**
 * Database roles (issue 15, 6e; docs/operations.md, "Database roles"): the API connects as a role that owns no
 * table, the migrations and the demo seed run as the owner (MIGRATION_DATABASE_USER), and the API's
 * role cannot disable the audit trail's trigger, alter a table or rewrite the trail — while
 * everything the API does still works with the privileges granted per source.
 */
const scratch = mkdtempSync(path.join(tmpdir(), 'changxing-roles-'));
const HEALTH = { authorization: 'Bearer demo-health' };
const PARTNER = { authorization: 'Bearer demo-partner' };

let db: Awaited<ReturnType<typeof createScratchDatabase>>;
let appRole: string;
let appUrl: string;
let owner: pg.Client;
let server: Running | null = null;
let base: string;

/** Connects to the scratch database as `user` (the test server trusts local connections). */
async function as(user: string): Promise<pg.Client> {
  const url = new URL(db.url);
  url.username = user;
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  return client;
}

beforeAll(async () => {
  db = await createScratchDatabase('changxing_roles');
  owner = new pg.Client({ connectionString: db.url });
  await owner.connect();
  const ownerRole = (await owner.query('SELECT current_user AS u')).rows[0].u as string;
  appRole = `cx_app_${randomBytes(4).toString('hex')}`;
  // the operator's one step: a login role with nothing of its own
  await owner.query(`CREATE ROLE ${appRole} LOGIN`);
  const url = new URL(db.url);
  url.username = appRole;
  appUrl = url.toString();
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  server = runEntryPoint('src/main.ts', [], {
    ...process.env,
    // shedding out of the way, as for every suite's server (tests/helpers/bulkheads.ts): just after its
    // start-up seed the loop was busy past public's 50 % while the test's pass check was being served,
    // and a clean-clone CI run had the region read below answered 503 event_loop_busy
    ...TEST_BULKHEADS,
    NODE_ENV: 'development',
    DATABASE_URL: appUrl,
    MIGRATION_DATABASE_USER: ownerRole,
    PORT: String(port),
    HOST: '127.0.0.1',
    DATA_DIR: path.join(scratch, 'data'),
    SEED_ON_START: 'auto',
    LOG_LEVEL: 'info',
    // its self-service counts (a day long, per address) apart from whatever else this Redis holds
    REDIS_KEY_PREFIX: `cx-roles-${process.pid}-${Date.now()}:`,
  });
  await waitFor(async () => server!.child.exitCode !== null || (await fetch(`${base}/readyz`).then((r) => r.ok, () => false)), 120_000, 'the server as its own role');
  if (server.child.exitCode !== null) throw new Error(`the server exited with ${server.child.exitCode}:\n${server.output()}`);
}, 150_000);

afterAll(async () => {
  await server?.stop();
  await owner?.end().catch(() => undefined);
  await db?.drop();
  if (appRole) {
    // roles belong to the cluster: dropped from another database once the scratch one is gone
    const url = new URL(db.url);
    url.pathname = '/postgres';
    const admin = new pg.Client({ connectionString: url.toString() });
    await admin.connect();
    await admin.query(`DROP ROLE IF EXISTS ${appRole}`);
    await admin.end();
  }
  rmSync(scratch, { recursive: true, force: true });
}, 60_000);

describe('the API connects as a role that owns nothing', () => {
  it('and every connection of the server is that role, none a superuser or an owner', async () => {
    const { rows } = await owner.query(`SELECT DISTINCT usename FROM pg_stat_activity WHERE datname = current_database() AND application_name LIKE 'changxing%'`);
    expect(rows.map((r) => r.usename)).toEqual([appRole]);
    const owned = await owner.query(`SELECT count(*)::int AS n FROM pg_class c JOIN pg_roles r ON r.oid = c.relowner WHERE r.rolname = $1`, [appRole]);
    expect(owned.rows[0].n).toBe(0);
    // nothing went wrong at start: the seed (as the owner), the retention purge (definer functions)
    expect(server!.output()).toContain('demo data seeded');
    expect(server!.output()).not.toMatch(/retention purge failed|permission denied|could alter or disable the audit trail/);
  });

  it('which cannot disable the audit trigger, alter or drop a table, or rewrite the trail', async () => {
    const app = await as(appRole);
    try {
      const refused = async (sql: string) => app.query(sql).then(() => 'allowed', (e: { code?: string }) => e.code);
      for (const sql of [
        'ALTER TABLE access.audit_log DISABLE TRIGGER audit_log_no_update_delete',
        'ALTER TABLE access.audit_log DISABLE TRIGGER ALL',
        'ALTER TABLE region.regions ADD COLUMN x int',
        'ALTER TABLE cases.daily_reports DROP CONSTRAINT IF EXISTS x',
        'DROP TABLE access.audit_log',
        'TRUNCATE access.audit_log',
        "UPDATE access.audit_log SET outcome = 'x'",
        'DELETE FROM access.audit_log',
        'DELETE FROM cases.persons',
        "INSERT INTO access.api_keys (key_hash, role, owner_name) VALUES ('\\x00', 'HEALTH', 'x')",
        "SELECT mobility.create_range_partition('stays', 'left_at', 'x', '2000-01-01', '2000-02-01')",
        'SET session_replication_role = replica',
        'CREATE TABLE access.x (id int)',
      ]) {
        expect([sql, await refused(sql)]).toEqual([sql, '42501']); // insufficient_privilege
      }
      // what the API does need is there: append to the trail
      await app.query("INSERT INTO access.audit_log (role, operation, outcome) VALUES ('PUBLIC', 'test', 'OK')");
    } finally {
      await app.end();
    }
  });

  it('while the API works: reads, self-service, pass issue and check, ingestion, the audit trail', async () => {
    const [wang] = DEMO_PEOPLE;
    const issued = await postGraphQL(base, operation('IssuePass'), { name: wang.name, idNumber: wang.idNumber });
    expect(issued.body.errors).toBeUndefined();
    const token = issued.body.data.issuePass.pass.token;
    const checked = await postGraphQL(base, operation('CheckPass'), { token }, PARTNER);
    expect(checked.body.data.checkPass.status).toBe('VALID');
    const self = await postGraphQL(base, operation('CloseContactCheck'), { name: wang.name, idNumber: wang.idNumber });
    expect(self.body.errors).toBeUndefined();
    const report = await postGraphQL(base, operation('ReportDailyCases'), { input: [{ regionCode: '420106', date: todayCst(), newConfirmed: 7 }] }, HEALTH);
    expect(report.body.errors).toBeUndefined();
    expect(report.body.data.reportDailyCases.userErrors).toEqual([]);
    const map = await postGraphQL(base, '{ region(code: "420106") { caseSummary(days: 1) { newConfirmed } } }');
    expect(map.body.errors).toBeUndefined();
    expect(map.body.data.region.caseSummary.newConfirmed).toBe(7);
    const trail = await postGraphQL(base, '{ auditTrail(first: 5) { totalCount } }', undefined, HEALTH);
    expect(trail.body.data.auditTrail.totalCount).toBeGreaterThan(3);
  });
});

describe('instances started together', () => {
  it('grant the role its privileges one after another: none fails with "tuple concurrently updated"', async () => {
    // the second of two production instances the attack bench started at once failed so (issue 15)
    const owners = Array.from({ length: 6 }, () => createPools({ urls: sameUrl(db.url), max: 1, statementTimeoutMs: 30_000, applicationName: 'changxing-test:grants', classes: false }));
    try {
      const roles = SOURCES.map((source) => ({ source, name: appRole, superuser: false, ownsTables: 0 }));
      for (let round = 0; round < 3; round++) await Promise.all(owners.map((pools) => grantAppPrivileges(pools, roles)));
    } finally {
      await Promise.all(owners.map((pools) => closePools(pools)));
    }
  }, 60_000);
});

describe('in production', () => {
  it('an API connecting as the owner (or a superuser) does not start, and says what to set', async () => {
    const port = await freePort();
    const prod = runEntryPoint('src/main.ts', [], {
      ...process.env,
      NODE_ENV: 'production',
      DATABASE_URL: db.url, // the owner's
      ID_HASH_SECRET: 'x'.repeat(32),
      PASS_SIGNING_KEY: generatePassSigningKey(),
      PORT: String(port),
      HOST: '127.0.0.1',
      DATA_DIR: path.join(scratch, 'prod'),
      LOG_LEVEL: 'warn',
    });
    expect(await prod.exited).toBe(1);
    expect(prod.output()).toMatch(/could alter or disable the audit trail — region: \S+ \(a superuser\).*\(MIGRATION_DATABASE_USER, MIGRATION_DATABASE_PASSWORD\)/);
    expect(prod.output()).not.toMatch(/report it/);
  }, 60_000);
});
