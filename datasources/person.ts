import type { Sql } from './sql';
import { Loader } from './loader';

/** A person record (never with the ID number: only its keyed hash is stored). */
export interface PersonRecord {
  id: string;
  name: string;
  homeRegionCode: string;
}

export interface CaseRecordRow {
  id: string;
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
}

const hex = (b: Buffer) => b.toString('hex');
const identity = (s: string) => s;

/** Persons, their case records and close-contact links (health commission). Created per request. */
export class PersonSource {
  /** By the hex of the ID number's keyed hash. */
  readonly byIdHash: Loader<Buffer, PersonRecord | null>;
  readonly byId: Loader<string, PersonRecord | null>;
  /** Case records of a person, most recent first. */
  readonly casesByPerson: Loader<string, CaseRecordRow[]>;
  /** Close-contact links of a person, most recent exposure first. */
  readonly contactsByPerson: Loader<string, ContactRow[]>;

  constructor(sql: Sql, options: { batch?: boolean } = {}) {
    const toPerson = (r: { id: string; name: string; home_region_code: string }): PersonRecord => ({
      id: r.id,
      name: r.name,
      homeRegionCode: r.home_region_code,
    });
    this.byIdHash = new Loader(
      async (hashes) => {
        const rows = await sql.query<{ id: string; name: string; home_region_code: string; id_hash: Buffer }>(
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
    this.byId = new Loader(
      async (ids) => {
        const rows = await sql.query<{ id: string; name: string; home_region_code: string }>(
          'PersonSource.byId',
          'SELECT id, name, home_region_code FROM cases.persons WHERE id = ANY($1::uuid[])',
          [ids],
        );
        const byId = new Map(rows.map((r) => [r.id, toPerson(r)]));
        return ids.map((id) => byId.get(id) ?? null);
      },
      identity,
      options,
    );
    this.casesByPerson = new Loader(
      async (ids) => {
        const rows = await sql.query<{
          id: string; person_id: string; status: string; reported_on: string; confirmed_on: string | null;
          closed_on: string | null; region_code: string; cluster_id: string | null;
        }>(
          'PersonSource.casesByPerson',
          `SELECT id::text, person_id, status, reported_on, confirmed_on, closed_on, region_code, cluster_id::text
             FROM cases.case_records WHERE person_id = ANY($1::uuid[])
            ORDER BY reported_on DESC, id DESC`,
          [ids],
        );
        const byPerson = new Map<string, CaseRecordRow[]>(ids.map((id) => [id, []]));
        for (const r of rows) {
          byPerson.get(r.person_id)?.push({
            id: r.id,
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
    this.contactsByPerson = new Loader(
      async (ids) => {
        const rows = await sql.query<{ person_id: string; exposure_date: string; region_code: string }>(
          'PersonSource.contactsByPerson',
          `SELECT person_id, exposure_date, region_code FROM cases.contacts
            WHERE person_id = ANY($1::uuid[]) ORDER BY exposure_date DESC, id DESC`,
          [ids],
        );
        const byPerson = new Map<string, ContactRow[]>(ids.map((id) => [id, []]));
        for (const r of rows) {
          byPerson.get(r.person_id)?.push({ personId: r.person_id, exposureDate: r.exposure_date, regionCode: r.region_code });
        }
        return ids.map((id) => byPerson.get(id) ?? []);
      },
      identity,
      options,
    );
  }
}
