import { hashUniform, Prng, seedFrom } from './prng';
import { OUTBREAK_CITY_CODE, type RegionSet } from './regions';
import type { Timeline } from './timeline';

/**
 * Why two counties exchange travellers, which sets the volume (gravity constant) and the weekly
 * rhythm: commuting within a city dips at weekends, long-distance travel peaks on Fridays and Sundays.
 */
const LINK_KINDS = ['city', 'neighbour', 'province', 'national'] as const;
export type LinkKind = (typeof LINK_KINDS)[number];

/** Kinds from this index on are long-distance travel rather than commuting. */
const FIRST_LONG_DISTANCE_KIND = LINK_KINDS.indexOf('province');

const GRAVITY: Record<LinkKind, number> = { city: 0.01, neighbour: 0.004, province: 0.0015, national: 0.003 };

/** Cities whose seats are national hubs: Beijing, Shanghai, Guangzhou, Shenzhen, Wuhan, Chengdu, Chongqing, Xi'an. */
const HUB_CITY_CODES = ['110100', '310100', '440100', '440300', '420100', '510100', '500100', '610100'];

/** How hard a pair is hit by the 2020 lockdown. */
const enum Lockdown {
  None = 0,
  Hubei = 1,
  Wuhan = 2,
}

/**
 * A deterministic gravity-style network over the counties: directed pairs with a base daily
 * volume. Stored as parallel typed arrays because the daily flows (pairs × days, millions of rows)
 * are recomputed on demand from them rather than kept in memory.
 */
export interface MobilityNetwork {
  /** Index → county code; the same order as RegionSet.counties. */
  countyCodes: string[];
  origin: Int32Array;
  dest: Int32Array;
  /** Trips on an ordinary weekday before any intervention. */
  baseTrips: Float64Array;
  kind: Uint8Array;
  lockdown: Uint8Array;
  size: number;
}

export function buildNetwork(regions: RegionSet): MobilityNetwork {
  const counties = regions.counties;
  const indexOf = new Map(counties.map((c, i) => [c.code, i]));

  const countiesOfCity = new Map<string, number[]>();
  counties.forEach((county, i) => {
    const list = countiesOfCity.get(county.parentCode as string) ?? [];
    list.push(i);
    countiesOfCity.set(county.parentCode as string, list);
  });
  // A city's seat is its most populous county (development zones are never seats).
  const seatOfCity = new Map<string, number>();
  for (const [cityCode, members] of countiesOfCity) {
    const candidates = members.filter((i) => counties[i].kind !== 'DEVELOPMENT_ZONE');
    const pool = candidates.length > 0 ? candidates : members;
    seatOfCity.set(cityCode, pool.reduce((best, i) => (counties[i].population > counties[best].population ? i : best)));
  }
  // The provincial capital is the xx01 city (GB/T 2260 numbers capitals first), else the first city kept.
  const capitalSeat = new Map<string, number>();
  for (const city of regions.cities) {
    const seat = seatOfCity.get(city.code);
    if (seat === undefined) continue;
    if (!capitalSeat.has(city.provinceCode) || city.code.endsWith('0100')) capitalSeat.set(city.provinceCode, seat);
  }
  const hubs = HUB_CITY_CODES.map((code) => seatOfCity.get(code)).filter((i): i is number => i !== undefined);

  const pairIndex = new Map<number, number>();
  const origin: number[] = [];
  const dest: number[] = [];
  const baseTrips: number[] = [];
  const kind: number[] = [];
  const link = (a: number, b: number, linkKind: LinkKind) => {
    if (a === b) return;
    for (const [o, d] of [[a, b], [b, a]]) {
      const key = o * counties.length + d;
      if (pairIndex.has(key)) continue; // the first, closer relation of a pair decides its kind
      const rng = new Prng(seedFrom('flow', counties[o].code, counties[d].code));
      const volume = GRAVITY[linkKind] * Math.sqrt(counties[o].population * counties[d].population) * Math.exp(0.3 * rng.normal());
      pairIndex.set(key, origin.length);
      origin.push(o);
      dest.push(d);
      baseTrips.push(Math.max(8, volume));
      kind.push(LINK_KINDS.indexOf(linkKind));
    }
  };

  for (const [cityCode, members] of countiesOfCity) {
    const seat = seatOfCity.get(cityCode) as number;
    // Commuting to the city seat, and to the next county in code order (codes follow geography loosely).
    members.forEach((i, k) => {
      link(i, seat, 'city');
      if (members.length > 1) link(i, members[(k + 1) % members.length], 'neighbour');
    });
  }
  for (const city of regions.cities) {
    const seat = seatOfCity.get(city.code);
    const capital = capitalSeat.get(city.provinceCode);
    if (seat !== undefined && capital !== undefined) link(seat, capital, 'province');
  }
  const capitals = [...new Set(capitalSeat.values())];
  for (const capital of capitals) for (const hub of hubs) link(capital, hub, 'national');

  const inCity = (i: number, cityCode: string) => counties[i].parentCode === cityCode;
  const inProvince = (i: number, provinceCode: string) => counties[i].provinceCode === provinceCode;
  const lockdown = origin.map((o, p) => {
    const d = dest[p];
    if (inCity(o, OUTBREAK_CITY_CODE) || inCity(d, OUTBREAK_CITY_CODE)) return Lockdown.Wuhan;
    if (inProvince(o, '420000') || inProvince(d, '420000')) return Lockdown.Hubei;
    return Lockdown.None;
  });

  return {
    countyCodes: counties.map((c) => c.code),
    origin: Int32Array.from(origin),
    dest: Int32Array.from(dest),
    baseTrips: Float64Array.from(baseTrips),
    kind: Uint8Array.from(kind),
    lockdown: Uint8Array.from(lockdown),
    size: origin.length,
  };
}

/**
 * Mobility relative to normal on day t: the Spring Festival rush (春运) on long-distance links in
 * the days before the response, the collapse at the response, recovery afterwards.
 */
function phaseFactor(timeline: Timeline, lockdown: number, longDistance: boolean, t: number): number {
  const { responseDay, normalisedDay } = timeline;
  if (t < responseDay) return longDistance && t >= responseDay - 12 ? 1.6 : 1;
  if (t < normalisedDay) {
    if (lockdown === Lockdown.Wuhan) return 0.04;
    if (lockdown === Lockdown.Hubei) return 0.12;
    return 0.35 + (0.5 * (t - responseDay)) / (normalisedDay - responseDay);
  }
  return Math.min(1, 0.85 + (0.15 * (t - normalisedDay)) / 30);
}

const COMMUTE_WEEK = [0.75, 1, 1, 1, 1, 1, 0.75]; // Sunday … Saturday
const TRAVEL_WEEK = [1.2, 0.95, 0.95, 0.95, 1, 1.15, 1];

/**
 * Trips of pair p on day index t. Pure: the epidemic simulation and the COPY stream call it
 * independently and get the same number. 0 means no row for that day.
 */
export function tripsOn(network: MobilityNetwork, timeline: Timeline, p: number, t: number): number {
  const longDistance = network.kind[p] >= FIRST_LONG_DISTANCE_KIND;
  const week = longDistance ? TRAVEL_WEEK : COMMUTE_WEEK;
  const noise = 0.92 + 0.16 * hashUniform(p, t);
  return Math.round(network.baseTrips[p] * week[timeline.weekdays[t]] * phaseFactor(timeline, network.lockdown[p], longDistance, t) * noise);
}

