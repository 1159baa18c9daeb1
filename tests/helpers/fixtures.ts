import { randomUUID } from 'node:crypto';
import { closePools, type Pools } from '../../src/db/pools';
import { residentIdCheckChar } from '../../src/privacy/residentId';
import { hashIdNumber } from '../../src/privacy/idHash';
import { Sql, SqlRecorder } from '../../src/db/sql';
import { RegionSource } from '../../datasources/region';
import { CaseSource } from '../../datasources/case';
import { IngestService } from '../../services/ingest';
import { PassRegistry, type PassRecord } from '../../datasources/passRegistry';
import { createScratchDatabase, type ScratchDatabase } from './scratchDatabase';
import { poolsFor } from './pools';
import { TEST_ID_HASH_SECRET } from './secrets';

/**
 * Tests that own their data (docs/testing.md). The shared seeds of the run are read-only
 * (sharedSeedGuard.ts); a suite that writes works in a database of its own, copied at file level
 * from one of the run's templates (globalSetup.ts) in a fraction of a second:
 *
 * - `freshDatabase()`: migrated, the full region list and the demo API keys, no epidemic, no
 *   persons, no mobility. A suite builds what it asserts on with `Fixtures`.
 * - `seededCopy()`: a copy of the shared small seed (demo people, epidemic, mobility), for a suite
 *   that writes on top of the demo facts.
 *
 * Each is dropped by `drop()` (call it in afterAll); globalTeardown drops what a crashed suite left.
 */
export type OwnDatabase = ScratchDatabase;

/** A copy of the run's regions-only template: migrated, every region, the demo API keys; nothing else. */
export function freshDatabase(label: string): Promise<OwnDatabase> {
  return copyOf('TEST_TEMPLATE_DATABASE', label);
}

/** A copy of the run's shared small seed (the same data TEST_DATABASE_URL holds), to write on. */
export function seededCopy(label: string): Promise<OwnDatabase> {
  return copyOf('TEST_SEEDED_TEMPLATE_DATABASE', label);
}

async function copyOf(templateVariable: 'TEST_TEMPLATE_DATABASE' | 'TEST_SEEDED_TEMPLATE_DATABASE', label: string): Promise<OwnDatabase> {
  const template = process.env[templateVariable];
  const tag = process.env.TEST_RUN_TAG;
  if (!template || !tag) throw new Error(`${templateVariable} is not set: run through jest (tests/helpers/globalSetup.ts)`);
  // the run's tag first, so that globalTeardown finds (and drops) what a crashed suite left behind
  return createScratchDatabase(`${tag}_${label.toLowerCase().replace(/[^a-z0-9]+/g, '_').slice(0, 28)}`, { template });
}

/** A person made by `Fixtures.person`: what a test sends (name, ID number) and what it finds (id). */
export interface FixturePerson {
  id: string;
  name: string;
  /** 18 characters with a valid check character; stored only as its keyed hash, as the seed does. */
  idNumber: string;
  homeCode: string;
}

export type CaseStatus = 'CONFIRMED' | 'ASYMPTOMATIC' | 'SUSPECTED' | 'RECOVERED' | 'DECEASED' | 'RULED_OUT';

/** Counts of a daily report; those left out are 0, as in `DailyReportInput`. */
export interface FixtureReport {
  date: string;
  newConfirmed: number;
  newAsymptomatic?: number;
  newSuspected?: number;
  newRecovered?: number;
  newDeaths?: number;
}

/**
 * Builds data in a database a suite owns, returning the ids and ID numbers it asserts on. Reports
 * and clusters go through the ingestion service that `reportDailyCases` / `reportCluster` use (same
 * validation, running totals, data version, live notifications), passes through the pass registry;
 * persons, case records, contacts and stays, which the API does not write, are inserted as the
 * seed loads them (ID numbers hashed with the test secret by the server's own function).
 */
export class Fixtures {
  private nextSequence = 1;

  private constructor(
    readonly pools: Pools,
    private readonly ownsPools: boolean,
  ) {}

  /** Over a database of the suite's own (freshDatabase, seededCopy); `close()` ends its pools. */
  static over(url: string): Fixtures {
    if (url === process.env.TEST_DATABASE_URL || url === process.env.TEST_DATABASE_URL_50) {
      throw new Error('Fixtures write: give them a database of the suite\'s own (freshDatabase, seededCopy), not the shared seed');
    }
    return new Fixtures(poolsFor(url, 2), true);
  }

  async close(): Promise<void> {
    if (this.ownsPools) await closePools(this.pools);
  }

  private ingest(): IngestService {
    const recorder = new SqlRecorder();
    return new IngestService(new RegionSource(new Sql(this.pools.region, 'region', recorder)), new CaseSource(new Sql(this.pools.cases, 'cases', recorder)));
  }

  /** Daily reports of one county, stored as `reportDailyCases` stores them; refused input throws with its userErrors. */
  async dailyReports(regionCode: string, reports: readonly FixtureReport[]): Promise<void> {
    const { userErrors } = await this.ingest().reportDailyCases(reports.map((r) => ({ regionCode, ...r })));
    if (userErrors.length > 0) throw new Error(`Fixtures.dailyReports(${regionCode}) refused: ${JSON.stringify(userErrors)}`);
  }

  /** A cluster, stored as `reportCluster` stores it; returns its id. */
  async cluster(regionCode: string, cluster: { detectedOn: string; size: number; description?: string }): Promise<{ id: string }> {
    const { cluster: stored, userErrors } = await this.ingest().reportCluster({ regionCode, ...cluster });
    if (!stored) throw new Error(`Fixtures.cluster(${regionCode}) refused: ${JSON.stringify(userErrors)}`);
    return { id: stored.id };
  }

  /**
   * A person registered in `homeCode` (a county code, also the ID number's address code), born on
   * `birthDate`; ID numbers differ by their sequence digits, so one Fixtures makes up to 999.
   */
  async person(person: { name: string; homeCode: string; birthDate?: string }): Promise<FixturePerson> {
    const sequence = String(this.nextSequence++).padStart(3, '0');
    if (sequence.length > 3) throw new Error('Fixtures.person: at most 999 persons per Fixtures');
    const first17 = `${person.homeCode}${(person.birthDate ?? '1990-01-01').replaceAll('-', '')}${sequence}`;
    const made: FixturePerson = { id: randomUUID(), name: person.name, idNumber: first17 + residentIdCheckChar(first17), homeCode: person.homeCode };
    await this.pools.cases.query(
      '/* Fixtures.person */ INSERT INTO cases.persons (id, id_hash, name, home_region_code) VALUES ($1, $2, $3, $4)',
      [made.id, hashIdNumber(made.idNumber, TEST_ID_HASH_SECRET), made.name, made.homeCode],
    );
    return made;
  }

  /** A case record of `person` (region: their home county unless given); returns its id. */
  async caseRecord(
    person: FixturePerson,
    record: { status: CaseStatus; reportedOn: string; regionCode?: string; confirmedOn?: string; closedOn?: string; clusterId?: string },
  ): Promise<{ id: string }> {
    const { rows } = await this.pools.cases.query<{ id: string }>(
      `/* Fixtures.caseRecord */ INSERT INTO cases.case_records (person_id, region_code, status, reported_on, confirmed_on, closed_on, cluster_id)
       VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id::text`,
      [person.id, record.regionCode ?? person.homeCode, record.status, record.reportedOn, record.confirmedOn ?? null, record.closedOn ?? null, record.clusterId ?? null],
    );
    return rows[0];
  }

  /** `person` was a close contact of the case `caseId`, exposed on `exposureDate` in `regionCode`. */
  async contact(person: FixturePerson, caseId: string, contact: { exposureDate: string; regionCode: string }): Promise<{ id: string }> {
    const { rows } = await this.pools.cases.query<{ id: string }>(
      '/* Fixtures.contact */ INSERT INTO cases.contacts (person_id, case_id, exposure_date, region_code) VALUES ($1, $2, $3, $4) RETURNING id::text',
      [person.id, caseId, contact.exposureDate, contact.regionCode],
    );
    return rows[0];
  }

  /** A stay of `person` in `regionCode` from `arrivedAt` to `leftAt` (ISO timestamps with an offset, or Dates). */
  async stay(person: FixturePerson, stay: { regionCode: string; arrivedAt: string | Date; leftAt: string | Date }): Promise<{ id: string }> {
    const { rows } = await this.pools.mobility.query<{ id: string }>(
      '/* Fixtures.stay */ INSERT INTO mobility.stays (person_id, region_code, arrived_at, left_at, operator, source) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id::text',
      [person.id, stay.regionCode, stay.arrivedAt, stay.leftAt, 'demo', 'TELECOM'],
    );
    return rows[0];
  }

  /** A pass of `person`, registered as `issuePass` registers it (earlier ones revoked); valid 24 hours unless told. */
  async pass(person: FixturePerson, pass: { issuedAt?: Date; validUntil?: Date } = {}): Promise<PassRecord> {
    const issuedAt = pass.issuedAt ?? new Date();
    const validUntil = pass.validUntil ?? new Date(issuedAt.getTime() + 86_400_000);
    return new PassRegistry(new Sql(this.pools.access, 'access', new SqlRecorder())).issue(person.id, issuedAt, validUntil);
  }
}
