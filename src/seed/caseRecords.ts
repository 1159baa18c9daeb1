import type { EpidemicSimulation } from './epidemic';
import type { Prng } from './prng';

import type { CaseStatus } from '../reporting/caseStatus';

export type { CaseStatus };

/** A reported case picked from the simulated daily counts, to become a person with a case record. */
export interface SampledCase {
  county: number;
  day: number;
  kind: 'confirmed' | 'asymptomatic' | 'suspected';
}

/** What a case record says, given when it was reported and how far the simulation has run. */
export interface CaseOutcome {
  status: CaseStatus;
  reportedDay: number;
  confirmedDay: number | null;
  closedDay: number | null;
}

/** Recent reports (the last 30 days) are sampled this much more often: they make the live part of the demo. */
const RECENT_WEIGHT = 4;

/**
 * About `target` reported cases, drawn from the simulated counts so that person-level records
 * agree with the aggregates (no county has more records on a day than it reported). Suspected
 * cases are only sampled in the last 14 days: older ones were ruled out or confirmed long ago.
 */
export function sampleCases(sim: EpidemicSimulation, target: number, rng: Prng): SampledCase[] {
  const D = sim.timeline.days;
  const recentFrom = D - 30;
  const suspectedFrom = D - 14;
  let weight = 0;
  for (let i = 0; i < sim.confirmed.length; i++) {
    const t = i % D;
    const w = t >= recentFrom ? RECENT_WEIGHT : 1;
    weight += w * (sim.confirmed[i] + sim.asymptomatic[i] + (t >= suspectedFrom ? sim.suspected[i] : 0));
  }
  const p = weight === 0 ? 0 : Math.min(1 / RECENT_WEIGHT, target / weight);

  const sampled: SampledCase[] = [];
  const take = (county: number, day: number, kind: SampledCase['kind'], reported: number) => {
    const n = rng.binomial(reported, day >= recentFrom ? p * RECENT_WEIGHT : p);
    for (let k = 0; k < n; k++) sampled.push({ county, day, kind });
  };
  for (let c = 0; c < sim.countyCodes.length; c++) {
    for (let t = 0; t < D; t++) {
      const i = c * D + t;
      take(c, t, 'confirmed', sim.confirmed[i]);
      take(c, t, 'asymptomatic', sim.asymptomatic[i]);
      if (t >= suspectedFrom) take(c, t, 'suspected', sim.suspected[i]);
    }
  }
  return sampled;
}

/**
 * Closes what would have closed by the end of the simulation: confirmed cases recover after
 * 12–28 days or die; asymptomatic ones are released after 14 days of observation; suspected ones
 * are ruled out within 1–3 days (those later confirmed are among the confirmed records).
 */
export function caseOutcome(sampled: SampledCase, lastDay: number, fatality: number, rng: Prng): CaseOutcome {
  const { day } = sampled;
  const within = (end: number) => (end <= lastDay ? end : null);
  switch (sampled.kind) {
    case 'confirmed': {
      const dies = rng.chance(fatality);
      const closedDay = within(day + (dies ? rng.int(5, 20) : rng.int(12, 28)));
      const reportedDay = Math.max(0, day - rng.int(0, 1));
      if (closedDay === null) return { status: 'CONFIRMED', reportedDay, confirmedDay: day, closedDay };
      return { status: dies ? 'DECEASED' : 'RECOVERED', reportedDay, confirmedDay: day, closedDay };
    }
    case 'asymptomatic': {
      const closedDay = within(day + 14);
      return { status: closedDay === null ? 'ASYMPTOMATIC' : 'RECOVERED', reportedDay: day, confirmedDay: null, closedDay };
    }
    case 'suspected': {
      const closedDay = within(day + rng.int(1, 3));
      return { status: closedDay === null ? 'SUSPECTED' : 'RULED_OUT', reportedDay: day, confirmedDay: null, closedDay };
    }
  }
}
