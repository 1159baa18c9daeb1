import { randomUUID } from 'node:crypto';
import type { Sql } from '../src/db/sql';
import { RECORDED_ON_DAY, recomputeRunning } from './case';
import { RiskChangeNotifier } from './riskChanges';
import type { CaseState } from '../src/reporting/caseStatus';
import type { CaseRecordFields, ContactFields } from '../src/reporting/validate';

type Query = Sql['query'];

/** A person as the ingestion path knows it: by the keyed hash of the ID number, never the number. */
export interface PersonByHash {
  id: string;
  idHash: Buffer;
  name: string;
}

/** A stored case record, as a transition is checked against it. */
export interface StoredCaseRecord extends CaseState {
  id: string;
  reference: string;
  personId: string;
  regionCode: string;
  clusterId: string | null;
}

/** A case record ready to store: validated, its person's ID number already hashed (never the number). */
export type CaseRecordWrite = Omit<CaseRecordFields, 'idNumber'> & { idHash: Buffer; clusterId: string | null };

/** A close-contact link ready to store. */
export type ContactWrite = Omit<ContactFields, 'idNumber'> & { idHash: Buffer };

/** What the stored data says about a call's items, read under the ingestion lock. */
export interface StoredFacts {
  persons: Map<string, PersonByHash>;
  caseRecords: Map<string, StoredCaseRecord>;
}

/** The answer to a call, as stored under its idempotency key. */
export interface ReportCounts {
  accepted: number;
  created: number;
  updated: number;
  unchanged: number;
}

/**
 * How one call goes, decided by the service between the reads and the writes of one transaction:
 * `check` sees the stored facts and returns userErrors (then nothing is written), `audit` writes
 * the audit rows before the commit (a write whose audit row fails is rolled back).
 */
export interface IngestHooks<E> {
  idempotency: { key: string; inputHash: Buffer } | null;
  check(facts: StoredFacts): E[];
  audit(personIds: string[], counts: ReportCounts): Promise<void>;
}

export type IngestOutcome<E> =
  | { kind: 'stored'; counts: ReportCounts }
  | { kind: 'replayed'; counts: ReportCounts }
  | { kind: 'refused'; errors: E[] }
  | { kind: 'keyReused' };

const hex = (b: Buffer) => b.toString('hex');

/**
 * Case records and close contacts written by the health commission (the reporting path, issue 17):
 * each call is one transaction that takes the ingestion lock (the data version row, as daily
 * reports do), reads what it needs, lets the service decide, writes, keeps daily totals consistent
 * with the records and notifies risk level changes; the data version is bumped by the tables'
 * statement triggers (migration cases/1700000000003), in the writing transaction. SQL only.
 */
export class ReportingStore {
  constructor(private readonly sql: Sql) {}

  async storeCaseRecords<E>(operation: string, records: readonly CaseRecordWrite[], hooks: IngestHooks<E>): Promise<IngestOutcome<E>> {
    return this.sql.transaction('ReportingStore.storeCaseRecords', async (query): Promise<IngestOutcome<E>> => {
      const riskChanges = await RiskChangeNotifier.before(query, records.map((r) => r.regionCode));
      const earlier = await storedAnswer<E>(query, operation, hooks.idempotency);
      if (earlier) return earlier;
      const facts = await readFacts(query, records.map((r) => r.idHash), records.map((r) => r.reference), true);
      const errors = hooks.check(facts);
      if (errors.length > 0) return { kind: 'refused', errors };

      const persons = await upsertPersons(query, records, facts.persons);
      const changed = records.filter((r) => {
        const before = facts.caseRecords.get(r.reference);
        return !before || before.status !== r.status || before.reportedOn !== r.reportedOn || before.confirmedOn !== r.confirmedOn ||
          before.closedOn !== r.closedOn || before.regionCode !== r.regionCode || before.clusterId !== r.clusterId ||
          before.personId !== persons.get(hex(r.idHash));
      });
      if (changed.length > 0) {
        await query(
          'ReportingStore.upsertCaseRecords',
          `INSERT INTO cases.case_records AS c (reference, person_id, region_code, status, reported_on, confirmed_on, closed_on, cluster_id)
           SELECT * FROM unnest($1::text[], $2::uuid[], $3::text[], $4::text[], $5::date[], $6::date[], $7::date[], $8::bigint[])
           ON CONFLICT (reference) DO UPDATE SET
             person_id = EXCLUDED.person_id, region_code = EXCLUDED.region_code, status = EXCLUDED.status,
             reported_on = EXCLUDED.reported_on, confirmed_on = EXCLUDED.confirmed_on, closed_on = EXCLUDED.closed_on,
             cluster_id = EXCLUDED.cluster_id, updated_at = now()`,
          [
            changed.map((r) => r.reference), changed.map((r) => persons.get(hex(r.idHash))), changed.map((r) => r.regionCode),
            changed.map((r) => r.status), changed.map((r) => r.reportedOn), changed.map((r) => r.confirmedOn),
            changed.map((r) => r.closedOn), changed.map((r) => r.clusterId),
          ],
        );
        await raiseDailyTotals(query, changed);
        await riskChanges.notify();
      }
      const created = changed.filter((r) => !facts.caseRecords.has(r.reference)).length;
      const counts = { accepted: records.length, created, updated: changed.length - created, unchanged: records.length - changed.length };
      await keepAnswer(query, operation, hooks.idempotency, counts);
      await hooks.audit([...new Set(records.map((r) => persons.get(hex(r.idHash)) as string))], counts);
      return { kind: 'stored', counts };
    });
  }

  async storeContacts<E>(operation: string, contacts: readonly ContactWrite[], hooks: IngestHooks<E>): Promise<IngestOutcome<E>> {
    return this.sql.transaction('ReportingStore.storeContacts', async (query): Promise<IngestOutcome<E>> => {
      // the ingestion lock only: contacts change no county level
      await query('ReportingStore.lock', 'SELECT version FROM cases.data_version FOR UPDATE');
      const earlier = await storedAnswer<E>(query, operation, hooks.idempotency);
      if (earlier) return earlier;
      const facts = await readFacts(query, contacts.map((c) => c.idHash), contacts.map((c) => c.caseReference), false);
      const errors = hooks.check(facts);
      if (errors.length > 0) return { kind: 'refused', errors };

      const persons = await upsertPersons(query, contacts, facts.persons);
      const caseIdOf = (c: ContactWrite) => (facts.caseRecords.get(c.caseReference) as StoredCaseRecord).id;
      // xmax = 0: the row was inserted, not updated; a row left out was stored exactly so already
      const written = await query<{ inserted: boolean }>(
        'ReportingStore.upsertContacts',
        `INSERT INTO cases.contacts AS x (case_id, person_id, exposure_date, region_code, setting, quarantine_ended_on)
         SELECT * FROM unnest($1::bigint[], $2::uuid[], $3::date[], $4::text[], $5::text[], $6::date[])
         ON CONFLICT (case_id, person_id) DO UPDATE SET
           exposure_date = EXCLUDED.exposure_date, region_code = EXCLUDED.region_code, setting = EXCLUDED.setting,
           quarantine_ended_on = EXCLUDED.quarantine_ended_on, updated_at = now()
         WHERE (x.exposure_date, x.region_code, x.setting, x.quarantine_ended_on)
               IS DISTINCT FROM (EXCLUDED.exposure_date, EXCLUDED.region_code, EXCLUDED.setting, EXCLUDED.quarantine_ended_on)
         RETURNING xmax = 0 AS inserted`,
        [
          contacts.map(caseIdOf), contacts.map((c) => persons.get(hex(c.idHash))), contacts.map((c) => c.exposureDate),
          contacts.map((c) => c.regionCode), contacts.map((c) => c.setting), contacts.map((c) => c.quarantineEndedOn),
        ],
      );
      const created = written.filter((w) => w.inserted).length;
      const counts = { accepted: contacts.length, created, updated: written.length - created, unchanged: contacts.length - written.length };
      await keepAnswer(query, operation, hooks.idempotency, counts);
      await hooks.audit([...new Set(contacts.map((c) => persons.get(hex(c.idHash)) as string))], counts);
      return { kind: 'stored', counts };
    });
  }
}

/** The stored answer of an earlier call with this key: the same answer for the same input, else a refusal. */
async function storedAnswer<E>(query: Query, operation: string, idempotency: IngestHooks<E>['idempotency']): Promise<IngestOutcome<E> | null> {
  if (!idempotency) return null;
  const [row] = await query<{ input_hash: Buffer; result: ReportCounts }>(
    'ReportingStore.storedAnswer',
    'SELECT input_hash, result FROM cases.ingest_requests WHERE operation = $1 AND idempotency_key = $2',
    [operation, idempotency.key],
  );
  if (!row) return null;
  return row.input_hash.equals(idempotency.inputHash) ? { kind: 'replayed', counts: row.result } : { kind: 'keyReused' };
}

async function keepAnswer<E>(query: Query, operation: string, idempotency: IngestHooks<E>['idempotency'], counts: ReportCounts): Promise<void> {
  if (!idempotency) return;
  await query(
    'ReportingStore.keepAnswer',
    'INSERT INTO cases.ingest_requests (operation, idempotency_key, input_hash, result) VALUES ($1, $2, $3, $4)',
    [operation, idempotency.key, idempotency.inputHash, JSON.stringify(counts)],
  );
}

/** Persons by ID hash and case records by reference, in one statement; records locked when they will be written. */
async function readFacts(query: Query, hashes: readonly Buffer[], references: readonly string[], lockRecords: boolean): Promise<StoredFacts> {
  const [row] = await query<{ persons: { id: string; id_hash: string; name: string }[]; records: Record<string, string | null>[] }>(
    'ReportingStore.readFacts',
    `SELECT coalesce((SELECT json_agg(json_build_object('id', p.id, 'id_hash', encode(p.id_hash, 'hex'), 'name', p.name))
                        FROM cases.persons p WHERE p.id_hash = ANY($1::bytea[])), '[]') AS persons,
            coalesce((SELECT json_agg(json_build_object('id', c.id::text, 'reference', c.reference, 'personId', c.person_id,
                                      'regionCode', c.region_code, 'status', c.status, 'reportedOn', c.reported_on,
                                      'confirmedOn', c.confirmed_on, 'closedOn', c.closed_on, 'clusterId', c.cluster_id::text))
                        FROM (SELECT * FROM cases.case_records WHERE reference = ANY($2::text[]) ${lockRecords ? 'FOR UPDATE' : 'FOR SHARE'}) c), '[]') AS records`,
    [hashes, [...new Set(references)]],
  );
  return {
    persons: new Map(row.persons.map((p) => [p.id_hash, { id: p.id, idHash: Buffer.from(p.id_hash, 'hex'), name: p.name }])),
    caseRecords: new Map(row.records.map((r) => [r.reference as string, r as unknown as StoredCaseRecord])),
  };
}

/** Persons new to the data are inserted; returns every item's person id by hex ID hash. */
async function upsertPersons(
  query: Query,
  items: readonly { idHash: Buffer; name: string; homeRegionCode: string }[],
  known: Map<string, PersonByHash>,
): Promise<Map<string, string>> {
  const ids = new Map([...known].map(([h, p]) => [h, p.id]));
  const fresh = new Map<string, { id: string; idHash: Buffer; name: string; homeRegionCode: string }>();
  for (const item of items) {
    const h = hex(item.idHash);
    if (!ids.has(h) && !fresh.has(h)) fresh.set(h, { id: randomUUID(), ...item });
  }
  if (fresh.size > 0) {
    const rows = [...fresh.values()];
    await query(
      'ReportingStore.insertPersons',
      `INSERT INTO cases.persons (id, id_hash, name, home_region_code)
       SELECT * FROM unnest($1::uuid[], $2::bytea[], $3::text[], $4::text[])`,
      [rows.map((p) => p.id), rows.map((p) => p.idHash), rows.map((p) => p.name.trim()), rows.map((p) => p.homeRegionCode)],
    );
    for (const [h, p] of fresh) ids.set(h, p.id);
  }
  return ids;
}

/**
 * Keeps daily totals consistent with case records (docs/reporting.md): the totals of each county
 * and day the written records count on are raised to the number of records (RECORDED_ON_DAY) where
 * they are lower, or created, and the running columns recomputed from there. Never lowered: a
 * total may count cases reported without a person-level record.
 */
async function raiseDailyTotals(query: Query, records: readonly CaseRecordWrite[]): Promise<void> {
  const codes: string[] = [];
  const dates: string[] = [];
  for (const r of records) {
    const day = r.confirmedOn ?? (r.status === 'ASYMPTOMATIC' || r.status === 'RECOVERED' ? r.reportedOn : null);
    if (day != null) {
      codes.push(r.regionCode);
      dates.push(day);
    }
  }
  if (codes.length === 0) return;
  const raised = await query<{ region_code: string; date: string }>(
    'ReportingStore.raiseDailyTotals',
    `WITH k AS (SELECT DISTINCT region_code, date FROM unnest($1::text[], $2::date[]) AS k(region_code, date))
     INSERT INTO cases.daily_reports AS d (region_code, date, new_confirmed, new_asymptomatic)
     SELECT k.region_code, k.date, r.confirmed, r.asymptomatic FROM k CROSS JOIN LATERAL (${RECORDED_ON_DAY('k')}) r
      WHERE r.confirmed > 0 OR r.asymptomatic > 0
     ON CONFLICT (region_code, date) DO UPDATE SET
       new_confirmed = greatest(d.new_confirmed, EXCLUDED.new_confirmed),
       new_asymptomatic = greatest(d.new_asymptomatic, EXCLUDED.new_asymptomatic), reported_at = now()
     WHERE d.new_confirmed < EXCLUDED.new_confirmed OR d.new_asymptomatic < EXCLUDED.new_asymptomatic
     RETURNING region_code, date::text`,
    [codes, dates],
  );
  await recomputeRunning(query, raised.map((r) => r.region_code), raised.map((r) => r.date));
}
