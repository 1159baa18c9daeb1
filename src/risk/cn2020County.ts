import { daysBetween, trailingWindow } from './dates';
import { expectCount, expectIsoDate, fail } from './check';

/**
 * County risk levels under the State Council joint prevention and control mechanism's guidance
 * of 17 February 2020 (《关于科学防治精准施策分区分级做好新冠肺炎疫情防控工作的指导意见》):
 *
 *   LOW     no confirmed case ever, or no new confirmed case in the last 14 consecutive days;
 *   MEDIUM  new confirmed cases within 14 days, and cumulative ≤ 50 — or cumulative > 50 with
 *           no cluster within 14 days;
 *   HIGH    cumulative > 50 and a cluster within the last 14 days.
 *
 * The text leaves one overlap open: cumulative > 50 with a cluster in the window but no new
 * confirmed case in it (a cluster of asymptomatic cases). We let LOW win, because "14 days
 * without a new confirmed case" is the guidance's exit criterion from the higher levels; so
 * MEDIUM and HIGH both apply only to counties with a new confirmed case in the window.
 */
export const CN_2020_COUNTY = 'CN_2020_COUNTY';

/**
 * "Within the last 14 days as of asOf" means the 14 calendar days ending on asOf inclusive,
 * [asOf − 13, asOf]: a case or cluster 13 days before asOf is inside, 14 days before is outside.
 */
export const CN_2020_WINDOW_DAYS = 14;

/** Above this many cumulative confirmed cases a cluster makes a county HIGH ("超过50例"). */
export const CN_2020_CUMULATIVE_LIMIT = 50;

export const RISK_LEVELS = ['LOW', 'MEDIUM', 'HIGH'] as const;
export type RiskLevel = (typeof RISK_LEVELS)[number];

const RANK: Record<RiskLevel, number> = { LOW: 0, MEDIUM: 1, HIGH: 2 };

/** The higher of two levels. */
export function higherLevel(a: RiskLevel, b: RiskLevel): RiskLevel {
  return RANK[b] > RANK[a] ? b : a;
}

/**
 * The worst of some county-day levels, LOW for none: a province or city takes its worst county,
 * a stay its worst day. The one implementation of "the worst level wins".
 */
export function worstLevel(levels: Iterable<RiskLevel>): RiskLevel {
  let worst: RiskLevel = 'LOW';
  for (const level of levels) worst = higherLevel(worst, level);
  return worst;
}

export interface CountyRiskInputs {
  /** The day the level holds for, 'YYYY-MM-DD'. */
  asOf: string;
  /** Confirmed cases reported up to and including asOf. */
  cumulativeConfirmed: number;
  /** Sum of new confirmed cases over [asOf − 13, asOf]. */
  newConfirmedInWindow: number;
  /** The last date ≤ asOf with a new confirmed case; null if there never was one. */
  lastConfirmedOn: string | null;
  /** Clusters (聚集性疫情) detected in [asOf − 13, asOf]. */
  clustersInWindow: number;
  /** The last cluster date ≤ asOf, possibly before the window; null if there never was one. */
  lastClusterOn: string | null;
}

export interface RiskVerdict {
  level: RiskLevel;
  ruleset: string;
  asOf: string;
  /** English sentences citing the numbers and dates that decided the level. */
  reasons: string[];
  /** The deciding inputs, echoed so the verdict can be checked without the database. */
  inputs: CountyRiskInputs;
  windowStart: string;
  windowEnd: string;
}

type Window = { start: string; end: string };

export function rateCountyCn2020(inputs: CountyRiskInputs): RiskVerdict {
  const window = validate(inputs);
  const [level, reasons] = decide(inputs, window);
  return {
    level,
    ruleset: CN_2020_COUNTY,
    asOf: inputs.asOf,
    reasons,
    inputs: { ...inputs },
    windowStart: window.start,
    windowEnd: window.end,
  };
}

function decide(i: CountyRiskInputs, w: Window): [RiskLevel, string[]] {
  if (i.cumulativeConfirmed === 0) {
    return ['LOW', [`No confirmed case reported up to and including ${i.asOf}`]];
  }
  if (i.newConfirmedInWindow === 0) {
    const reasons = [
      `No new confirmed case within the 14 days ${w.start} to ${w.end} ` +
        `(last on ${i.lastConfirmedOn}, ${daysBetween(i.lastConfirmedOn!, i.asOf)} days before ${i.asOf}); ` +
        `${count(i.cumulativeConfirmed, 'confirmed case')} in total`,
    ];
    if (i.clustersInWindow > 0) {
      reasons.push(
        `${count(i.clustersInWindow, 'cluster')} detected within the same 14 days (last on ${i.lastClusterOn}) ` +
          `does not raise the level without a new confirmed case`,
      );
    }
    return ['LOW', reasons];
  }
  const recent =
    `${count(i.newConfirmedInWindow, 'new confirmed case')} within the 14 days ${w.start} to ${w.end} ` +
    `(last on ${i.lastConfirmedOn})`;
  if (i.cumulativeConfirmed <= CN_2020_CUMULATIVE_LIMIT) {
    return ['MEDIUM', [recent, `${count(i.cumulativeConfirmed, 'confirmed case')} in total (50 or fewer)`]];
  }
  const total = `${count(i.cumulativeConfirmed, 'confirmed case')} in total (more than 50)`;
  if (i.clustersInWindow === 0) {
    const last = i.lastClusterOn === null ? 'none ever' : `last on ${i.lastClusterOn}`;
    return ['MEDIUM', [recent, `${total} but no cluster detected within the 14 days ending ${w.end} (${last})`]];
  }
  return [
    'HIGH',
    [
      recent,
      `${total} and ${count(i.clustersInWindow, 'cluster')} detected within the 14 days ending ${w.end} ` +
        `(last on ${i.lastClusterOn})`,
    ],
  ];
}

function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

/**
 * Checks each input, then that they agree with one another: the datasource derives them all
 * from the same reports, so a disagreement means a query bug, and a level decided on
 * contradictory inputs would cite contradictory reasons.
 */
function validate(i: CountyRiskInputs): Window {
  const at = (field: string) => `rateCountyCn2020: inputs.${field}`;
  expectIsoDate(at('asOf'), i.asOf);
  expectCount(at('cumulativeConfirmed'), i.cumulativeConfirmed);
  expectCount(at('newConfirmedInWindow'), i.newConfirmedInWindow);
  expectCount(at('clustersInWindow'), i.clustersInWindow);
  for (const field of ['lastConfirmedOn', 'lastClusterOn'] as const) {
    const date = i[field];
    if (date === null) continue;
    expectIsoDate(at(field), date);
    if (date > i.asOf) fail(at(field), `a date on or before asOf ${i.asOf}, or null`, date);
  }
  const window = trailingWindow(i.asOf, CN_2020_WINDOW_DAYS);
  const inWindow = (date: string | null) => date !== null && date >= window.start;

  if (i.newConfirmedInWindow > i.cumulativeConfirmed) {
    fail(at('newConfirmedInWindow'), `at most cumulativeConfirmed (${i.cumulativeConfirmed})`, i.newConfirmedInWindow);
  }
  if ((i.cumulativeConfirmed === 0) !== (i.lastConfirmedOn === null)) {
    const expected = i.cumulativeConfirmed === 0 ? 'null, as cumulativeConfirmed is 0' : 'a date, as cumulativeConfirmed > 0';
    fail(at('lastConfirmedOn'), expected, i.lastConfirmedOn);
  }
  if ((i.newConfirmedInWindow > 0) !== inWindow(i.lastConfirmedOn)) {
    fail(at('lastConfirmedOn'), consistency('newConfirmedInWindow', i.newConfirmedInWindow, window), i.lastConfirmedOn);
  }
  if ((i.clustersInWindow > 0) !== inWindow(i.lastClusterOn)) {
    fail(at('lastClusterOn'), consistency('clustersInWindow', i.clustersInWindow, window), i.lastClusterOn);
  }
  return window;
}

function consistency(field: string, n: number, w: Window): string {
  return n > 0
    ? `a date within ${w.start}..${w.end}, as ${field} is ${n}`
    : `null or a date before ${w.start}, as ${field} is 0`;
}
