/**
 * Bench database: `changxing_bench` on the server of DATABASE_URL (created if missing), or an
 * embedded cluster of its own (.data/bench, port 54359). Seeds the `medium` data set when the
 * database is empty or its data does not end today, and otherwise reuses it between runs.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import path from 'node:path';
import pg from 'pg';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../src/db/embedded';
import { createPools, closePools, type Pools } from '../src/db/pools';
import { migrateAll } from '../src/db/migrate';
import { seedDatabase } from '../src/seed';
import { todayCst } from '../src/clock';
import { CaseSource } from '../datasources/case';
import { Sql, SqlRecorder } from '../src/db/sql';
import { KeyStore } from '../datasources/apiKeys';
import { ensureLoginRole } from '../src/db/roles';

export const ROOT = path.resolve(__dirname, '..');
const SECRETS_FILE = path.join(ROOT, '.data/bench-secrets.json');
// BENCH_DATABASE: engineers benchmarking side by side on one PostgreSQL keep their seeds apart.
export const BENCH_DB = process.env.BENCH_DATABASE ?? 'changxing_bench';

export interface BenchSecrets {
  idHashSecret: string;
  passSigningKey: string;
  embeddedPgPassword: string;
}

/** One ID hash secret for seeding and serving, kept between runs (git-ignored under .data). */
export function benchSecrets(): BenchSecrets {
  if (existsSync(SECRETS_FILE)) return JSON.parse(readFileSync(SECRETS_FILE, 'utf8')) as BenchSecrets;
  const s: BenchSecrets = {
    idHashSecret: randomBytes(32).toString('base64url'),
    passSigningKey: generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    embeddedPgPassword: randomBytes(18).toString('base64url'),
  };
  mkdirSync(path.dirname(SECRETS_FILE), { recursive: true });
  writeFileSync(SECRETS_FILE, JSON.stringify(s, null, 2), { mode: 0o600 });
  return s;
}

export interface BenchDatabase {
  url: string;
  secrets: BenchSecrets;
  seeded: boolean;
  rowCounts: Record<string, number>;
  postgresVersion: string;
  keys: { partner: string; gov: string };
  close(): Promise<void>;
}

export async function openBenchDatabase(log: (m: string) => void): Promise<BenchDatabase> {
  const secrets = benchSecrets();
  let embedded: EmbeddedDatabase | null = null;
  let url: string;
  if (process.env.DATABASE_URL) {
    const admin = new pg.Client({ connectionString: process.env.DATABASE_URL });
    await admin.connect();
    const { rowCount } = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [BENCH_DB]);
    if (!rowCount) {
      log(`creating database ${BENCH_DB}`);
      await admin.query(`CREATE DATABASE ${BENCH_DB}`);
    }
    await admin.end();
    const u = new URL(process.env.DATABASE_URL);
    u.pathname = `/${BENCH_DB}`;
    url = u.toString();
  } else {
    log('no DATABASE_URL: starting the embedded PostgreSQL in .data/bench (port 54359)');
    embedded = await startEmbeddedPostgres({ dataDir: path.join(ROOT, '.data/bench'), port: 54359, password: secrets.embeddedPgPassword });
    url = embedded.url;
  }
  const pools: Pools = createPools({
    urls: { region: url, cases: url, mobility: url, access: url },
    max: 4,
    statementTimeoutMs: 3_600_000,
    connectionTimeoutMs: 30_000,
    applicationName: 'changxing-bench-setup',
  });
  try {
    await migrateAll(pools);
    const latest = await new CaseSource(new Sql(pools.cases, 'cases', new SqlRecorder())).latestReportDate();
    const today = todayCst();
    let seeded = false;
    if (latest == null || latest !== today) {
      log(`seeding medium (${latest == null ? 'empty database' : `data ends on ${latest}, today is ${today}`}); this takes a few minutes`);
      const summary = await seedDatabase(pools, { scale: 'medium', idHashSecret: secrets.idHashSecret });
      log(`seeded medium in ${Math.round(summary.ms / 1000)} s`);
      seeded = true;
    } else {
      log(`reusing the medium data set in ${BENCH_DB} (ends today, ${today})`);
    }
    await createPostgraphileView(pools.cases);
    const store = KeyStore.over(pools.access);
    const partner = (await store.create({ role: 'PARTNER', ownerName: 'bench (npm run bench)' })).key;
    const gov = (await store.create({ role: 'GOV', ownerName: 'bench (npm run bench)' })).key;
    const rowCounts: Record<string, number> = {};
    for (const t of ['region.regions', 'cases.daily_reports', 'cases.clusters', 'cases.persons', 'cases.case_records', 'cases.contacts', 'mobility.flows', 'mobility.stays']) {
      try {
        rowCounts[t] = Number((await pools.cases.query(`SELECT count(*)::bigint AS n FROM ${t}`)).rows[0].n);
      } catch {
        // a table the schema does not have
      }
    }
    const postgresVersion = (await pools.cases.query<{ v: string }>("SELECT current_setting('server_version') AS v")).rows[0].v;
    return {
      url,
      secrets,
      seeded,
      rowCounts,
      postgresVersion,
      keys: { partner, gov },
      close: async () => {
        await closePools(pools);
        if (embedded) await embedded.stop();
      },
    };
  } catch (err) {
    await closePools(pools);
    if (embedded) await embedded.stop();
    throw err;
  }
}

/**
 * What PostGraphile is given for W1: one view, in its own schema, with every county, its province
 * and the 14-day figures the NationalRiskMap shows (as of today, China Standard Time).
 */
export const POSTGRAPHILE_VIEW_SQL = `
CREATE SCHEMA IF NOT EXISTS bench_pg;
CREATE OR REPLACE VIEW bench_pg.county_summary AS
SELECT c.code, c.name, c.population,
       p.code AS province_code, p.name AS province_name,
       coalesce(w.new_confirmed, 0)::int AS new_confirmed_14d,
       coalesce(l.cumulative_confirmed, 0)::int AS cumulative_confirmed,
       EXISTS (SELECT 1 FROM cases.clusters cl
                WHERE cl.region_code = c.code
                  AND cl.detected_on BETWEEN (now() AT TIME ZONE 'Asia/Shanghai')::date - 13 AND (now() AT TIME ZONE 'Asia/Shanghai')::date) AS has_cluster
  FROM region.regions c
  JOIN region.regions p ON p.code = c.province_code
  LEFT JOIN LATERAL (
    SELECT sum(d.new_confirmed) AS new_confirmed FROM cases.daily_reports d
     WHERE d.region_code = c.code
       AND d.date BETWEEN (now() AT TIME ZONE 'Asia/Shanghai')::date - 13 AND (now() AT TIME ZONE 'Asia/Shanghai')::date
  ) w ON true
  LEFT JOIN LATERAL (
    SELECT d.cumulative_confirmed FROM cases.daily_reports d
     WHERE d.region_code = c.code AND d.date <= (now() AT TIME ZONE 'Asia/Shanghai')::date
     ORDER BY d.date DESC LIMIT 1
  ) l ON true
 WHERE c.level = 'COUNTY';
COMMENT ON VIEW bench_pg.county_summary IS E'@primaryKey code\\nEvery county with its province and 14-day figures (bench only).';
`;

async function createPostgraphileView(pool: pg.Pool): Promise<void> {
  await pool.query(POSTGRAPHILE_VIEW_SQL);
}

/** Environment of an in-process server over the bench database (statement capture, profiles). */
export function inProcessServerEnv(db: BenchDatabase, extra: Record<string, string>): NodeJS.ProcessEnv {
  return {
    ...process.env,
    DATABASE_URL: db.url,
    ID_HASH_SECRET: db.secrets.idHashSecret,
    PASS_SIGNING_KEY: db.secrets.passSigningKey,
    RESPONSE_CACHE: 'off',
    ...extra,
  };
}

/**
 * What a production server over `url` (a URL of the schemas' owner, e.g. a superuser's) needs to
 * start: production refuses an API role that could rewrite the audit trail (src/db/roles.ts), so the
 * API logs in as `role`, a login role with nothing of its own (made or reset here, with a new
 * password), and `url`'s user migrates and grants it its privileges (MIGRATION_DATABASE_USER).
 */
export async function apiRoleEnv(url: string, role: string): Promise<Record<string, string>> {
  const owner = new URL(url);
  const pool = new pg.Pool({ connectionString: url, max: 1 });
  const password = randomBytes(18).toString('base64url');
  try {
    await ensureLoginRole(pool, role, password);
  } finally {
    await pool.end();
  }
  const api = new URL(url);
  api.username = role;
  api.password = password;
  return {
    DATABASE_URL: api.toString(),
    MIGRATION_DATABASE_USER: decodeURIComponent(owner.username || 'postgres'),
    ...(owner.password ? { MIGRATION_DATABASE_PASSWORD: decodeURIComponent(owner.password) } : {}),
  };
}
