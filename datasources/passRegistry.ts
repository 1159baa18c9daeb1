import { randomUUID } from 'node:crypto';
import type { Sql } from '../src/db/sql';
import type { AuditActor } from './audit';

/** A registered pass: the token only carries its id, so revocation is checked here. */
export interface PassRecord {
  id: string;
  personId: string;
  issuedAt: Date;
  validUntil: Date;
  revokedAt: Date | null;
}

interface PassRow {
  id: string;
  person_id: string;
  issued_at: Date;
  valid_until: Date;
  revoked_at: Date | null;
}

const toPass = (r: PassRow): PassRecord => ({
  id: r.id,
  personId: r.person_id,
  issuedAt: r.issued_at,
  validUntil: r.valid_until,
  revokedAt: r.revoked_at,
});

export type TokenStatus = 'VALID' | 'EXPIRED' | 'INVALID';
export type CheckStatus = TokenStatus | 'REVOKED';

/** One token to check: what its signature said, and who is asking (for the audit row). */
export interface PassCheckKey {
  passId: string | null;
  tokenStatus: TokenStatus;
  actor: AuditActor;
}

/** A check's outcome: the pass status, and the registered pass when there is one. */
export interface PassCheckResultRow {
  status: CheckStatus;
  record: PassRecord | null;
}

/**
 * Looks passes up and writes the audit rows of the checks in the same statement (same access
 * database): one round trip instead of two, and no check can answer without its audit row, since
 * both commit or fail together. Called through services/audit.ts (AuditLog.checkPasses) only. One row per key, in key order, whether or not the token verified;
 * keys may come from several requests (src/db/sharedBatch.ts), each row with its own actor.
 *
 * The audit outcome is the pass status (VALID, EXPIRED, REVOKED, INVALID) and, for a VALID pass,
 * the detail says what the partner was shown; the colour itself is computed after this point.
 */
export async function checkAndAudit(sql: Sql, keys: readonly PassCheckKey[]): Promise<PassCheckResultRow[]> {
  if (keys.length === 0) return [];
  // a write (the audited CTE): on the primary, and the request's later access reads follow it there
  const rows = await sql.write<PassRow & { status: CheckStatus }>(
    'PassRegistry.checkAndAudit',
    `WITH k AS (
       SELECT * FROM unnest($1::uuid[], $2::text[], $3::uuid[], $4::text[], $5::text[], $6::text[])
                WITH ORDINALITY AS k(pass_id, token_status, key_id, role, request_id, caller, ord)
     ), checked AS (
       SELECT k.ord, k.key_id, k.role, k.request_id, k.caller, p.id, p.person_id, p.issued_at, p.valid_until, p.revoked_at,
              CASE WHEN k.token_status = 'INVALID' OR p.id IS NULL THEN 'INVALID'
                   WHEN p.revoked_at IS NOT NULL THEN 'REVOKED'
                   ELSE k.token_status END AS status
         FROM k LEFT JOIN access.passes p ON p.id = k.pass_id
     ), audited AS (
       INSERT INTO access.audit_log (key_id, role, request_id, caller, operation, subject_person_id, outcome, detail)
       SELECT c.key_id, c.role, c.request_id, c.caller, 'checkPass', c.person_id, c.status,
              CASE WHEN c.status = 'VALID' THEN 'shown: colour, validity, masked name' END
         FROM checked c ORDER BY c.ord
     )
     SELECT id, person_id, issued_at, valid_until, revoked_at, status FROM checked ORDER BY ord`,
    [
      // A signed token names a pass id; anything but a UUID cannot be one of ours.
      keys.map((k) => (k.tokenStatus !== 'INVALID' && k.passId != null && UUID.test(k.passId) ? k.passId : null)),
      keys.map((k) => k.tokenStatus),
      keys.map((k) => k.actor.keyId),
      keys.map((k) => k.actor.role),
      keys.map((k) => k.actor.requestId),
      keys.map((k) => k.actor.caller),
    ],
  );
  return rows.map((r) => ({ status: r.status, record: r.id == null ? null : toPass(r) }));
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The registry of issued passes (access schema). Created per request. */
export class PassRegistry {
  constructor(private readonly sql: Sql) {}

  /** A pass by id, or null (also for anything that is not a UUID: no pass has such an id). */
  async byId(passId: string): Promise<PassRecord | null> {
    if (!UUID.test(passId)) return null;
    const rows = await this.sql.query<PassRow>(
      'PassRegistry.byId',
      'SELECT id, person_id, issued_at, valid_until, revoked_at FROM access.passes WHERE id = $1',
      [passId],
    );
    return rows.length > 0 ? toPass(rows[0]) : null;
  }

  /**
   * Registers a new pass for the person and revokes their earlier unexpired ones: one pass per
   * person at a time, so re-issuing withdraws a leaked screenshot.
   */
  async issue(personId: string, issuedAt: Date, validUntil: Date): Promise<PassRecord> {
    const id = randomUUID();
    return this.sql.transaction('PassRegistry.issue', async (query) => {
      await query(
        'PassRegistry.revokeEarlier',
        `UPDATE access.passes SET revoked_at = $2
          WHERE person_id = $1 AND revoked_at IS NULL AND valid_until > $2`,
        [personId, issuedAt],
      );
      const [row] = await query<PassRow>(
        'PassRegistry.insert',
        `INSERT INTO access.passes (id, person_id, issued_at, valid_until) VALUES ($1, $2, $3, $4)
         RETURNING id, person_id, issued_at, valid_until, revoked_at`,
        [id, personId, issuedAt, validUntil],
      );
      return toPass(row);
    });
  }
}
