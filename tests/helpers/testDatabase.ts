import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../../src/db/embedded';
import { closePools } from '../../src/db/pools';
import { poolsFor } from './pools';
import { migrateAll } from '../../src/db/migrate';

// Loaded by globalSetup only (outside jest's module sandbox): node-pg-migrate is ESM-only.

/**
 * A fresh database per test run: on the server in DATABASE_URL when set (CI runs PostgreSQL on
 * 127.0.0.1:5432), otherwise on an embedded PostgreSQL under .data/test. Dropped at the end.
 */
export interface TestCluster {
  createDatabase(prefix: string): Promise<string>;
  dropDatabase(url: string): Promise<void>;
  stop(): Promise<void>;
}

export const TEST_EMBEDDED_PORT = Number(process.env.TEST_EMBEDDED_PG_PORT ?? 54339);

export async function openTestCluster(): Promise<TestCluster> {
  const adminUrl = process.env.DATABASE_URL;
  if (adminUrl) {
    const admin = async <T>(fn: (c: pg.Client) => Promise<T>) => {
      const client = new pg.Client({ connectionString: adminUrl });
      await client.connect();
      try {
        return await fn(client);
      } finally {
        await client.end();
      }
    };
    return {
      async createDatabase(prefix) {
        const name = `${prefix}_${randomBytes(4).toString('hex')}`;
        await admin((c) => c.query(`CREATE DATABASE ${name}`));
        const url = new URL(adminUrl);
        url.pathname = `/${name}`;
        return url.toString();
      },
      async dropDatabase(url) {
        const name = new URL(url).pathname.slice(1);
        await admin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
      },
      stop: async () => undefined,
    };
  }
  const embedded: EmbeddedDatabase = await startEmbeddedPostgres({
    dataDir: '.data/test',
    port: TEST_EMBEDDED_PORT,
    password: 'changxing-test',
    database: 'postgres',
  });
  return {
    async createDatabase(prefix) {
      return embedded.createDatabase(`${prefix}_${randomBytes(4).toString('hex')}`);
    },
    async dropDatabase(url) {
      await embedded.dropDatabase(new URL(url).pathname.slice(1));
    },
    stop: () => embedded.stop(),
  };
}

export async function migrated(url: string): Promise<void> {
  const pools = poolsFor(url, 1);
  try {
    await migrateAll(pools);
  } finally {
    await closePools(pools);
  }
}
