import type { Logger } from 'pino';
import type { Config } from '../config';
import type { Secrets } from '../secrets';
import { startEmbeddedPostgres, type EmbeddedDatabase } from './embedded';
import { migrateAll } from './migrate';
import { classPoolSettings, closePools, createPools, type Pools, type SourceName } from './pools';

export interface Database {
  pools: Pools;
  urls: Record<SourceName, string>;
  /** The embedded cluster when no DATABASE_URL was given, else null. */
  embedded: EmbeddedDatabase | null;
  close(): Promise<void>;
}

/**
 * Opens the datasources: the configured URLs, or the embedded PostgreSQL when none is set.
 * Migrations run here, so every process that opens the database sees the current schema.
 * `sources`: only these are opened, migrated and checked by /readyz (a subgraph's row of the
 * matrix, README "Federation"); the URLs of the others are never dialled. Default: all.
 */
export async function openDatabase(
  config: Config,
  secrets: Secrets,
  logger: Logger,
  options: { migrate?: boolean; applicationName?: string; sources?: readonly SourceName[] } = {},
): Promise<Database> {
  let embedded: EmbeddedDatabase | null = null;
  let urls = config.databaseUrls;
  if (!urls) {
    embedded = await startEmbeddedPostgres({
      dataDir: config.dataDir,
      port: config.embeddedPgPort,
      password: secrets.embeddedPgPassword,
      logger,
    });
    urls = { region: embedded.url, cases: embedded.url, mobility: embedded.url, access: embedded.url };
  }
  const pools = createPools({
    urls,
    sources: options.sources,
    readUrls: config.readDatabaseUrls,
    max: config.pgPoolMax,
    statementTimeoutMs: config.pgStatementTimeoutMs,
    connectionTimeoutMs: config.pgConnectionTimeoutMs,
    // each request class's share of PG_POOL_MAX, with its deadline as statement_timeout (README, "Bulkheads")
    classes: classPoolSettings(config.pgPoolMax, config.pgStatementTimeoutMs, config.classLimits),
    applicationName: options.applicationName ?? 'changxing',
    onIdleError: (source, err) =>
      logger.warn({ source, code: (err as { code?: string }).code, err: { message: err.message } }, 'idle database connection lost; the pool replaces it'),
  });
  const close = async () => {
    await closePools(pools);
    if (embedded) await embedded.stop();
  };
  try {
    if (options.migrate !== false) await migrateAll(pools, (m) => logger.debug(m), { lockTimeoutMs: config.migrationLockTimeoutMs });
  } catch (err) {
    await close();
    throw err;
  }
  return { pools, urls, embedded, close };
}
