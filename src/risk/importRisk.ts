import { trailingWindow } from './dates';
import { expectAmount, expectIsoDate, fail } from './check';

/**
 * Import risk: a MODEL, not a rule, and kept apart from the rulesets on purpose. It estimates how
 * likely a destination county j is to receive at least one infected traveller over the last
 * `days` days, from the prevalence at each origin i and the trips from i to j:
 *
 *   λ = Σ_i Σ_d prevalence_i(d) · trips_{i→j}(d)     prevalence_i(d) = activeCases_i(d) / population_i
 *   P = 1 − exp(−λ)
 *
 * λ is the expected number of infected arrivals if travellers are as likely to be infected as
 * the people they leave behind; P is the Poisson chance that at least one of them arrived.
 */
export const IMPORT_RISK_MODEL = 'IMPORT_PREVALENCE_FLOW_V1';

/** Trailing window lengths the model accepts: shorter is noise, longer outlives the infections. */
export const IMPORT_RISK_MIN_DAYS = 7;
export const IMPORT_RISK_MAX_DAYS = 14;
export const IMPORT_RISK_DEFAULT_TOP_N = 5;

/**
 * Level thresholds on P. MEDIUM from a 1-in-10 chance of an infected arrival, HIGH once an
 * infected arrival is more likely than not. Model parameters, echoed in every estimate.
 */
export const IMPORT_RISK_THRESHOLDS = Object.freeze({ medium: 0.1, high: 0.5 });

/** One origin county on one day of the window. */
export interface OriginDayFlow {
  originCode: string;
  /** 'YYYY-MM-DD', within the window. */
  date: string;
  /** Trips from the origin to the destination that day; may be fractional (scaled-up samples). */
  trips: number;
  /** Active cases at the origin that day (see activeCasesOn). */
  originActiveCases: number;
  /** Origin population; 0 when unknown, which makes that day's prevalence unknown. */
  originPopulation: number;
}

export interface ImportRiskInputs {
  asOf: string;
  /** Window length, IMPORT_RISK_MIN_DAYS..IMPORT_RISK_MAX_DAYS, ending on asOf inclusive. */
  days: number;
  /** At most one row per origin and date; days without a row count as no trips. */
  flows: readonly OriginDayFlow[];
  topN?: number;
}

export type ImportRiskLevel = 'LOW' | 'MEDIUM' | 'HIGH';

export interface ImportRiskSource {
  originCode: string;
  expectedInfectedArrivals: number;
  /** This origin's share of the total expected infected arrivals, 0..1. */
  contribution: number;
}

export interface ImportRiskEstimate {
  model: typeof IMPORT_RISK_MODEL;
  asOf: string;
  days: number;
  windowStart: string;
  windowEnd: string;
  /** λ above. */
  expectedInfectedArrivals: number;
  /** P above, 0..1. */
  probability: number;
  level: ImportRiskLevel;
  /** Origins with expected infected arrivals > 0, largest first, ties by code; at most topN. */
  topSources: ImportRiskSource[];
  /**
   * Origins with a day of population 0: their arrivals that day count as uninfected, so when
   * this is not empty the estimate is a lower bound.
   */
  originsWithoutPopulation: string[];
  parameters: { topN: number; mediumThreshold: number; highThreshold: number };
}

export function estimateImportRisk(inputs: ImportRiskInputs): ImportRiskEstimate {
  const { asOf, days, topN = IMPORT_RISK_DEFAULT_TOP_N } = inputs;
  expectIsoDate('estimateImportRisk: asOf', asOf);
  if (!Number.isInteger(days) || days < IMPORT_RISK_MIN_DAYS || days > IMPORT_RISK_MAX_DAYS) {
    fail('estimateImportRisk: days', `a whole number ${IMPORT_RISK_MIN_DAYS}..${IMPORT_RISK_MAX_DAYS}`, days);
  }
  if (!Number.isSafeInteger(topN) || topN < 1) fail('estimateImportRisk: topN', 'a whole number ≥ 1', topN);
  const window = trailingWindow(asOf, days);

  // Summing in (origin, date) order makes the floating-point result independent of input order.
  const rows = [...inputs.flows].sort((a, b) => compare(a.originCode, b.originCode) || compare(a.date, b.date));
  const byOrigin = new Map<string, number>();
  const withoutPopulation = new Set<string>();
  rows.forEach((row, k) => {
    validateRow(row, window, rows[k - 1]);
    if (row.originPopulation === 0) withoutPopulation.add(row.originCode);
    byOrigin.set(row.originCode, (byOrigin.get(row.originCode) ?? 0) + prevalence(row) * row.trips);
  });

  const total = [...byOrigin.values()].reduce((sum, x) => sum + x, 0);
  // −expm1(−λ) is 1 − e^−λ without the cancellation that loses small λ; it reaches exactly 1
  // for large λ, and λ is always finite (see expectAmount), so P is never NaN.
  const probability = -Math.expm1(-total);
  const topSources = [...byOrigin]
    .filter(([, expected]) => expected > 0)
    .sort(([codeA, a], [codeB, b]) => b - a || compare(codeA, codeB))
    .slice(0, topN)
    .map(([originCode, expected]) => ({ originCode, expectedInfectedArrivals: expected, contribution: expected / total }));

  return {
    model: IMPORT_RISK_MODEL,
    asOf,
    days,
    windowStart: window.start,
    windowEnd: window.end,
    expectedInfectedArrivals: total,
    probability,
    level: levelOf(probability),
    topSources,
    originsWithoutPopulation: [...withoutPopulation].sort(compare),
    parameters: {
      topN,
      mediumThreshold: IMPORT_RISK_THRESHOLDS.medium,
      highThreshold: IMPORT_RISK_THRESHOLDS.high,
    },
  };
}

/**
 * Active cases over population, capped at 1: a share of a population cannot exceed it, and a
 * count above the population means a stale population figure, not more than certain infection.
 */
function prevalence(row: OriginDayFlow): number {
  if (row.originPopulation === 0) return 0;
  return Math.min(1, row.originActiveCases / row.originPopulation);
}

function levelOf(p: number): ImportRiskLevel {
  if (p >= IMPORT_RISK_THRESHOLDS.high) return 'HIGH';
  if (p >= IMPORT_RISK_THRESHOLDS.medium) return 'MEDIUM';
  return 'LOW';
}

function validateRow(row: OriginDayFlow, window: { start: string; end: string }, previous: OriginDayFlow | undefined): void {
  const at = (field: string) => `estimateImportRisk: flow ${JSON.stringify(row.originCode)} ${row.date} ${field}`;
  if (typeof row.originCode !== 'string' || row.originCode === '') fail(at('originCode'), 'a region code', row.originCode);
  expectIsoDate(at('date'), row.date);
  if (row.date < window.start || row.date > window.end) fail(at('date'), `a date within ${window.start}..${window.end}`, row.date);
  // A second row for the same origin and day would count its travellers twice.
  if (previous && previous.originCode === row.originCode && previous.date === row.date) {
    fail(at('date'), 'one row per origin and date', 'a duplicate');
  }
  expectAmount(at('trips'), row.trips);
  expectAmount(at('originActiveCases'), row.originActiveCases);
  expectAmount(at('originPopulation'), row.originPopulation);
}

/** Code-point order, not localeCompare: the same on every server whatever its locale. */
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
