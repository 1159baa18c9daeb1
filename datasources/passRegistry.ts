import { randomUUID } from 'node:crypto';
import type { Sql } from './sql';
import { Loader } from './loader';

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

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The registry of issued passes (access schema). Created per request. */
export class PassRegistry {
  readonly byId: Loader<string, PassRecord | null>;

  constructor(private readonly sql: Sql, options: { batch?: boolean } = {}) {
    this.byId = new Loader(
      async (ids) => {
        // A signed token names a pass id; anything but a UUID cannot be one of ours.
        const valid = ids.filter((id) => UUID.test(id));
        const rows = valid.length
          ? await sql.query<PassRow>(
              'PassRegistry.byId',
              'SELECT id, person_id, issued_at, valid_until, revoked_at FROM access.passes WHERE id = ANY($1::uuid[])',
              [valid],
            )
          : [];
        const byId = new Map(rows.map((r) => [r.id, toPass(r)]));
        return ids.map((id) => byId.get(id) ?? null);
      },
      (id) => id,
      options,
    );
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
