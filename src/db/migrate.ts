import path from 'node:path';
import { runner } from 'node-pg-migrate';
import type { Pools } from './pools';
import { openedSources, SOURCES } from './pools';
import { MIGRATIONS_DIR, SCHEMA, migrationsTable } from './migrationStatus';


/**
 * Applies pending migrations of every source, one after another (they may share a database, and
 * node-pg-migrate takes an advisory lock per run; distinct lock values keep sources independent).
 * Sources this process did not open (a subgraph's: README, "Federation") are left to those that did.
 */
export async function migrateAll(pools: Pools, log: (msg: string) => void = () => {}): Promise<void> {
  for (const [i, source] of SOURCES.entries()) {
    if (!openedSources(pools).includes(source)) continue;
    const client = await pools[source].connect();
    try {
      await runner({
        dbClient: client,
        dir: path.join(MIGRATIONS_DIR, source),
        direction: 'up',
        migrationsTable,
        migrationsSchema: SCHEMA[source],
        createMigrationsSchema: true,
        schema: SCHEMA[source],
        checkOrder: true,
        lockValue: 7241865325823964 + i,
        log: (msg) => log(`[${source}] ${msg}`),
      });
    } finally {
      client.release();
    }
  }
}
