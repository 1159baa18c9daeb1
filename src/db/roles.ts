import pg from 'pg';
import type { Logger } from 'pino';
import { openedSources, type Pools, type SourceName } from './pools';
import { SCHEMA } from './migrationStatus';
import { migrationLockValue } from './migrate';

/**
 * Database roles (docs/operations.md, "Database roles"). The application connects as a role that owns no table:
 * the migrations run as the owner of the schemas, and then grant the application's role what its
 * statements need and nothing else, per datasource. A role that owns no table cannot `ALTER TABLE`
 * (so not `… DISABLE TRIGGER` the audit log's append-only trigger), `DROP`, `TRUNCATE` or change a
 * privilege; without UPDATE or DELETE on `access.audit_log`, the privileges forbid rewriting the
 * trail besides the trigger. Retention and partition upkeep, which create and drop partitions, run
 * as the owner through two SECURITY DEFINER functions (migration mobility/1700000000002).
 *
 * `%s` is the application's role (quoted). Granted again at every start, so that a table a new
 * migration creates is covered (GRANT is idempotent). What a statement of datasources/ needs:
 */
export const APP_PRIVILEGES: Record<SourceName, readonly string[]> = {
  // regions: read only
  region: ['GRANT USAGE ON SCHEMA region TO %s', 'GRANT SELECT ON ALL TABLES IN SCHEMA region TO %s'],
  // ingestion: daily reports (upsert, running totals) and clusters; the data version its triggers bump
  cases: [
    'GRANT USAGE ON SCHEMA cases TO %s',
    'GRANT SELECT ON ALL TABLES IN SCHEMA cases TO %s',
    'GRANT INSERT, UPDATE ON cases.daily_reports, cases.clusters TO %s',
    'GRANT UPDATE ON cases.data_version TO %s',
  ],
  // reads; partitions are made and dropped by the owner's functions
  mobility: [
    'GRANT USAGE ON SCHEMA mobility TO %s',
    'GRANT SELECT ON ALL TABLES IN SCHEMA mobility TO %s',
    'GRANT EXECUTE ON FUNCTION mobility.ensure_month_partitions(date, date), mobility.adopt_default_rows(), mobility.purge_stays_before(timestamptz) TO %s',
  ],
  // keys are read (created and revoked by the owner: `npm run keys`); audit rows appended; passes issued and revoked
  access: [
    'GRANT USAGE ON SCHEMA access TO %s',
    'GRANT SELECT ON ALL TABLES IN SCHEMA access TO %s',
    'GRANT INSERT ON access.audit_log, access.passes TO %s',
    'GRANT UPDATE (revoked_at) ON access.passes TO %s',
  ],
};

/** The role name of the application's embedded-PostgreSQL login (the embedded default). */
export const EMBEDDED_APP_ROLE = 'changxing_app';

/** What the application's role of one source is: its name, whether it is a superuser, how many of our relations it owns. */
export interface AppRole {
  source: SourceName;
  name: string;
  superuser: boolean;
  ownsTables: number;
}

/** The role each opened source's application pool connects as, and what it may do that it should not. */
export async function appRoles(pools: Pools): Promise<AppRole[]> {
  return Promise.all(
    openedSources(pools).map(async (source) => {
      const { rows } = await pools[source].query<{ name: string; superuser: boolean; owns: number }>(
        `/* roles.appRole */ SELECT r.rolname AS name, r.rolsuper AS superuser,
                (SELECT count(*)::int FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                  WHERE n.nspname = $1 AND pg_has_role(r.oid, c.relowner, 'USAGE')) AS owns
           FROM pg_roles r WHERE r.rolname = current_user`,
        [SCHEMA[source]],
      );
      return { source, name: rows[0].name, superuser: rows[0].superuser, ownsTables: rows[0].owns };
    }),
  );
}

/**
 * Grants each source's application role its privileges, on the owner's connection of that source.
 * Under the source's migration lock, for the statements' one transaction: two instances started at
 * once granted on the same objects together, and the second failed to start with PostgreSQL's
 * "tuple concurrently updated" (the attack bench, issue 15).
 */
export async function grantAppPrivileges(owner: Pools, roles: readonly AppRole[]): Promise<void> {
  for (const { source, name } of roles) {
    const statements = APP_PRIVILEGES[source].map((s) => s.replace('%s', pg.escapeIdentifier(name)));
    // one simple-protocol query: its statements run in one implicit transaction, which holds the lock to its end
    await owner[source].query(`/* roles.grant */ SELECT pg_advisory_xact_lock(${migrationLockValue(source)});\n${statements.join(';\n')}`);
  }
}

/** Creates (or gives its password back to) a login role with no privileges of its own. */
export async function ensureLoginRole(owner: pg.Pool, name: string, password: string): Promise<void> {
  const exists = await owner.query('/* roles.exists */ SELECT 1 FROM pg_roles WHERE rolname = $1', [name]);
  const verb = exists.rowCount === 1 ? 'ALTER' : 'CREATE';
  await owner.query(`/* roles.login */ ${verb} ROLE ${pg.escapeIdentifier(name)} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION PASSWORD ${pg.escapeLiteral(password)}`);
}

/**
 * The roles that could rewrite the audit trail: a superuser, or a role that owns (directly or by
 * membership) a relation of its source. In production that stops start-up (src/db/index.ts);
 * elsewhere it is a warning.
 */
export function overprivileged(roles: readonly AppRole[]): AppRole[] {
  return roles.filter((r) => r.superuser || r.ownsTables > 0);
}

export class DatabaseRoleError extends Error {
  override name = 'DatabaseRoleError';
}

export function describeOverprivileged(roles: readonly AppRole[]): string {
  const who = roles.map((r) => `${r.source}: ${r.name} (${r.superuser ? 'a superuser' : `owns ${r.ownsTables} relation(s) of schema ${SCHEMA[r.source]}`})`).join('; ');
  return (
    `The API connects as a role that could alter or disable the audit trail — ${who}. ` +
    'Connect it as a role that owns nothing (DATABASE_URL and the per-source URLs), and let the migrations run as the owner ' +
    '(MIGRATION_DATABASE_USER, MIGRATION_DATABASE_PASSWORD): docs/operations.md, "Database roles".'
  );
}

export function warnOverprivileged(logger: Pick<Logger, 'warn'>, roles: readonly AppRole[]): void {
  logger.warn({ roles: roles.map((r) => ({ source: r.source, role: r.name, superuser: r.superuser, ownsTables: r.ownsTables })) }, describeOverprivileged(roles));
}
