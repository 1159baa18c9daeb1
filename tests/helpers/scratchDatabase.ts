import { randomBytes } from 'node:crypto';
import pg from 'pg';

export interface ScratchDatabase {
  url: string;
  name: string;
  drop(): Promise<void>;
}

/** Database names are interpolated into DDL: letters, digits and underscores only. */
const PLAIN_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** The URL of the test run's shared seed, which also names the server (and credentials) every scratch database is made on. */
function serverUrl(): string {
  const url = process.env.TEST_DATABASE_URL;
  if (!url) throw new Error('TEST_DATABASE_URL is not set: run through jest (tests/helpers/globalSetup.ts)');
  return url;
}

/** `url` with its database part replaced by `name`. */
export function databaseUrl(name: string, on: string = serverUrl()): string {
  const url = new URL(on);
  url.pathname = `/${name}`;
  return url.toString();
}

/** Runs DDL that cannot run inside a database of its own (CREATE/DROP/ALTER DATABASE) through `postgres`. */
export async function adminQuery(sql: string, on: string = serverUrl()): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: databaseUrl('postgres', on) });
  await client.connect();
  try {
    return await client.query(sql);
  } finally {
    await client.end();
  }
}

/**
 * A database of its own on the test run's PostgreSQL server, made and dropped through the
 * `postgres` database with the run's credentials. Without `template` it is empty (not migrated,
 * not seeded), for suites about what happens to a fresh one: instances starting together,
 * database roles. With `template` it is a file-level copy of that database (tests/helpers/fixtures.ts:
 * the run's migrated templates), made in a fraction of a second instead of migrating and seeding.
 */
export async function createScratchDatabase(prefix: string, options: { template?: string; on?: string } = {}): Promise<ScratchDatabase> {
  const name = `${prefix}_${randomBytes(4).toString('hex')}`;
  for (const n of [name, options.template ?? 'postgres']) {
    if (!PLAIN_NAME.test(n)) throw new Error(`createScratchDatabase: "${n}" is not a plain database name (a-z, 0-9, _; at most 63)`);
  }
  await adminQuery(`CREATE DATABASE ${name}${options.template ? ` TEMPLATE ${options.template}` : ''}`, options.on);
  return { url: databaseUrl(name, options.on), name, drop: () => adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`, options.on).then(() => undefined) };
}
