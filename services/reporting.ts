import { createHmac } from 'node:crypto';
import type { RegionSource, Region } from '../datasources/region';
import type { CaseSource } from '../datasources/case';
import { notInForce, type UserError } from './ingest';
import type { CaseRecordWrite, ContactWrite, IngestOutcome, ReportCounts, ReportingStore, StoredFacts } from '../datasources/reporting';
import type { AuditLog } from './audit';
import { hashIdNumber } from '../src/privacy/idHash';
import { checkResidentId } from '../src/privacy/residentId';
import { checkCaseTransition } from '../src/reporting/caseStatus';
import { checkCaseRecordFields, checkContactFields, type CaseRecordFields, type ContactFields, type ContactSetting, type FieldError } from '../src/reporting/validate';
import { inForce } from '../src/reporting/regionValidity';
import { todayCst } from '../src/clock';
import { maxItems } from '../src/limits/listSize';

/** `CaseRecordInput` as GraphQL hands it over (optional fields may be absent or null). */
export type CaseRecordInput = Omit<CaseRecordFields, 'confirmedOn' | 'closedOn'> & {
  confirmedOn?: string | null;
  closedOn?: string | null;
  clusterId?: string | null;
  correction?: boolean | null;
};

/** `ContactInput` as GraphQL hands it over. */
export type ContactInput = Omit<ContactFields, 'setting' | 'quarantineEndedOn'> & { setting?: ContactSetting | null; quarantineEndedOn?: string | null };

export interface ReportRecordsPayload extends ReportCounts {
  replayed: boolean;
  userErrors: UserError[];
}

const IDEMPOTENCY_KEY = /^[A-Za-z0-9_.:-]{8,100}$/;
const EMPTY: ReportCounts = { accepted: 0, created: 0, updated: 0, unchanged: 0 };
const refused = (userErrors: UserError[]): ReportRecordsPayload => ({ ...EMPTY, replayed: false, userErrors });
const hex = (b: Buffer) => b.toString('hex');

/**
 * The health commission's reporting path (issue 17): case records and close contacts, each call
 * all or nothing. Rules that need no data come from src/reporting (shared with the demo seed),
 * regions and clusters are checked through their loaders, and what needs stored records (the
 * name recorded for an ID number, the status transition) is decided inside the store's
 * transaction, under the ingestion lock. Every person written to is audited before the commit.
 */
export class ReportingService {
  constructor(
    private readonly regions: RegionSource,
    private readonly cases: CaseSource,
    private readonly store: ReportingStore,
    private readonly audit: AuditLog,
    private readonly idHashSecret: string,
  ) {}

  async reportCaseRecords(input: readonly CaseRecordInput[], idempotencyKey: string | null | undefined): Promise<ReportRecordsPayload> {
    const operation = 'reportCaseRecords';
    const today = todayCst();
    const items = input.map((r) => ({ ...r, confirmedOn: r.confirmedOn ?? null, closedOn: r.closedOn ?? null, clusterId: r.clusterId ?? null, correction: r.correction ?? false }));
    const errors = checkCall(operation, items.length, idempotencyKey);
    if (errors.length > 0) return refused(errors);

    items.forEach((r, i) => errors.push(...at(i, checkCaseRecordFields(r, today))));
    duplicates(items.map((r) => r.reference), 'reference', 'case record', errors);
    await this.checkRegions(items, (r) => [['regionCode', r.regionCode, r.reportedOn], ['homeRegionCode', r.homeRegionCode, null]], errors);
    const clusterIds = items.map((r) => (r.clusterId != null && /^[0-9]{1,18}$/.test(r.clusterId) ? r.clusterId : null));
    const clusters = clusterIds.some((id) => id != null) ? await this.cases.clusterById.loadAll(clusterIds.map((id) => id ?? '0')) : [];
    items.forEach((r, i) => {
      if (r.clusterId == null) return;
      const cluster = clusterIds[i] == null ? null : clusters[i];
      if (!cluster) errors.push(itemError(i, { field: 'clusterId', message: `No cluster has id "${r.clusterId.slice(0, 20)}".`, code: 'NOT_FOUND' }));
      else if (cluster.regionCode !== r.regionCode) errors.push(itemError(i, { field: 'clusterId', message: `Cluster ${cluster.id} is in ${cluster.regionCode}, not in ${r.regionCode}.`, code: 'CONFLICT' }));
    });
    if (errors.length > 0) return refused(errors);

    const writes: CaseRecordWrite[] = items.map((r) => ({
      reference: r.reference, idHash: this.hashOf(r.idNumber), name: r.name.trim(), homeRegionCode: r.homeRegionCode, regionCode: r.regionCode,
      status: r.status, reportedOn: r.reportedOn, confirmedOn: r.confirmedOn, closedOn: r.closedOn, clusterId: r.clusterId,
    }));
    sameNames(writes, errors);
    if (errors.length > 0) return refused(errors);

    const outcome = await this.store.storeCaseRecords<UserError>(operation, writes, {
      idempotency: this.idempotency(operation, idempotencyKey, input),
      check: (facts) => {
        const found: UserError[] = [];
        writes.forEach((w, i) => {
          const person = facts.persons.get(hex(w.idHash));
          found.push(...nameConflict(i, w, facts));
          const before = facts.caseRecords.get(w.reference) ?? null;
          if (before && person?.id !== before.personId && !items[i].correction) {
            found.push(itemError(i, { field: 'idNumber', message: `Case record ${w.reference} belongs to another person; send correction: true to move it.`, code: 'CONFLICT' }));
          }
          const verdict = checkCaseTransition(before, w, items[i].correction);
          if (!verdict.ok) found.push(...at(i, verdict.errors));
        });
        return found;
      },
      audit: (personIds, counts) => this.auditWrite(operation, personIds, counts),
    });
    return payloadOf(outcome);
  }

  async reportContacts(input: readonly ContactInput[], idempotencyKey: string | null | undefined): Promise<ReportRecordsPayload> {
    const operation = 'reportContacts';
    const today = todayCst();
    const items = input.map((c) => ({ ...c, setting: c.setting ?? 'OTHER', quarantineEndedOn: c.quarantineEndedOn ?? null }));
    const errors = checkCall(operation, items.length, idempotencyKey);
    if (errors.length > 0) return refused(errors);

    items.forEach((c, i) => errors.push(...at(i, checkContactFields(c, today))));
    await this.checkRegions(items, (c) => [['regionCode', c.regionCode, c.exposureDate], ['homeRegionCode', c.homeRegionCode, null]], errors);
    if (errors.length > 0) return refused(errors);

    const writes: ContactWrite[] = items.map((c) => ({
      caseReference: c.caseReference, idHash: this.hashOf(c.idNumber), name: c.name.trim(), homeRegionCode: c.homeRegionCode,
      regionCode: c.regionCode, exposureDate: c.exposureDate, setting: c.setting, quarantineEndedOn: c.quarantineEndedOn,
    }));
    duplicates(writes.map((w) => `${w.caseReference}|${hex(w.idHash)}`), 'idNumber', 'contact of the same case', errors);
    sameNames(writes, errors);
    if (errors.length > 0) return refused(errors);

    const outcome = await this.store.storeContacts<UserError>(operation, writes, {
      idempotency: this.idempotency(operation, idempotencyKey, input),
      check: (facts) => {
        const found: UserError[] = [];
        writes.forEach((w, i) => {
          found.push(...nameConflict(i, w, facts));
          const record = facts.caseRecords.get(w.caseReference);
          if (!record) {
            found.push(itemError(i, { field: 'caseReference', message: `No case record has reference ${w.caseReference}; report it with reportCaseRecords first.`, code: 'NOT_FOUND' }));
          } else if (facts.persons.get(hex(w.idHash))?.id === record.personId) {
            found.push(itemError(i, { field: 'idNumber', message: `The contact is the person of case record ${w.caseReference}: a case is not its own contact.`, code: 'INVALID' }));
          }
        });
        return found;
      },
      audit: (personIds, counts) => this.auditWrite(operation, personIds, counts),
    });
    return payloadOf(outcome);
  }

  /** Region codes of each item: a county-level unit, in force on the item's day (when it has one). */
  private async checkRegions<T>(items: readonly T[], codesOf: (item: T) => [field: string, code: string, day: string | null][], errors: UserError[]): Promise<void> {
    const wanted = items.flatMap((item, i) => codesOf(item).map(([field, code, day]) => ({ i, field, code, day })));
    const valid = wanted.filter((w) => /^[0-9]{6}$/.test(w.code));
    const regions = await this.regions.byCode.loadAll(valid.map((w) => w.code));
    valid.forEach((w, k) => errors.push(...regionErrors(w.i, w.field, w.code, w.day, regions[k])));
  }

  /** The keyed hash of an ID number that passed checkResidentId (normalised as it says). */
  private hashOf(idNumber: string): Buffer {
    const check = checkResidentId(idNumber);
    if (!check.ok) throw new Error('hashOf: ID number not validated first');
    return hashIdNumber(check.idNumber, this.idHashSecret);
  }

  /** The call's idempotency key with a keyed hash of its input (the input holds ID numbers: never a plain hash). */
  private idempotency(operation: string, key: string | null | undefined, input: unknown) {
    if (key == null) return null;
    const inputHash = createHmac('sha256', this.idHashSecret).update(`ingest request\0${operation}\0${JSON.stringify(input)}`, 'utf8').digest();
    return { key, inputHash };
  }

  private async auditWrite(operation: string, personIds: string[], counts: ReportCounts): Promise<void> {
    const detail = `${counts.created} created, ${counts.updated} updated, ${counts.unchanged} unchanged in the call`;
    await this.audit.recordMany(personIds.map((id) => ({ operation, subjectPersonId: id, outcome: 'STORED', detail })));
  }
}

/** Rules of the call as a whole: its size (the SDL's @listSize maximum) and the idempotency key's shape. */
function checkCall(operation: string, count: number, idempotencyKey: string | null | undefined): UserError[] {
  const errors: UserError[] = [];
  const max = maxItems(`Mutation.${operation}`);
  if (count === 0) errors.push({ field: ['input'], message: 'Send at least one item.', code: 'INVALID' });
  if (count > max) errors.push({ field: ['input'], message: `At most ${max} items per call, got ${count}; split the batch.`, code: 'INVALID' });
  if (idempotencyKey != null && !IDEMPOTENCY_KEY.test(idempotencyKey)) {
    errors.push({ field: ['idempotencyKey'], message: 'idempotencyKey must be 8–100 characters of A–Z, a–z, 0–9, "_", ".", ":" and "-".', code: 'INVALID' });
  }
  return errors;
}

export function itemError(i: number, e: FieldError): UserError {
  return { field: ['input', String(i), e.field], message: e.message, code: e.code };
}

const at = (i: number, errors: readonly FieldError[]) => errors.map((e) => itemError(i, e));

/** A key given twice in one call: the later item is refused, naming the earlier. */
function duplicates(keys: readonly string[], field: string, what: string, errors: UserError[]): void {
  const first = new Map<string, number>();
  keys.forEach((key, i) => {
    const earlier = first.get(key);
    if (earlier === undefined) first.set(key, i);
    else errors.push(itemError(i, { field, message: `Item ${earlier} of this call is the same ${what}; send each once.`, code: 'CONFLICT' }));
  });
}

/** One ID number under two names in one call. */
function sameNames(items: readonly { idHash: Buffer; name: string }[], errors: UserError[]): void {
  const names = new Map<string, { name: string; i: number }>();
  items.forEach((item, i) => {
    const seen = names.get(hex(item.idHash));
    if (!seen) names.set(hex(item.idHash), { name: item.name, i });
    else if (seen.name !== item.name) errors.push(itemError(i, { field: 'name', message: `Item ${seen.i} of this call gives another name for the same ID number.`, code: 'CONFLICT' }));
  });
}

/** The name sent for a person already known must be the one recorded (a typo must not rename anyone). */
function nameConflict(i: number, item: { idHash: Buffer; name: string }, facts: StoredFacts): UserError[] {
  const person = facts.persons.get(hex(item.idHash));
  if (!person || person.name.trim() === item.name) return [];
  return [itemError(i, { field: 'name', message: 'The ID number is recorded under another name; check both.', code: 'CONFLICT' })];
}

export function regionErrors(i: number, field: string, code: string, day: string | null, region: Region | null): UserError[] {
  if (!region) return [itemError(i, { field, message: `No region has code ${code}.`, code: 'NOT_FOUND' })];
  if (region.level !== 'COUNTY') return [itemError(i, { field, message: `${code} ${region.name} is a ${region.level.toLowerCase()}; a county-level unit is needed.`, code: 'INVALID' })];
  const when = day ?? todayCst();
  if (!inForce(region, when)) {
    return [itemError(i, { field, message: notInForce(region, when), code: 'INVALID' })];
  }
  return [];
}

function payloadOf(outcome: IngestOutcome<UserError>): ReportRecordsPayload {
  switch (outcome.kind) {
    case 'stored':
      return { ...outcome.counts, replayed: false, userErrors: [] };
    case 'replayed':
      return { ...outcome.counts, replayed: true, userErrors: [] };
    case 'refused':
      return refused(outcome.errors);
    case 'keyReused':
      return refused([{ field: ['idempotencyKey'], message: 'This idempotency key was used with another input; use a new key for a new call.', code: 'CONFLICT' }]);
  }
}
