import type { Sql } from '../src/db/sql';
import { Loader, type LoaderOptions } from './loader';
import { isUuid } from './apiKeys';
import { z } from 'zod';
import { column, parseRows } from '../src/db/rows';
import { ACTIVE_CASE_STATUSES } from '../src/risk/passColor';

/** A person record (never with the ID number: only its keyed hash is stored). */
export interface PersonRecord {
  id: string;
  name: string;
  homeRegionCode: string;
}

export interface CaseRecordRow {
  id: string;
  reference: string;
  personId: string;
  status: string;
  reportedOn: string;
  confirmedOn: string | null;
  closedOn: string | null;
  regionCode: string;
  clusterId: string | null;
}

export interface ContactRow {
  personId: string;
  exposureDate: string;
  regionCode: string;
  setting: string;
  quarantineEndedOn: string | null;
}

/** What a pass colour needs of a person from this source, in one statement (pass checks). */
export interface PassFacts {
  personId: string;
  name: string;
  /** Active case records only (CONFIRMED, ASYMPTOMATIC, SUSPECTED), most recent first. */
  activeCases: { status: string; reportedOn: string }[];
  /** Exposure dates on or after the window start, most recent first. */
  exposures: string[];
  /**
   * `cases.data_version` read by the same statement: the county levels that colour this person's
   * stays may come from the process-wide cache of that version (src/cache/countyLevels.ts).
   */
  caseDataVersion: string;
}

const hex = (b: Buffer) => b.toString('hex');

/** A colour is decided by these: a status it does not know, or a date of another shape, must not pass as GREEN. */
const PassFactsRow = z.object({
  key: column.text,
  id: column.text,
  name: column.text,
  active_cases: z.array(z.object({ status: z.enum(ACTIVE_CASE_STATUSES), reportedOn: column.date })),
  exposures: z.array(column.date),
  version: column.text,
});

export interface PassFactsKey {
  personId: string;
  /** First day of the pass window: exposures before it do not count. */
  since: string;
}
const passFactsKey = (k: PassFactsKey) => `${k.personId}|${k.since}`;

/**
 * Name, active cases and recent exposures per person, in key order (null: no such person), and
 * the case data version, in one statement instead of three (person, case records, contacts): a
 * batch of 1,000 pass checks costs the same round trips as one. Used by the per-request loader
 * and by the process-wide pass-check batch (src/db/sharedBatch.ts).
 */
export async function passFactsOf(sql: Sql, keys: readonly PassFactsKey[]): Promise<(PassFacts | null)[]> {
  // Keys repeat when requests share a batch: each distinct key is read once.
  const distinct = [...new Map(keys.map((k) => [passFactsKey(k), k])).values()];
  // On the primary, and the request's later case reads too (read replicas): the version keys the
  // process-wide county-level cache (src/cache/countyLevels.ts), and the levels this request then
  // computes from case data are filed under it. Read on a replica behind the last commit, levels of
  // old data could be filed under the newest version and shown until the next write.
  sql.pinToPrimary();
  const rows = parseRows('PersonSource.passFacts', PassFactsRow, await sql.queryPrimary(
    'PersonSource.passFacts',
    `SELECT k.key, p.id, p.name,
            coalesce((SELECT json_agg(json_build_object('status', c.status, 'reportedOn', c.reported_on) ORDER BY c.reported_on DESC)
                        FROM cases.case_records c
                       WHERE c.person_id = p.id AND c.status = ANY($4::text[])), '[]') AS active_cases,
            coalesce((SELECT json_agg(x.exposure_date ORDER BY x.exposure_date DESC)
                        FROM cases.contacts x
                       WHERE x.person_id = p.id AND x.exposure_date >= k.since AND x.quarantine_ended_on IS NULL), '[]') AS exposures,
            (SELECT version::text FROM cases.data_version) AS version
       FROM unnest($1::uuid[], $2::date[], $3::text[]) AS k(person_id, since, key)
       JOIN cases.persons p ON p.id = k.person_id`,
    [distinct.map((k) => k.personId), distinct.map((k) => k.since), distinct.map(passFactsKey), ACTIVE_CASE_STATUSES],
  ));
  const byKey = new Map(rows.map((r) => [r.key, { personId: r.id, name: r.name, activeCases: r.active_cases, exposures: r.exposures, caseDataVersion: r.version }]));
  return keys.map((k) => byKey.get(passFactsKey(k)) ?? null);
}
const identity = (s: string) => s;

type PersonRow = { id: string; name: string; home_region_code: string };
const toPerson = (r: PersonRow): PersonRecord => ({
  id: r.id,
  name: r.name,
  homeRegionCode: r.home_region_code,
});

/** Persons, their case records and close-contact links (health commission). Created per request. */
export class PersonSource {
  /** By the hex of the ID number's keyed hash. */
  readonly byIdHash: Loader<Buffer, PersonRecord | null>;
  /** Case records of a person, most recent first. */
  readonly casesByPerson: Loader<string, CaseRecordRow[]>;
  /** Close-contact links of a person, most recent exposure first. */
  readonly contactsByPerson: Loader<string, ContactRow[]>;

  /** Name, active cases and recent exposures per person, keyed by `personId` and window start. */
  readonly passFacts: Loader<PassFactsKey, PassFacts | null>;

  /** By `Person.id`; null for an unknown id or one that is not a UUID. Not audited: services/people.ts audits each read. */
  readonly byId: Loader<string, PersonRecord | null>;

  constructor(sql: Sql, options: LoaderOptions = {}) {
    this.passFacts = new Loader((keys) => passFactsOf(sql, keys), passFactsKey, options);
    this.byId = personByIdLoader(sql, options);
    this.byIdHash = personByIdHashLoader(sql, options);
    this.casesByPerson = casesByPersonLoader(sql, options);
    this.contactsByPerson = contactsByPersonLoader(sql, options);
  }
}

function personByIdLoader(sql: Sql, options: LoaderOptions): Loader<string, PersonRecord | null> {
  return new Loader(
    async (ids) => {
      // Representations come from outside: an id that is no UUID is nobody, not a failed cast of the whole batch.
      const wellFormed = ids.filter(isUuid);
      const rows = wellFormed.length === 0
        ? []
        : await sql.query<PersonRow>(
            'PersonSource.byId',
            'SELECT id, name, home_region_code FROM cases.persons WHERE id = ANY($1::uuid[])',
            [wellFormed],
          );
      // Keyed by the canonical (lower-case) text PostgreSQL returns; a key in upper case is the same UUID.
      const found = new Map(rows.map((r) => [r.id, toPerson(r)]));
      return ids.map((id) => found.get(id.toLowerCase()) ?? null);
    },
    identity,
    options,
  );
}

function personByIdHashLoader(sql: Sql, options: LoaderOptions): Loader<Buffer, PersonRecord | null> {
  return new Loader(
    async (hashes) => {
      const rows = await sql.query<PersonRow & { id_hash: Buffer }>(
        'PersonSource.byIdHash',
        'SELECT id, name, home_region_code, id_hash FROM cases.persons WHERE id_hash = ANY($1::bytea[])',
        [hashes],
      );
      const byHash = new Map(rows.map((r) => [hex(r.id_hash), toPerson(r)]));
      return hashes.map((h) => byHash.get(hex(h)) ?? null);
    },
    hex,
    options,
  );
}

function casesByPersonLoader(sql: Sql, options: LoaderOptions): Loader<string, CaseRecordRow[]> {
  return new Loader(
    async (ids) => {
      const rows = await sql.query<{
        id: string; reference: string; person_id: string; status: string; reported_on: string; confirmed_on: string | null;
        closed_on: string | null; region_code: string; cluster_id: string | null;
      }>(
        'PersonSource.casesByPerson',
        `SELECT id::text, reference, person_id, status, reported_on, confirmed_on, closed_on, region_code, cluster_id::text
           FROM cases.case_records WHERE person_id = ANY($1::uuid[])
          ORDER BY reported_on DESC, id DESC`,
        [ids],
      );
      const byPerson = new Map<string, CaseRecordRow[]>(ids.map((id) => [id, []]));
      for (const r of rows) {
        byPerson.get(r.person_id)?.push({
          id: r.id,
          reference: r.reference,
          personId: r.person_id,
          status: r.status,
          reportedOn: r.reported_on,
          confirmedOn: r.confirmed_on,
          closedOn: r.closed_on,
          regionCode: r.region_code,
          clusterId: r.cluster_id,
        });
      }
      return ids.map((id) => byPerson.get(id) ?? []);
    },
    identity,
    options,
  );
}

function contactsByPersonLoader(sql: Sql, options: LoaderOptions): Loader<string, ContactRow[]> {
  return new Loader(
    async (ids) => {
      const rows = await sql.query<{ person_id: string; exposure_date: string; region_code: string; setting: string; quarantine_ended_on: string | null }>(
        'PersonSource.contactsByPerson',
        `SELECT person_id, exposure_date, region_code, setting, quarantine_ended_on FROM cases.contacts
          WHERE person_id = ANY($1::uuid[]) ORDER BY exposure_date DESC, id DESC`,
        [ids],
      );
      const byPerson = new Map<string, ContactRow[]>(ids.map((id) => [id, []]));
      for (const r of rows) {
        byPerson.get(r.person_id)?.push({
          personId: r.person_id, exposureDate: r.exposure_date, regionCode: r.region_code, setting: r.setting, quarantineEndedOn: r.quarantine_ended_on,
        });
      }
      return ids.map((id) => byPerson.get(id) ?? []);
    },
    identity,
    options,
  );
}

/**
 * Finds the persons of these ID hashes, registering those the case datasource does not know yet
 * (carriers' stays name persons by name and ID number; docs/ingestion.md). A known person is
 * never changed: the health commission's record wins over a carrier's spelling of the name.
 * One statement per batch; the result pairs every hash with its person's id.
 */
export async function registerPersons(sql: Sql, persons: readonly { idHash: Buffer; name: string; homeCode: string }[]): Promise<{ idHash: Buffer; id: string }[]> {
  const rows = await sql.write<{ id: string; id_hash: Buffer }>(
    'PersonSource.registerPersons',
    `WITH given AS (SELECT * FROM unnest($1::bytea[], $2::text[], $3::text[]) AS g(id_hash, name, home_code)),
          added AS (
            INSERT INTO cases.persons (id, id_hash, name, home_region_code)
            SELECT gen_random_uuid(), id_hash, name, home_code FROM given
            ON CONFLICT (id_hash) DO NOTHING
            RETURNING id, id_hash
          )
     SELECT id, id_hash FROM added
     UNION ALL
     SELECT p.id, p.id_hash FROM cases.persons p JOIN given g USING (id_hash)`,
    [persons.map((p) => p.idHash), persons.map((p) => p.name), persons.map((p) => p.homeCode)],
  );
  return rows.map((r) => ({ idHash: r.id_hash, id: r.id }));
}
