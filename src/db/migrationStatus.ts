import { readdirSync } from 'node:fs';
import path from 'node:path';
import type { Pools, SourceName } from './pools';
import { openedSources, SOURCES } from './pools';
import { projectPath } from '../paths';

// Kept apart from migrate.ts: node-pg-migrate is ESM-only, and what the server needs at run time
// (readiness) should not load the migration runner.

export const MIGRATIONS_DIR = projectPath('migrations');

/** Each source has its own folder, its own schema and its own migrations table in that schema. */
export const SCHEMA: Record<SourceName, string> = { region: 'region', cases: 'cases', mobility: 'mobility', access: 'access' };
export const migrationsTable = 'pgmigrations';

/** Migration names per source, as node-pg-migrate records them (file name without extension). */
const MIGRATION_FILES: Record<SourceName, string[]> = Object.fromEntries(
  SOURCES.map((source) => [
    source,
    readdirSync(path.join(MIGRATIONS_DIR, source))
      .filter((f) => f.endsWith('.sql'))
      .map((f) => f.replace(/\.sql$/, '')),
  ]),
) as Record<SourceName, string[]>;

/**
 * Migrations that a source's database has not applied yet (`readyz`). Connection errors propagate:
 * an unreachable database is not the same answer as an unmigrated one. Only the sources this process
 * opened: a subgraph is not made unready by a database it never reads.
 */
export async function pendingMigrations(pools: Pools): Promise<string[]> {
  const pending: string[] = [];
  for (const source of openedSources(pools)) {
    let applied: Set<string>;
    try {
      const r = await pools[source].query<{ name: string }>(
        `/* migrate.pending */ SELECT name FROM ${SCHEMA[source]}.${migrationsTable}`,
      );
      applied = new Set(r.rows.map((row) => row.name));
    } catch (err) {
      if ((err as { code?: string }).code !== '42P01') throw err; // undefined_table: never migrated
      applied = new Set();
    }
    for (const name of MIGRATION_FILES[source]) if (!applied.has(name)) pending.push(`${source}/${name}`);
  }
  return pending;
}
