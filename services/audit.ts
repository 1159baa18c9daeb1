import type { AuditActor, AuditSource, AuditEntry, AuditFilter } from '../datasources/audit';
import { connection, decodeCursor } from '../src/graphql/pagination';
import { badInput } from '../src/errors';
import { isUuid } from '../datasources/apiKeys';
import type { Viewer } from '../src/auth/viewer';
import type { SharedBatch } from '../src/db/sharedBatch';
import type { StatementRecorder } from '../src/db/sql';
import type { PassCheckKey, PassCheckResultRow } from '../datasources/passRegistry';
import { pageArgument } from '../src/limits/arguments';

/** What a service states about one audited action; who, when and which request are filled in. */
export interface AuditRecord {
  /** What was done, usually the GraphQL field: `person`, `checkPasses`, `closeContactCheck`. */
  operation: string;
  /** `Person.id` (a UUID) of the person concerned, never an ID number; null when none or unknown. */
  subjectPersonId?: string | null;
  /** How it ended: `FOUND`, `NOT_FOUND`, `VALID`, `EXPIRED`, `OK` … */
  outcome: string;
  /** Free text for the auditor; must not contain an ID number or a name. */
  detail?: string;
}

/** Anything shaped like a resident ID number (17 digits and a digit or X), anywhere in a string. */
export const ID_NUMBER_SHAPE = /[0-9]{17}[0-9Xx]/;

/**
 * The audit trail of one request, and the only writer of audit rows: services call `record`, the
 * pass checks `checkPasses`; nothing else writes to access.audit_log (docs/architecture.md).
 * `record` and `recordMany` are awaited before personal data is returned, so an audited read never
 * answers when its audit row could not be written; `recordMany` writes one INSERT however many
 * entries (federation references).
 *
 * A text that looks like an ID number is a programming error here (the database refuses it too,
 * CHECK audit_log_no_id_number): it fails loudly instead of writing personal data to the log.
 */
export class AuditLog {
  /**
   * `callerPseudonym`: the pseudonym of a PUBLIC caller (src/privacy/idHash.ts), computed when a row
   * is first written; absent, PUBLIC rows carry none.
   */
  constructor(
    private readonly source: AuditSource,
    private readonly viewer: Viewer,
    requestId: string,
    private readonly callerPseudonym: (caller: string) => string = () => '',
  ) {
    // Request ids may come from the client (x-request-id); one that holds an ID number is not kept.
    this.requestId = ID_NUMBER_SHAPE.test(requestId) ? null : requestId;
  }

  private readonly requestId: string | null;
  private caller: string | null | undefined;

  /** The PUBLIC caller's pseudonym; null for a caller with a key (its key id says who). */
  private callerOf(): string | null {
    if (this.caller === undefined) this.caller = this.viewer.role === 'PUBLIC' ? this.callerPseudonym(this.viewer.clientId) || null : null;
    return this.caller;
  }

  /** Who acts: the columns every row of this request shares. */
  private actor(): AuditActor {
    return { keyId: this.viewer.keyId, role: this.viewer.role, requestId: this.requestId, caller: this.callerOf() };
  }

  /**
   * Looks passes up and writes one `checkPass` row per token in the same statement
   * (PassRegistry.checkAndAudit, batched across requests): no check answers without its row.
   */
  checkPasses(
    tokens: readonly Omit<PassCheckKey, 'actor'>[],
    batch: SharedBatch<PassCheckKey, PassCheckResultRow>,
    recorder: StatementRecorder,
  ): Promise<PassCheckResultRow[]> {
    const actor = this.actor();
    return batch.loadAll(tokens.map((t) => ({ ...t, actor })), recorder);
  }

  async record(entry: AuditRecord): Promise<void> {
    await this.recordMany([entry]);
  }

  async recordMany(entries: readonly AuditRecord[]): Promise<void> {
    if (entries.length === 0) return;
    const rows = entries.map((e, i) => {
      const where = `audit entry ${i} (${e.operation})`;
      if (e.subjectPersonId != null && !isUuid(e.subjectPersonId)) {
        throw new Error(`${where}: subjectPersonId must be a Person.id (UUID), never an ID number or a name`);
      }
      for (const [field, text] of [['operation', e.operation], ['outcome', e.outcome], ['detail', e.detail ?? '']] as const) {
        if (ID_NUMBER_SHAPE.test(text)) throw new Error(`${where}: ${field} contains something shaped like an ID number`);
      }
      return { operation: e.operation, subjectPersonId: e.subjectPersonId ?? null, outcome: e.outcome, detail: e.detail ?? null };
    });
    await this.source.append(this.actor(), rows);
  }

  /**
   * One page of the trail for Query.auditTrail (HEALTH only, by the schema's @auth). Reading the
   * trail is itself audited: the auditors' reads are on record too.
   */
  async trail(filter: AuditFilter | null | undefined, first: number | null | undefined, after: string | null | undefined) {
    const f = checkFilter(filter ?? {});
    const size = pageArgument('Query.auditTrail', first);
    const afterId = decodeCursor('audit', after);
    if (afterId != null && !/^[0-9]{1,19}$/.test(afterId)) {
      throw badInput('"after" is not a cursor of this list; pass a pageInfo.endCursor you received from it', 'after');
    }
    const page = await this.source.trail(f, size, afterId);
    await this.record({
      operation: 'auditTrail',
      subjectPersonId: f.subjectPersonId ?? null,
      outcome: 'OK',
      detail: `${page.nodes.length} entries; filter ${describe(f)}`,
    });
    return connection(page);
  }
}

function checkFilter(filter: AuditFilter): AuditFilter {
  if (filter.caller != null && !/^[A-Za-z0-9_-]{22}$/.test(filter.caller)) {
    throw badInput('"filter.caller" must be a caller pseudonym of this trail (22 characters of A–Z, a–z, 0–9, _ and -)', 'filter.caller');
  }
  for (const name of ['subjectPersonId', 'keyId'] as const) {
    const value = filter[name];
    if (value != null && !isUuid(value)) {
      throw badInput(`"filter.${name}" must be a UUID (an id from this API), got ${value.length} characters that are not one`, `filter.${name}`);
    }
  }
  if (filter.from != null && filter.to != null && filter.from > filter.to) {
    throw badInput(`"filter.from" ${filter.from.toISOString()} is after "filter.to" ${filter.to.toISOString()}`, 'filter.from');
  }
  return filter;
}

/** The filter in words for the detail column (operation/outcome are free text: never copied in). */
function describe(f: AuditFilter): string {
  const parts = [
    f.from && `from ${f.from.toISOString()}`,
    f.to && `to ${f.to.toISOString()}`,
    f.operation != null && 'operation',
    f.subjectPersonId != null && 'subjectPersonId',
    f.keyId != null && `keyId ${f.keyId}`,
    f.caller != null && `caller ${f.caller}`,
    f.outcome != null && 'outcome',
  ].filter(Boolean);
  return parts.length ? parts.join(', ') : 'none';
}

export type { AuditEntry, AuditFilter };
