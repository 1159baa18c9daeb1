import type { Sql } from '../src/db/sql';
import { encodeCursor, type Page } from '../src/graphql/pagination';
import type { Role } from '../src/auth/viewer';

/** A row to append; `at` and `id` are set by the database. */
export interface AuditRow {
  keyId: string | null;
  role: Role;
  /** Pseudonym of a PUBLIC caller (src/privacy/idHash.ts callerPseudonym); null for a keyed one. */
  caller: string | null;
  operation: string;
  subjectPersonId: string | null;
  outcome: string;
  requestId: string | null;
  detail: string | null;
}

/** Who acts, as every audit row records it (services/audit.ts fills it in). */
export type AuditActor = Pick<AuditRow, 'keyId' | 'role' | 'requestId' | 'caller'>;

/** A stored row, as Query.auditTrail returns it. */
export interface AuditEntry extends AuditRow {
  id: string;
  at: Date;
  /** Owner of the key at the time of reading (keys are never deleted, so it is always there for a key id). */
  keyOwnerName: string | null;
}

export interface AuditFilter {
  /** Inclusive. */
  from?: Date | null;
  /** Exclusive. */
  to?: Date | null;
  operation?: string | null;
  subjectPersonId?: string | null;
  keyId?: string | null;
  caller?: string | null;
  outcome?: string | null;
}

interface EntryRow {
  id: string;
  at: Date;
  key_id: string | null;
  key_owner_name: string | null;
  role: Role;
  caller: string | null;
  operation: string;
  subject_person_id: string | null;
  outcome: string;
  request_id: string | null;
  detail: string | null;
}

const toEntry = (r: EntryRow): AuditEntry => ({
  id: r.id,
  at: r.at,
  keyId: r.key_id,
  keyOwnerName: r.key_owner_name,
  role: r.role,
  caller: r.caller,
  operation: r.operation,
  subjectPersonId: r.subject_person_id,
  outcome: r.outcome,
  requestId: r.request_id,
  detail: r.detail,
});

/**
 * The audit trail (`access.audit_log`, append-only). Writes are one statement however many rows
 * (a batch of 1,000 pass checks is one INSERT); reads page newest first by id.
 */
export class AuditSource {
  constructor(private readonly sql: Sql) {}

  /** Appends rows sharing key, role, caller and request: one INSERT … SELECT FROM unnest(…), a fixed 8 parameters. */
  async append(
    common: AuditActor,
    rows: readonly Pick<AuditRow, 'operation' | 'subjectPersonId' | 'outcome' | 'detail'>[],
  ): Promise<void> {
    if (rows.length === 0) return;
    await this.sql.write(
      'AuditSource.append',
      `INSERT INTO access.audit_log (key_id, role, request_id, caller, operation, subject_person_id, outcome, detail)
       SELECT $1::uuid, $2::text, $3::text, $8::text, u.operation, u.subject_person_id, u.outcome, u.detail
         FROM unnest($4::text[], $5::uuid[], $6::text[], $7::text[]) AS u(operation, subject_person_id, outcome, detail)`,
      [
        common.keyId,
        common.role,
        common.requestId,
        rows.map((r) => r.operation),
        rows.map((r) => r.subjectPersonId),
        rows.map((r) => r.outcome),
        rows.map((r) => r.detail),
        common.caller,
      ],
    );
  }

  /** One page of the trail, newest first; `afterId` is the id of the last row of the previous page. */
  async trail(filter: AuditFilter, first: number, afterId: string | null): Promise<Page<AuditEntry>> {
    const { where, params } = filterSql(filter);
    const n = params.length;
    // Same datasource (access): joining the key table for its owner's name is allowed.
    const rows = await this.sql.query<EntryRow>(
      'AuditSource.trail',
      `SELECT a.id::text AS id, a.at, a.key_id, k.owner_name AS key_owner_name, a.role, a.caller, a.operation,
              a.subject_person_id, a.outcome, a.request_id, a.detail
         FROM access.audit_log a LEFT JOIN access.api_keys k ON k.id = a.key_id
        WHERE ${where} AND ($${n + 1}::bigint IS NULL OR a.id < $${n + 1})
        ORDER BY a.id DESC LIMIT $${n + 2}`,
      [...params, afterId, first + 1],
    );
    return {
      nodes: rows.slice(0, first).map(toEntry),
      hasNextPage: rows.length > first,
      hasPreviousPage: afterId != null,
      cursorOf: (e) => encodeCursor('audit', e.id),
      totalCount: () => this.count(filter),
    };
  }

  async count(filter: AuditFilter): Promise<number> {
    const { where, params } = filterSql(filter);
    const rows = await this.sql.query<{ n: number }>(
      'AuditSource.count',
      `SELECT count(*) AS n FROM access.audit_log a WHERE ${where}`,
      params,
    );
    return rows[0].n;
  }
}

/** Only the filters given become conditions, so each query can use the index of its filter. */
function filterSql(filter: AuditFilter): { where: string; params: unknown[] } {
  const clauses: string[] = [];
  const params: unknown[] = [];
  const add = (condition: (p: string) => string, value: unknown) => {
    if (value == null) return;
    params.push(value);
    clauses.push(condition(`$${params.length}`));
  };
  add((p) => `a.at >= ${p}::timestamptz`, filter.from);
  add((p) => `a.at < ${p}::timestamptz`, filter.to);
  add((p) => `a.operation = ${p}`, filter.operation);
  add((p) => `a.subject_person_id = ${p}::uuid`, filter.subjectPersonId);
  add((p) => `a.key_id = ${p}::uuid`, filter.keyId);
  add((p) => `a.caller = ${p}`, filter.caller);
  add((p) => `a.outcome = ${p}`, filter.outcome);
  return { where: clauses.length ? clauses.join(' AND ') : 'TRUE', params };
}
