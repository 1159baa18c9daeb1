import path from 'node:path';
import { runner } from 'node-pg-migrate';
import type { Pools } from './pools';
import { openedSources, SOURCES } from './pools';
import { MIGRATIONS_DIR, SCHEMA, migrationsTable } from './migrationStatus';

/** How long an instance waits, by default, for another one's migrations of a source (MIGRATION_LOCK_TIMEOUT_MS). */
export const DEFAULT_MIGRATION_LOCK_TIMEOUT_MS = 120_000;

/** The advisory lock of a source's migrations: node-pg-migrate's, one per source, so that sources sharing a database stay independent. */
export const migrationLockValue = (source: (typeof SOURCES)[number]) => 7241865325823964 + SOURCES.indexOf(source);

/** Start-up gave up waiting for another process's migrations (src/startup.ts says what to do). */
export class MigrationLockTimeout extends Error {
  override name = 'MigrationLockTimeout';
}

/** PostgreSQL's "canceling statement due to lock timeout" / "… statement timeout". */
const GAVE_UP = new Set(['55P03', '57014']);

/**
 * Applies pending migrations of every source, one after another (they may share a database).
 * Sources this process did not open (a subgraph's: docs/federation.md) are left to those that did.
 *
 * Several instances may start at once against one database (a rolling deploy, a scaled-out start):
 * each waits for the source's advisory lock (node-pg-migrate's `wait` mode, `pg_advisory_lock`)
 * instead of failing with "Another migration is already running", then finds the migrations
 * applied by whoever held it and has nothing to do. The wait is bounded by `lockTimeoutMs` (the
 * session's lock_timeout and statement_timeout while it migrates, which also bound each migration
 * statement; reset before the connection goes back to the pool). A lock holder that dies releases
 * the lock with its session, so a crashed instance never blocks the others for longer than that.
 */
export async function migrateAll(
  pools: Pools,
  log: (msg: string) => void = () => {},
  { lockTimeoutMs = DEFAULT_MIGRATION_LOCK_TIMEOUT_MS }: { lockTimeoutMs?: number } = {},
): Promise<void> {
  const bound = Math.max(1, Math.floor(lockTimeoutMs));
  for (const source of SOURCES) {
    if (!openedSources(pools).includes(source)) continue;
    const client = await pools[source].connect();
    try {
      await client.query(`/* migrate.bound */ SET lock_timeout = ${bound}; SET statement_timeout = ${bound}`);
      await runner({
        dbClient: client,
        dir: path.join(MIGRATIONS_DIR, source),
        direction: 'up',
        migrationsTable,
        migrationsSchema: SCHEMA[source],
        createMigrationsSchema: true,
        schema: SCHEMA[source],
        checkOrder: true,
        lockValue: migrationLockValue(source),
        advisoryLockMode: 'wait',
        log: (msg) => log(`[${source}] ${msg}`),
      });
    } catch (err) {
      if (GAVE_UP.has((err as { code?: string }).code ?? '')) {
        throw new MigrationLockTimeout(
          `Another process held the migration lock of the ${source} source (or one of its migrations ran) for more than ${bound} ms ` +
            `(MIGRATION_LOCK_TIMEOUT_MS): is another instance stuck migrating this database? Start again once it is done, ` +
            `or raise MIGRATION_LOCK_TIMEOUT_MS for long migrations. (${(err as Error).message})`,
          { cause: err },
        );
      }
      throw err;
    } finally {
      // a connection that cannot be reset (it broke) is discarded, not pooled with these bounds
      const reset = await client.query('/* migrate.bound */ RESET lock_timeout; RESET statement_timeout').then(() => true, () => false);
      client.release(!reset);
    }
  }
}
