import type pg from 'pg';
import { hashIdNumber } from '../privacy/idHash';
import { byteaText, copyRows } from './copy';
import { dailyReportRows } from './dailyReports';
import type { SeedData } from './generate';
import { tripsOn } from './network';
import { generateStays, type StayRow } from './stays';
import { DEMO_OPERATOR } from '../../datasources/apiKeys';
import { flowProblems, ingestRules, parseTimestamp, stayPlaceProblems, type Flow, type IngestRules, type RowProblem } from '../../services/ingestion/rows';

export type ProgressListener = (p: { phase: string; done: number; total: number }) => void;

/**
 * Progress for one phase, reported at most about every 1 % (COPY pulls rows in small chunks, and
 * a listener printing each would slow the load down). `total` may be an estimate: `finish` reports
 * the final count as both done and total.
 */
function progressOf(listener: ProgressListener | undefined, phase: string, total: number) {
  let reported = -Infinity;
  const update = (done: number) => {
    if (!listener || done - reported < total / 100) return;
    reported = done;
    listener({ phase, done: Math.min(done, total), total });
  };
  update(0);
  return { update, finish: (done: number) => listener?.({ phase, done, total: done }) };
}

/**
 * One transaction per datasource: the seeded tables are emptied (identities restarted) and filled
 * together, so a failed seed leaves the previous data in place. COPY may run longer than the
 * pool's statement timeout, which is lifted for this transaction only.
 */
async function inTransaction<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('SET LOCAL statement_timeout = 0');
    const result = await work(client);
    await client.query('COMMIT');
    client.release();
    return result;
  } catch (error) {
    // The connection may be mid-COPY: discard it rather than return it to the pool.
    await client.query('ROLLBACK').catch(() => undefined);
    client.release(true);
    throw error;
  }
}

/** After COPY with explicit ids, the identity must continue after them (ingestion inserts without ids). */
async function continueIdentity(client: pg.PoolClient, table: string): Promise<void> {
  await client.query(
    `SELECT setval(pg_get_serial_sequence('${table}', 'id'), COALESCE((SELECT max(id) FROM ${table}), 0) + 1, false)`,
  );
}

/** Replaces region.regions with the generated list (the tests' regions-only template loads it alone). */
export async function loadRegion(pool: pg.Pool, data: Pick<SeedData, 'regions'>, onProgress?: ProgressListener): Promise<number> {
  const { provinces, cities, counties } = data.regions;
  // Parents before children: parent_code is a foreign key checked row by row.
  const rows = [...provinces, ...cities, ...counties];
  const progress = progressOf(onProgress, 'load region', rows.length);
  return inTransaction(pool, async (client) => {
    await client.query('TRUNCATE region.successors, region.changes, region.regions RESTART IDENTITY');
    const copied = await copyRows(
      client,
      'region.regions',
      ['code', 'name', 'level', 'kind', 'official_name', 'parent_code', 'province_code', 'population', 'population_source', 'population_year'],
      rows,
      (r) => [r.code, r.name, r.level, r.kind, r.officialName, r.parentCode, r.provinceCode, r.population, 'simulated', 2020],
      progress.update,
    );
    await client.query('ANALYZE region.regions');
    progress.finish(copied);
    return copied;
  });
}

export interface CasesCounts {
  dailyReports: number;
  clusters: number;
  persons: number;
  caseRecords: number;
  contacts: number;
}

export async function loadCases(pool: pg.Pool, data: SeedData, idHashSecret: string, onProgress?: ProgressListener): Promise<CasesCounts> {
  const { clusters, persons, caseRecords, contacts } = data.people;
  const dailyTotal = data.sim.countyCodes.length * data.timeline.days;
  const total = clusters.length + persons.length + caseRecords.length + contacts.length + dailyTotal;
  const progress = progressOf(onProgress, 'load cases', total);
  let before = 0;
  const advance = (copied: number) => progress.update(before + copied);

  return inTransaction(pool, async (client) => {
    await client.query(
      'TRUNCATE cases.contacts, cases.case_records, cases.persons, cases.clusters, cases.daily_reports RESTART IDENTITY',
    );
    const counts: CasesCounts = { dailyReports: 0, clusters: 0, persons: 0, caseRecords: 0, contacts: 0 };
    counts.clusters = await copyRows(
      client, 'cases.clusters', ['id', 'region_code', 'detected_on', 'size', 'description'], clusters,
      (k) => [k.id, k.regionCode, k.detectedOn, k.size, k.description], advance,
    );
    before += counts.clusters;
    // The ID number is hashed on its way out: only the keyed hash reaches the database.
    counts.persons = await copyRows(
      client, 'cases.persons', ['id', 'id_hash', 'name', 'home_region_code'], persons,
      (p) => [p.id, byteaText(hashIdNumber(p.idNumber, idHashSecret)), p.name, p.homeCode], advance,
    );
    before += counts.persons;
    counts.caseRecords = await copyRows(
      client, 'cases.case_records',
      ['id', 'reference', 'person_id', 'region_code', 'status', 'reported_on', 'confirmed_on', 'closed_on', 'cluster_id'], caseRecords,
      (r) => [r.id, r.reference, r.personId, r.regionCode, r.status, r.reportedOn, r.confirmedOn, r.closedOn, r.clusterId], advance,
    );
    before += counts.caseRecords;
    counts.contacts = await copyRows(
      client, 'cases.contacts', ['id', 'person_id', 'case_id', 'exposure_date', 'region_code', 'setting'], contacts,
      (c) => [c.id, c.personId, c.caseId, c.exposureDate, c.regionCode, c.setting], advance,
    );
    before += counts.contacts;
    counts.dailyReports = await copyRows(
      client, 'cases.daily_reports',
      ['region_code', 'date', 'new_confirmed', 'new_asymptomatic', 'new_suspected', 'new_recovered', 'new_deaths',
        'cumulative_confirmed', 'cumulative_recovered', 'cumulative_deaths', 'last_confirmed_on'],
      dailyReportRows(data.sim),
      (d) => [d.regionCode, d.date, d.newConfirmed, d.newAsymptomatic, d.newSuspected, d.newRecovered, d.newDeaths,
        d.cumulativeConfirmed, d.cumulativeRecovered, d.cumulativeDeaths, d.lastConfirmedOn],
      advance,
    );
    for (const table of ['cases.clusters', 'cases.case_records', 'cases.contacts']) await continueIdentity(client, table);
    await client.query('ANALYZE cases.daily_reports, cases.clusters, cases.persons, cases.case_records, cases.contacts');
    progress.finish(before + counts.dailyReports);
    return counts;
  });
}

/**
 * Daily flows in primary-key order (destination, date, origin), so the B-tree is filled left to
 * right; trips are recomputed by tripsOn, exactly as the epidemic saw them.
 */
export function* flowRows(data: SeedData): Generator<[string, string, string, number]> {
  const { network, timeline } = data;
  const order = Array.from({ length: network.size }, (_, p) => p).sort(
    (a, b) => network.dest[a] - network.dest[b] || network.origin[a] - network.origin[b],
  );
  const codes = network.countyCodes;
  for (let start = 0; start < order.length; ) {
    let end = start;
    while (end < order.length && network.dest[order[end]] === network.dest[order[start]]) end++;
    const destCode = codes[network.dest[order[start]]];
    for (let t = 0; t < timeline.days; t++) {
      for (let k = start; k < end; k++) {
        const p = order[k];
        const trips = tripsOn(network, timeline, p, t);
        if (trips > 0) yield [timeline.dates[t], codes[network.origin[p]], destCode, trips];
      }
    }
    start = end;
  }
}

/** How many flow rows there will be, for progress (cheap: no rows are built). */
function countFlows(data: SeedData): number {
  let count = 0;
  for (let t = 0; t < data.timeline.days; t++) {
    for (let p = 0; p < data.network.size; p++) if (tripsOn(data.network, data.timeline, p, t) > 0) count++;
  }
  return count;
}

/** The seed's mode of flows and source of stays: a telecom operator's location data, as the simulator models. */
export const SEED_FLOW_MODE = 'MIXED';
export const SEED_STAY_SOURCE = 'TELECOM';

/**
 * The seed writes flows and stays through the checks of carriers' uploads (services/ingestion/rows.ts),
 * so the demo holds nothing an operator could not have sent; a row that fails is a bug of the simulator.
 */
function checked<T>(rows: Iterable<T>, problemsOf: (row: T) => RowProblem[], what: string): Generator<T> {
  return (function* () {
    for (const row of rows) {
      const problems = problemsOf(row);
      if (problems.length > 0) {
        throw new Error(`the seed made a ${what} that an upload would refuse: ${problems.map((p) => `${p.column ?? 'row'} ${p.message}`).join('; ')}`);
      }
      yield row;
    }
  })();
}

/**
 * The upload rules as of the end of the seed's last day (China Standard Time), or now if later: the
 * simulated stays of the day before may run past midnight into the seed day, and a seed made just
 * after midnight (16:00 UTC) refused them as "in the future" — the seed writes its days as if
 * uploaded once they were over.
 */
function seedRules(data: SeedData): IngestRules {
  const { dates, days } = data.sim.timeline;
  const endOfLastDay = Date.parse(`${dates[days - 1]}T23:59:59.999+08:00`);
  return ingestRules(new Set(data.regions.counties.map((c) => c.code)), new Date(Math.max(Date.now(), endOfLastDay)));
}

const seedFlow = ([date, origin, destination, trips]: readonly [string, string, string, number]): Flow => ({ date, origin, destination, trips, mode: SEED_FLOW_MODE });
const seedStayPlace = (s: StayRow) => ({ county: s.regionCode, arrivedMs: parseTimestamp(s.arrivedAt), leftMs: parseTimestamp(s.leftAt), source: SEED_STAY_SOURCE } as const);

export interface MobilityCounts {
  flows: number;
  stays: number;
}

export async function loadMobility(pool: pg.Pool, data: SeedData, onProgress?: ProgressListener): Promise<MobilityCounts> {
  return inTransaction(pool, async (client) => {
    await client.query('TRUNCATE mobility.flows, mobility.stays RESTART IDENTITY');
    // Both tables are partitioned by month: every month of the timeline gets its partition first
    // (stays lie within it too), so that no row lands in the DEFAULT partition.
    const { dates } = data.timeline;
    await client.query('SELECT mobility.ensure_month_partitions($1, $2)', [dates[0], dates[dates.length - 1]]);
    const rules = seedRules(data);
    const flowProgress = progressOf(onProgress, 'load flows', countFlows(data));
    const flows = await copyRows(
      client, 'mobility.flows', ['date', 'origin_code', 'dest_code', 'trips', 'operator', 'mode'],
      checked(flowRows(data), (row) => flowProblems(rules, seedFlow(row)), 'flow'),
      (row) => [...row, DEMO_OPERATOR, SEED_FLOW_MODE], flowProgress.update,
    );
    flowProgress.finish(flows);
    // Stays are produced while copying; until the end, progress counts against an estimate of 3 per person.
    const stayProgress = progressOf(onProgress, 'load stays', data.people.persons.length * 3);
    const stays = await copyRows(
      client, 'mobility.stays', ['person_id', 'region_code', 'arrived_at', 'left_at', 'operator', 'source'],
      checked(generateStays(data.people, data.regions, data.network, data.sim), (s) => stayPlaceProblems(rules, seedStayPlace(s)), 'stay'),
      (s) => [s.personId, s.regionCode, s.arrivedAt, s.leftAt, DEMO_OPERATOR, SEED_STAY_SOURCE],
      stayProgress.update,
    );
    stayProgress.finish(stays);
    await client.query('ANALYZE mobility.flows, mobility.stays');
    return { flows, stays };
  });
}
