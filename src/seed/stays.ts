import { countyRiskOn } from './countyRisk';
import type { EpidemicSimulation } from './epidemic';
import type { MobilityNetwork } from './network';
import type { PeopleData, Person } from './persons';
import { Prng, seedFrom } from './prng';
import { OUTBREAK_COUNTY_CODE, type RegionSet } from './regions';

/** One row of mobility.stays: at least 4 hours in one county, times in Asia/Shanghai. */
export interface StayRow {
  personId: string;
  regionCode: string;
  arrivedAt: string;
  leftAt: string;
}

/** Itineraries cover the 30 days before the seed day (never the seed day: no stay ends in the future). */
const WINDOW_DAYS = 30;

const hours = (h: number) => h * 60;

/** 'HH:MM' for every minute of a day, so that millions of timestamps are formatted by lookup. */
const CLOCK = Array.from({ length: 1440 }, (_, m) => `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`);

/**
 * A timestamptz literal for `minute` (minutes after midnight, past 24:00 meaning the next day) on
 * simulated day `day`, in Asia/Shanghai: UTC+8 all year, no daylight saving.
 */
function shanghaiTime(dates: readonly string[], day: number, minute: number): string {
  return `${dates[day + Math.floor(minute / 1440)]} ${CLOCK[minute % 1440]}:00+08`;
}

/**
 * The demo people's stays, placed relative to the last simulated day (DESIGN §3a):
 * 张黄 spends 10:00–16:00 in Wuchang three days before it (rated HIGH that day); 李橙 and 赵绿 stay
 * only in a county rated LOW on each day of their stays (their home when it qualifies).
 */
export function demoStays(people: PeopleData, regions: RegionSet, sim: EpidemicSimulation): StayRow[] {
  const { dates, days } = sim.timeline;
  const last = days - 1;
  const stay = (person: Person, county: number, day: number, from: number, to: number): StayRow => ({
    personId: person.id,
    regionCode: regions.counties[county].code,
    arrivedAt: shanghaiTime(dates, day, from),
    leftAt: shanghaiTime(dates, day, to),
  });
  const { wangHong, liCheng, zhangHuang, zhaoLu } = people.demo;
  const wuchang = wangHong.homeCounty;
  if (regions.counties[wuchang].code !== OUTBREAK_COUNTY_CODE) throw new Error('王红 must live in Wuchang');

  const rows = [
    // At home and at work before she was confirmed.
    stay(wangHong, wuchang, last - 10, hours(8), hours(18)),
    stay(wangHong, wuchang, last - 8, hours(8), hours(18)),
    stay(zhangHuang, wuchang, last - 3, hours(10), hours(16)),
    stay(zhangHuang, zhangHuang.homeCounty, last - 1, hours(9), hours(21)),
  ];
  for (const [person, stayDays] of [
    [liCheng, [last - 4, last - 2]],
    [zhaoLu, [last - 9, last - 4, last - 1]],
  ] as const) {
    const county = lowCountyFor(person, stayDays, regions, sim);
    if (county !== null) for (const day of stayDays) rows.push(stay(person, county, day, hours(9), hours(19)));
  }
  return rows;
}

/** The person's home, else the nearest county (same city, province, then anywhere) that is LOW on every one of `days`. */
function lowCountyFor(person: Person, days: readonly number[], regions: RegionSet, sim: EpidemicSimulation): number | null {
  const home = regions.counties[person.homeCounty];
  const closeness = (i: number) => {
    const county = regions.counties[i];
    if (i === person.homeCounty) return 0;
    if (county.parentCode === home.parentCode) return 1;
    return county.provinceCode === home.provinceCode ? 2 : 3;
  };
  const candidates = regions.counties.map((_, i) => i).sort((a, b) => closeness(a) - closeness(b) || a - b);
  return candidates.find((c) => days.every((day) => countyRiskOn(sim, c, day) === 'LOW')) ?? null;
}

/**
 * Everyone's stays: the demo people's fixed ones, then 1–5 stays per person on distinct days of
 * the last 30, mostly at home, otherwise along the mobility network. Each person draws from their
 * own stream, so the rows are produced lazily (millions at the large scale) and always the same.
 */
export function* generateStays(
  people: PeopleData,
  regions: RegionSet,
  network: MobilityNetwork,
  sim: EpidemicSimulation,
): Generator<StayRow> {
  const { dates, days, scale } = sim.timeline;
  const demoIds = new Set(Object.values(people.demo).map((p) => p.id));
  yield* demoStays(people, regions, sim);

  const destinations = destinationsByOrigin(network);
  const firstDay = Math.max(0, days - 1 - WINDOW_DAYS);
  const windowLength = days - 1 - firstDay;
  for (let i = 0; i < people.persons.length; i++) {
    const person = people.persons[i];
    if (demoIds.has(person.id)) continue;
    const rng = new Prng(seedFrom('stays', scale, i));
    const count = Math.min(windowLength, rng.int(1, 5));
    const chosen = new Set<number>();
    while (chosen.size < count) chosen.add(firstDay + rng.int(0, windowLength - 1));
    for (const day of [...chosen].sort((a, b) => a - b)) {
      // Arrive 06:00–14:00, stay 4–12 h: a stay may end after midnight but before the next one starts.
      const arrival = hours(6) + 5 * rng.int(0, 96);
      const departure = arrival + hours(4) + 5 * rng.int(0, 96);
      yield {
        personId: person.id,
        regionCode: regions.counties[rng.chance(0.6) ? person.homeCounty : destinations.pick(person.homeCounty, rng)].code,
        arrivedAt: shanghaiTime(dates, day, arrival),
        leftAt: shanghaiTime(dates, day, departure),
      };
    }
  }
}

/** Trips out of each county as cumulative weights, to pick travel destinations like the flows do. */
function destinationsByOrigin(network: MobilityNetwork) {
  const byOrigin = new Map<number, { dest: number[]; cumulative: number[] }>();
  for (let p = 0; p < network.size; p++) {
    const entry = byOrigin.get(network.origin[p]) ?? { dest: [], cumulative: [] };
    const total = entry.cumulative.length === 0 ? 0 : entry.cumulative[entry.cumulative.length - 1];
    entry.dest.push(network.dest[p]);
    entry.cumulative.push(total + network.baseTrips[p]);
    byOrigin.set(network.origin[p], entry);
  }
  return {
    pick(origin: number, rng: Prng): number {
      const entry = byOrigin.get(origin);
      if (!entry) return origin;
      const target = rng.next() * entry.cumulative[entry.cumulative.length - 1];
      const k = entry.cumulative.findIndex((c) => c > target);
      return entry.dest[k < 0 ? entry.dest.length - 1 : k];
    },
  };
}
