import { caseOutcome, type CaseStatus, sampleCases } from './caseRecords';
import { clusterRows, type ClusterRow } from './clusters';
import { DEMO_PEOPLE, type DemoPerson, NOBODY_ID_NUMBER } from './demoPeople';
import { WUCHANG_OUTBREAK, type EpidemicSimulation } from './epidemic';
import { randomChineseName } from './names';
import { pickCumulative, Prng, seedFrom } from './prng';
import { OUTBREAK_COUNTY_CODE, type RegionSet } from './regions';
import { ResidentIdIssuer } from './residentIds';
import { SCALE_PROFILES } from './timeline';
import type { ContactSetting } from '../reporting/validate';

/** One row of cases.persons before hashing: the ID number never leaves the seed's memory in clear. */
export interface Person {
  id: string;
  name: string;
  idNumber: string;
  homeCode: string;
  /** County index of homeCode. */
  homeCounty: number;
}

export interface CaseRecordRow {
  id: number;
  /** The health commission's number of the record (the reporting path's natural key). */
  reference: string;
  personId: string;
  regionCode: string;
  status: CaseStatus;
  reportedOn: string;
  confirmedOn: string | null;
  closedOn: string | null;
  clusterId: number | null;
}

export interface ContactRow {
  id: number;
  personId: string;
  caseId: number;
  exposureDate: string;
  regionCode: string;
  setting: ContactSetting;
}

export interface PeopleData {
  clusters: ClusterRow[];
  /** Demo people first, then persons with a case record, then everyone else. */
  persons: Person[];
  caseRecords: CaseRecordRow[];
  contacts: ContactRow[];
  demo: Record<DemoPerson['key'], Person>;
}

/** The demo's record numbers: the form migration cases/1700000000003 gave the records before it. */
const caseReference = (id: number) => `C${id}`;

/** Share of persons that get a case record (drawn from the simulated reports). */
const CASE_SHARE = 0.06;

/**
 * Persons, their case records and close-contact links: the demo people with their fixed facts,
 * a sample of the simulated reported cases as persons, and a population to draw contacts from.
 *
 * The phases share one generator and run in a fixed order: each draws from it, so reordering
 * them would change every row after the first moved draw.
 */
export function generatePeople(regions: RegionSet, sim: EpidemicSimulation): PeopleData {
  const run = startPeople(regions, sim);
  const demo = addDemoPeople(run);
  const clusters = clusterRows(sim, regions);
  const { caseRecords, contacts, linked } = outbreakRecords(run, demo, clusters);
  addSampledCases(run, clusters, linked, caseRecords);
  const population = addGeneralPopulation(run);
  addCloseContacts(run, population, caseRecords, contacts);
  return { clusters, persons: run.persons, caseRecords, contacts, demo };
}

/** What the phases of generatePeople share: the inputs, the one generator, the persons so far. */
interface PeopleRun {
  sim: EpidemicSimulation;
  dates: string[];
  /** The last simulated day's index. */
  last: number;
  /** How many persons the scale asks for. */
  target: number;
  rng: Prng;
  counties: RegionSet['counties'];
  countyIndex: Map<string, number>;
  issuer: ResidentIdIssuer;
  addressCode: string[];
  persons: Person[];
}

function startPeople(regions: RegionSet, sim: EpidemicSimulation): PeopleRun {
  const { timeline } = sim;
  const counties = regions.counties;
  return {
    sim,
    dates: timeline.dates,
    last: timeline.days - 1,
    target: SCALE_PROFILES[timeline.scale].persons,
    rng: new Prng(seedFrom('persons', timeline.scale)),
    counties,
    countyIndex: new Map(counties.map((c, i) => [c.code, i])),
    issuer: new ResidentIdIssuer(timeline.seedDay, [...DEMO_PEOPLE.map((p) => p.idNumber), NOBODY_ID_NUMBER]),
    addressCode: idAddressCodes(regions),
    persons: [],
  };
}

/** A generated person living in homeCounty, with a fresh name and a valid ID number issued there. */
function newPerson(run: PeopleRun, homeCounty: number): Person {
  const { rng } = run;
  const person = {
    id: rng.uuid(),
    name: randomChineseName(rng),
    idNumber: run.issuer.issue(run.addressCode[homeCounty], rng),
    homeCode: run.counties[homeCounty].code,
    homeCounty,
  };
  run.persons.push(person);
  return person;
}

function addDemoPeople(run: PeopleRun): Record<DemoPerson['key'], Person> {
  const demoEntries = DEMO_PEOPLE.map((p): [DemoPerson['key'], Person] => {
    const homeCounty = run.countyIndex.get(p.homeCode);
    if (homeCounty === undefined) throw new Error(`demo person ${p.key}: home county ${p.homeCode} is not among the regions`);
    const person = { id: run.rng.uuid(), name: p.name, idNumber: p.idNumber, homeCode: p.homeCode, homeCounty };
    run.persons.push(person);
    return [p.key, person];
  });
  return Object.fromEntries(demoEntries) as Record<DemoPerson['key'], Person>;
}

/**
 * 王红: one of the index cases of the late Wuchang cluster, confirmed 6 days before the seed day,
 * and 李成 her contact. The record lists start with them; `linked` counts records per cluster id.
 */
function outbreakRecords(run: PeopleRun, demo: Record<DemoPerson['key'], Person>, clusters: ClusterRow[]) {
  const { dates, last } = run;
  const linked = new Map<number, number>();
  const outbreakDay = last - WUCHANG_OUTBREAK.confirmedDaysBeforeEnd;
  const outbreakCluster = clusters.find((k) => k.regionCode === OUTBREAK_COUNTY_CODE && k.day === outbreakDay);
  if (!outbreakCluster) throw new Error('the simulation has no Wuchang cluster 6 days before the seed day');
  linked.set(outbreakCluster.id, 1);
  const caseRecords: CaseRecordRow[] = [
    {
      id: 1,
      reference: caseReference(1),
      personId: demo.wangHong.id,
      regionCode: OUTBREAK_COUNTY_CODE,
      status: 'CONFIRMED',
      reportedOn: dates[outbreakDay - 1],
      confirmedOn: dates[outbreakDay],
      closedOn: null,
      clusterId: outbreakCluster.id,
    },
  ];
  const contacts: ContactRow[] = [
    { id: 1, personId: demo.liCheng.id, caseId: 1, exposureDate: dates[last - 5], regionCode: OUTBREAK_COUNTY_CODE, setting: 'WORKPLACE' },
  ];
  return { caseRecords, contacts, linked };
}

function clustersByCounty(clusters: ClusterRow[]): Map<number, ClusterRow[]> {
  const clustersOf = new Map<number, ClusterRow[]>();
  for (const cluster of clusters) {
    const list = clustersOf.get(cluster.county) ?? [];
    list.push(cluster);
    clustersOf.set(cluster.county, list);
  }
  return clustersOf;
}

/** Deaths per confirmed case over the whole simulation: the outcome model's fatality. */
function simulatedFatality(sim: EpidemicSimulation): number {
  let confirmedTotal = 0;
  let deathTotal = 0;
  for (let i = 0; i < sim.confirmed.length; i++) {
    confirmedTotal += sim.confirmed[i];
    deathTotal += sim.deaths[i];
  }
  return confirmedTotal === 0 ? 0 : deathTotal / confirmedTotal;
}

/** Case records: a sample of the reported cases, each a person living where it was reported. */
function addSampledCases(run: PeopleRun, clusters: ClusterRow[], linked: Map<number, number>, caseRecords: CaseRecordRow[]): void {
  const { sim, rng, dates, last } = run;
  const clustersOf = clustersByCounty(clusters);
  const fatality = simulatedFatality(sim);
  const sampled = sampleCases(sim, Math.round(run.target * CASE_SHARE), rng);
  for (const sample of sampled) {
    const person = newPerson(run, sample.county);
    const outcome = caseOutcome(sample, last, fatality, rng);
    // Confirmed cases around a cluster's detection are likely its members, up to its size.
    const cluster =
      outcome.confirmedDay === null
        ? undefined
        : clustersOf.get(sample.county)?.find((k) => Math.abs(k.day - sample.day) <= 3 && (linked.get(k.id) ?? 0) < k.size);
    const clusterId = cluster && rng.chance(0.6) ? cluster.id : null;
    if (clusterId !== null) linked.set(clusterId, (linked.get(clusterId) ?? 0) + 1);
    caseRecords.push({
      id: caseRecords.length + 1,
      reference: caseReference(caseRecords.length + 1),
      personId: person.id,
      regionCode: run.counties[sample.county].code,
      status: outcome.status,
      reportedOn: dates[outcome.reportedDay],
      confirmedOn: outcome.confirmedDay === null ? null : dates[outcome.confirmedDay],
      closedOn: outcome.closedDay === null ? null : dates[outcome.closedDay],
      clusterId,
    });
  }
}

interface GeneralPopulation {
  general: Person[];
  byCounty: Map<number, Person[]>;
}

/** Everyone else, up to the scale's target: home counties drawn by population. */
function addGeneralPopulation(run: PeopleRun): GeneralPopulation {
  const { counties, persons, rng } = run;
  const cumulativePopulation = new Float64Array(counties.length);
  counties.reduce((sum, c, i) => (cumulativePopulation[i] = sum + c.population), 0);
  const firstGeneral = persons.length;
  const byCounty = new Map<number, Person[]>();
  while (persons.length < run.target) {
    const person = newPerson(run, pickCumulative(cumulativePopulation, rng));
    const list = byCounty.get(person.homeCounty) ?? [];
    list.push(person);
    byCounty.set(person.homeCounty, list);
  }
  return { general: persons.slice(firstGeneral), byCounty };
}

/**
 * Close contacts: people of the case's county where there are any (else anyone), exposed in the
 * days before the case was isolated. Demo people are never drawn.
 */
function addCloseContacts(
  run: PeopleRun,
  { general, byCounty }: GeneralPopulation,
  caseRecords: CaseRecordRow[],
  contacts: ContactRow[],
): void {
  const { rng, dates } = run;
  const dayOf = new Map(dates.map((date, t) => [date, t]));
  for (const record of caseRecords.slice(1)) {
    if (general.length === 0) break;
    const county = run.countyIndex.get(record.regionCode) as number;
    const candidates = byCounty.get(county) ?? general;
    const count = record.status === 'SUSPECTED' || record.status === 'RULED_OUT' ? rng.int(0, 1) : rng.int(0, 5);
    const isolatedDay = dayOf.get(record.confirmedOn ?? record.reportedOn) as number;
    const chosen = new Set<string>();
    for (let k = 0; k < count; k++) {
      const contact = rng.pick(candidates);
      if (chosen.has(contact.id)) continue;
      chosen.add(contact.id);
      contacts.push({
        id: contacts.length + 1,
        personId: contact.id,
        caseId: record.id,
        exposureDate: dates[Math.max(0, isolatedDay - rng.int(0, 4))],
        regionCode: record.regionCode,
        setting: 'OTHER',
      });
    }
  }
}

/**
 * The address code in each county's ID numbers. Development zones (xxxx7x) are not GB/T 2260
 * divisions and issue no IDs: their residents' numbers carry the first administrative county of
 * the same city.
 */
function idAddressCodes(regions: RegionSet): string[] {
  const firstAdministrative = new Map<string, string>();
  for (const county of regions.counties) {
    if (county.kind !== 'DEVELOPMENT_ZONE' && !firstAdministrative.has(county.parentCode as string)) {
      firstAdministrative.set(county.parentCode as string, county.code);
    }
  }
  return regions.counties.map((county) =>
    county.kind === 'DEVELOPMENT_ZONE' ? (firstAdministrative.get(county.parentCode as string) ?? county.code) : county.code,
  );
}
