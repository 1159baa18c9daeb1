import pg from 'pg';
import type { Logger } from 'pino';
import type { Config } from '../config';
import type { Secrets } from '../secrets';
import { startEmbeddedPostgres, type EmbeddedDatabase } from './embedded';
import { migrateAll } from './migrate';
import { classPoolSettings, closePools, createPools, SOURCES, type Pools, type SourceName } from './pools';
import { appRoles, DatabaseRoleError, describeOverprivileged, EMBEDDED_APP_ROLE, ensureLoginRole, grantAppPrivileges, overprivileged, warnOverprivileged } from './roles';

export interface Database {
  /** The API's pools: its role owns no table (docs/operations.md, "Database roles"). */
  pools: Pools;
  /** The API's URLs (the gateway child of start:federated looks keys up with the access one). */
  urls: Record<SourceName, string>;
  /**
   * Pools of the schemas' owner, for what start-up and the tools do as the owner after the
   * migrations (the demo seed, `npm run keys`); null when the API connects as the owner itself
   * (a DATABASE_URL without MIGRATION_DATABASE_USER). Servers close them once started (closeOwner).
   */
  owner: Pools | null;
  /** The embedded cluster when no DATABASE_URL was given, else null. */
  embedded: EmbeddedDatabase | null;
  closeOwner(): Promise<void>;
  close(): Promise<void>;
}

/** `url` with other credentials. */
export function withCredentials(url: string, user: string, password: string | null): string {
  const u = new URL(url);
  u.username = user;
  u.password = password ?? '';
  return u.toString();
}

/**
 * Opens the datasources: the configured URLs, or the embedded PostgreSQL when none is set.
 * Migrations run here, so every process that opens the database sees the current schema.
 * `sources`: only these are opened, migrated and checked by /readyz (a subgraph's row of the
 * matrix, docs/federation.md); the URLs of the others are never dialled. Default: all.
 *
 * Roles (src/db/roles.ts): the migrations run as the schemas' owner — the embedded cluster's
 * superuser, or MIGRATION_DATABASE_USER on each source's database — which then grants the API's
 * role (the embedded `changxing_app`, or the user of each source's URL) what it needs. An API role
 * that could rewrite the audit trail (a superuser, or an owner of the tables) stops start-up in
 * production and is a warning elsewhere.
 */
export async function openDatabase(
  config: Config,
  secrets: Secrets,
  logger: Logger,
  options: { migrate?: boolean; applicationName?: string; sources?: readonly SourceName[] } = {},
): Promise<Database> {
  let embedded: EmbeddedDatabase | null = null;
  let urls = config.databaseUrls;
  let ownerUrls: Record<SourceName, string> | null = null;
  if (!urls) {
    embedded = await startEmbeddedPostgres({
      dataDir: config.dataDir,
      port: config.embeddedPgPort,
      password: secrets.embeddedPgPassword,
      logger,
    });
    // the superuser owns and migrates; the API logs in as a role of its own with no privileges but the granted ones
    const admin = new pg.Pool({ connectionString: embedded.url, max: 1 });
    try {
      await ensureLoginRole(admin, EMBEDDED_APP_ROLE, secrets.embeddedAppPassword);
    } catch (err) {
      await admin.end();
      await embedded.stop();
      throw err;
    }
    await admin.end();
    const appUrl = withCredentials(embedded.url, EMBEDDED_APP_ROLE, secrets.embeddedAppPassword);
    urls = { region: appUrl, cases: appUrl, mobility: appUrl, access: appUrl };
    ownerUrls = { region: embedded.url, cases: embedded.url, mobility: embedded.url, access: embedded.url };
  } else if (config.migrationCredentials) {
    const { user, password } = config.migrationCredentials;
    ownerUrls = Object.fromEntries(SOURCES.map((s) => [s, withCredentials(urls![s], user, password)])) as Record<SourceName, string>;
  }
  const applicationName = options.applicationName ?? 'changxing';
  const onIdleError = (source: SourceName, err: Error) =>
    logger.warn({ source, code: (err as { code?: string }).code, err: { message: err.message } }, 'idle database connection lost; the pool replaces it');
  const pools = createPools({
    urls,
    sources: options.sources,
    readUrls: config.readDatabaseUrls,
    max: config.pgPoolMax,
    statementTimeoutMs: config.pgStatementTimeoutMs,
    connectionTimeoutMs: config.pgConnectionTimeoutMs,
    // each request class's share of PG_POOL_MAX, with its deadline as statement_timeout (docs/limits.md, "Bulkheads and load shedding")
    classes: classPoolSettings(config.pgPoolMax, config.pgStatementTimeoutMs, config.classLimits),
    applicationName,
    onIdleError,
  });
  let owner: Pools | null = ownerUrls
    ? createPools({
        urls: ownerUrls,
        sources: options.sources,
        max: config.pgPoolMax,
        statementTimeoutMs: config.pgStatementTimeoutMs,
        connectionTimeoutMs: config.pgConnectionTimeoutMs,
        classes: false,
        applicationName: `${applicationName}:owner`,
        onIdleError,
      })
    : null;
  const closeOwner = async () => {
    const closing = owner;
    owner = null;
    if (closing) await closePools(closing);
  };
  const close = async () => {
    await closeOwner();
    await closePools(pools);
    if (embedded) await embedded.stop();
  };
  try {
    if (options.migrate !== false) await migrateAll(owner ?? pools, (m) => logger.debug(m), { lockTimeoutMs: config.migrationLockTimeoutMs });
    const roles = await appRoles(pools);
    if (owner) await grantAppPrivileges(owner, roles);
    const risky = overprivileged(roles);
    if (risky.length > 0) {
      if (config.isProduction) throw new DatabaseRoleError(describeOverprivileged(risky));
      warnOverprivileged(logger, risky);
    }
  } catch (err) {
    await close();
    throw err;
  }
  return {
    pools,
    urls,
    get owner() {
      return owner;
    },
    embedded,
    closeOwner,
    close,
  };
}
