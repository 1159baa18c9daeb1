import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { testDatabaseUrl } from './server';

/**
 * An empty database of its own on the test run's PostgreSQL server (not migrated, not seeded), for
 * suites about what happens to a fresh one: instances starting together, database roles. Made and
 * dropped through the `postgres` database with the test run's credentials.
 */
export async function createScratchDatabase(prefix: string, options: { template?: string } = {}): Promise<{ url: string; name: string; drop(): Promise<void> }> {
  const name = `${prefix}_${randomBytes(4).toString('hex')}`;
  const admin = new URL(testDatabaseUrl());
  admin.pathname = '/postgres';
  const run = async (sql: string) => {
    const client = new pg.Client({ connectionString: admin.toString() });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  await run(options.template ? `CREATE DATABASE ${name} TEMPLATE ${options.template}` : `CREATE DATABASE ${name}`);
  const url = new URL(testDatabaseUrl());
  url.pathname = `/${name}`;
  return { url: url.toString(), name, drop: () => run(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}
