import { type MobilityNetwork, tripsOn } from './network';
import { Prng, seedFrom } from './prng';
import { OUTBREAK_CITY_CODE, OUTBREAK_COUNTY_CODE, type RegionSet } from './regions';
import type { Timeline } from './timeline';

/**
 * A metapopulation renewal model over counties (SEIR-like: infection → incubation → infectious →
 * isolated/recovered), coupled by the mobility network. Infections arrive in a county in
 * proportion to Σ_origins prevalence(origin) × trips(origin → county), the same quantity the
 * import-risk model estimates from reported data, so that model can be backtested against the
 * true state kept here.
 *
 * Every per-county series is a flat Int32Array indexed [county * days + day].
 */
export interface EpidemicSimulation {
  timeline: Timeline;
  /** County index → code (RegionSet.counties order). */
  countyCodes: string[];
  /** True new infections by day of infection (mostly never reported). */
  infections: Int32Array;
  /** Reported series, by day of report. */
  confirmed: Int32Array;
  asymptomatic: Int32Array;
  suspected: Int32Array;
  recovered: Int32Array;
  deaths: Int32Array;
  /** 聚集性疫情 in detection order (day, then county). */
  clusters: SimulatedCluster[];
}

export interface SimulatedCluster {
  county: number;
  day: number;
  size: number;
  /** Where it happened, e.g. 家庭 or 农贸市场. */
  setting: string;
}

/** Generation-interval weights for days 1…12 after infection (discretised gamma, mean ≈ 5.5 d). */
const GENERATION_WEIGHTS = (() => {
  const shape = 5.5;
  const raw = Array.from({ length: 12 }, (_, i) => Math.pow(i + 1, shape - 1) * Math.exp(-(i + 1)));
  const sum = raw.reduce((a, b) => a + b, 0);
  return raw.map((w) => w / sum);
})();
/** An infected traveller can pass it on from day 2 to day 9 after infection. */
const INFECTIOUS_FROM = 2;
const INFECTIOUS_TO = 9;
/** Infections at the destination per infectious trip, in units of the destination's R. */
const TRAVEL_COUPLING = 0.4;

const SETTINGS = ['家庭', '社区', '工作场所', '医疗机构', '学校', '农贸市场', '集体宿舍', '餐馆'];

/**
 * The late outbreak that keeps the demo live on every scale: index cases infected 12 days before
 * the seed day in 武昌区, all confirmed together 6 days before it and reported as a cluster, so
 * Wuchang is rated HIGH on the seed day and three days earlier (DESIGN §3a).
 */
export const WUCHANG_OUTBREAK = { infectedDaysBeforeEnd: 12, confirmedDaysBeforeEnd: 6, cases: 6, setting: '农贸市场' };

export function simulateEpidemic(regions: RegionSet, network: MobilityNetwork, timeline: Timeline): EpidemicSimulation {
  const run = startEpidemic(regions, timeline);
  const { C, D, rng, wuchang } = run;
  const nextSpark = sparkPicker(run, regions);
  const outbreakInfectedDay = D - 1 - WUCHANG_OUTBREAK.infectedDaysBeforeEnd;
  const outbreakConfirmedDay = D - 1 - WUCHANG_OUTBREAK.confirmedDaysBeforeEnd;

  for (let t = 0; t < D; t++) {
    spreadWithinCounties(run, importPressure(run, network, t), t);
    if (t >= timeline.normalisedDay && rng.chance(0.35)) {
      const c = nextSpark();
      infect(run, c, t, rng.int(3, 8));
    }
    if (t === outbreakInfectedDay) {
      // Found together at once through one positive test; their reports bypass the random ones.
      run.infections[run.at(wuchang, t)] += WUCHANG_OUTBREAK.cases;
      run.everInfected[wuchang] += WUCHANG_OUTBREAK.cases;
      for (let k = 0; k < WUCHANG_OUTBREAK.cases; k++) recordConfirmed(run, wuchang, outbreakConfirmedDay);
    }
  }

  // Fever clinics also report suspected cases that are ruled out, more where cases are being found.
  const { confirmed, suspected } = run;
  for (let i = 0; i < C * D; i++) if (confirmed[i] > 0) suspected[i] += rng.poisson(0.3 * confirmed[i]);

  const clusters = detectClusters(confirmed, C, D, rng);
  clusters.push({ county: wuchang, day: outbreakConfirmedDay, size: WUCHANG_OUTBREAK.cases, setting: WUCHANG_OUTBREAK.setting });
  clusters.sort((a, b) => a.day - b.day || a.county - b.county);

  return {
    timeline,
    countyCodes: regions.counties.map((c) => c.code),
    infections: run.infections,
    confirmed,
    asymptomatic: run.asymptomatic,
    suspected,
    recovered: run.recovered,
    deaths: run.deaths,
    clusters,
  };
}

/**
 * What the steps of one simulation share: the fixed per-county traits, the series being filled
 * and the one generator. Every step draws from that generator in a fixed order, so moving a draw
 * changes every series after it.
 */
interface EpidemicRun extends Omit<EpidemicSimulation, 'countyCodes' | 'clusters'> {
  C: number;
  D: number;
  rng: Prng;
  population: Float64Array;
  inWuhan: Uint8Array;
  inHubei: Uint8Array;
  localR: Float64Array;
  /** County index of 武昌区. */
  wuchang: number;
  everInfected: Float64Array;
  /** Scratch for one day's import pressure, reused day after day. */
  prevalence: Float64Array;
  imported: Float64Array;
  /** Index of county c, day t in the flat series. */
  at: (c: number, t: number) => number;
}

function startEpidemic(regions: RegionSet, timeline: Timeline): EpidemicRun {
  const counties = regions.counties;
  const C = counties.length;
  const D = timeline.days;
  const wuchang = counties.findIndex((c) => c.code === OUTBREAK_COUNTY_CODE);
  if (wuchang < 0) throw new Error(`the outbreak county ${OUTBREAK_COUNTY_CODE} is missing from the regions`);
  const series = () => new Int32Array(C * D);
  return {
    timeline,
    C,
    D,
    rng: new Prng(seedFrom('epidemic', timeline.scale)),
    population: Float64Array.from(counties, (c) => Math.max(1, c.population)),
    inWuhan: Uint8Array.from(counties, (c) => (c.parentCode === OUTBREAK_CITY_CODE ? 1 : 0)),
    inHubei: Uint8Array.from(counties, (c) => (c.provinceCode === '420000' ? 1 : 0)),
    // Crowding and habits differ between counties: a fixed ±15 % on R, seeded by the code.
    localR: Float64Array.from(counties, (c) => Math.exp(0.12 * new Prng(seedFrom('local-r', c.code)).normal())),
    wuchang,
    infections: series(),
    confirmed: series(),
    asymptomatic: series(),
    suspected: series(),
    recovered: series(),
    deaths: series(),
    everInfected: new Float64Array(C),
    prevalence: new Float64Array(C),
    imported: new Float64Array(C),
    at: (c, t) => c * D + t,
  };
}

/** n new infections in county c on day t, each then reported or not. */
function infect(run: EpidemicRun, c: number, t: number, n: number): void {
  run.infections[run.at(c, t)] += n;
  run.everInfected[c] += n;
  for (let k = 0; k < n; k++) reportInfection(run, c, t);
}

/** Reporting of one infection in county c on day t: who is found, when, and how it ends. */
function reportInfection(run: EpidemicRun, c: number, t: number): void {
  const { rng } = run;
  const { responseDay, normalisedDay } = run.timeline;
  const early = t < responseDay + 7;
  if (rng.chance(0.75)) {
    // Symptomatic. Early on, Wuhan could test only a fraction of them, and slowly.
    const found = early ? (run.inWuhan[c] ? 0.35 : 0.6) : 0.92;
    if (!rng.chance(found)) return;
    const incubation = Math.min(14, Math.max(2, Math.round(5.2 * Math.exp(0.4 * rng.normal()))));
    const delay = t < responseDay ? rng.int(4, 10) : t < normalisedDay ? rng.int(2, 6) : rng.int(1, 3);
    recordConfirmed(run, c, t + incubation + delay);
  } else if (rng.chance(early ? 0.02 : 0.35)) {
    // Asymptomatic, found by contact tracing and screening once those exist.
    const day = t + rng.int(3, 8);
    if (day < run.D) run.asymptomatic[run.at(c, day)]++;
  }
}

function recordConfirmed(run: EpidemicRun, c: number, day: number): void {
  const { rng, at } = run;
  if (day >= run.D) return;
  run.confirmed[at(c, day)]++;
  if (rng.chance(0.85)) run.suspected[at(c, Math.max(0, day - rng.int(1, 2)))]++;
  const fatality = day < run.timeline.responseDay + 20 ? (run.inWuhan[c] ? 0.045 : run.inHubei[c] ? 0.025 : 0.008) : 0.005;
  if (rng.chance(fatality)) {
    const end = day + rng.int(5, 20);
    if (end < run.D) run.deaths[at(c, end)]++;
  } else {
    const end = day + rng.int(12, 28);
    if (end < run.D) run.recovered[at(c, end)]++;
  }
}

/** R on day t in county c: the phase of the response, local alert, local habits. */
function reproduction(run: EpidemicRun, c: number, t: number, alert: boolean): number {
  const { inWuhan, inHubei } = run;
  const { responseDay, normalisedDay } = run.timeline;
  let r: number;
  if (t < responseDay) r = 2.6;
  else if (t < normalisedDay) {
    const target = inWuhan[c] ? 0.5 : inHubei[c] ? 0.6 : 0.75;
    const ramp = Math.min(1, (t - responseDay) / (inWuhan[c] ? 20 : 7));
    r = 2.6 + (target - 2.6) * ramp;
  } else r = 1.15; // masks and distance, but no lockdown: a spark can grow until it is detected
  // Counties with recent confirmed cases test, trace and isolate (Wuhan's overwhelmed system less so at first).
  if (alert) r *= t < responseDay ? 0.9 : inWuhan[c] && t < normalisedDay ? 0.8 : 0.5;
  return r * run.localR[c];
}

/** Sparks after normalisation (imported cases, cold chain): mostly at the hubs, anywhere else by population. */
function sparkPicker(run: EpidemicRun, regions: RegionSet): () => number {
  const sparkWeights = new Float64Array(run.C);
  let sparkTotal = 0;
  regions.counties.forEach((c, i) => {
    sparkTotal += run.population[i] * (c.parentCode === '110100' || c.parentCode === '310100' || c.parentCode === '440300' ? 10 : 1);
    sparkWeights[i] = sparkTotal;
  });
  return () => {
    const target = run.rng.next() * sparkTotal;
    let i = 0;
    while (sparkWeights[i] <= target) i++;
    return i;
  };
}

/** Per county on day t: Σ_origins trips(origin → county) × prevalence(origin). */
function importPressure(run: EpidemicRun, network: MobilityNetwork, t: number): Float64Array {
  const { C, infections, population, prevalence, imported, at } = run;
  for (let c = 0; c < C; c++) {
    let infectious = 0;
    for (let s = INFECTIOUS_FROM; s <= INFECTIOUS_TO && s <= t; s++) infectious += infections[at(c, t - s)];
    prevalence[c] = infectious / population[c];
  }
  imported.fill(0);
  for (let p = 0; p < network.size; p++) {
    const o = network.origin[p];
    if (prevalence[o] === 0) continue;
    imported[network.dest[p]] += tripsOn(network, run.timeline, p, t) * prevalence[o];
  }
  return imported;
}

/** Day t's new infections in each county, from its own past infections and the imported ones. */
function spreadWithinCounties(run: EpidemicRun, imported: Float64Array, t: number): void {
  const { C, rng, infections, confirmed, at } = run;
  for (let c = 0; c < C; c++) {
    let pressure = 0;
    for (let s = 1; s <= GENERATION_WEIGHTS.length && s <= t; s++) pressure += GENERATION_WEIGHTS[s - 1] * infections[at(c, t - s)];
    let alert = false;
    for (let s = 1; s <= 14 && s <= t && !alert; s++) alert = confirmed[at(c, t - s)] > 0;
    const r = reproduction(run, c, t, alert);
    const susceptible = Math.max(0, 1 - run.everInfected[c] / run.population[c]);
    let n = rng.poisson((r * pressure + TRAVEL_COUPLING * r * imported[c]) * susceptible);
    // Day 0: the outbreak is already under way in Wuhan, centred on 武昌区.
    if (t < 7 && run.inWuhan[c]) n += rng.poisson(c === run.wuchang ? 25 : 4);
    if (n > 0) infect(run, c, t, n);
  }
}

/**
 * A cluster is reported where local incidence is high: at least 5 confirmed in the week and 2 on
 * the day, at most one per county per 10 days (one investigation covers the linked cases).
 */
function detectClusters(confirmed: Int32Array, C: number, D: number, rng: Prng): SimulatedCluster[] {
  const clusters: SimulatedCluster[] = [];
  for (let c = 0; c < C; c++) {
    let lastDay = -Infinity;
    let week = 0;
    for (let t = 0; t < D; t++) {
      week += confirmed[c * D + t] - (t >= 7 ? confirmed[c * D + t - 7] : 0);
      if (confirmed[c * D + t] < 2 || week < 5 || t - lastDay < 10) continue;
      if (!rng.chance(Math.min(0.6, week / 30))) continue;
      const size = Math.min(150, Math.max(2, Math.round(week * (0.3 + 0.4 * rng.next()))));
      clusters.push({ county: c, day: t, size, setting: rng.pick(SETTINGS) });
      lastDay = t;
    }
  }
  return clusters;
}
