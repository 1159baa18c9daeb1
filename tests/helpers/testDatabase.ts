import { randomBytes } from 'node:crypto';
import { openDatabaseCluster } from '../../src/db/cluster';
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
  const cluster = await openDatabaseCluster(process.env.DATABASE_URL ?? null, { dataDir: '.data/test', port: TEST_EMBEDDED_PORT, password: 'changxing-test' });
  return {
    createDatabase: (prefix) => cluster.createDatabase(`${prefix}_${randomBytes(4).toString('hex')}`),
    dropDatabase: (url) => cluster.dropDatabase(new URL(url).pathname.slice(1)),
    stop: () => cluster.stop(),
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
