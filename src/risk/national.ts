import { addDays, trailingWindow } from './dates';
import { DEFAULT_INFECTIOUS_DAYS } from './activeCases';
import { expectAmount, expectCount, expectIsoDate, fail } from './check';
import { FORECAST_PARAMETERS, IMPORT_FORECAST_MODEL, forecastCounty, type Forecast, type ForecastParameters } from './forecast';
import { IMPORT_RISK_MAX_DAYS, IMPORT_RISK_MIN_DAYS } from './importRisk';
import { OBSERVED_EXPECTED_MODEL, fitObservedExpected, type CountyIndex, type IndexFit } from './observedExpected';

/**
 * The forecast for every county at once, from three bulk inputs (counties, daily counts, weighted
 * inflows), so the datasources can fetch them in a fixed number of statements however many
 * counties there are. Two steps, because the inflows are weighted by prevalences computed here:
 *
 *   1. nationalReadWindow → which days of counts to read; activeOriginDays(counts) → the
 *      (origin, day, prevalence) list the mobility statement weights trips by;
 *   2. nationalForecast(counties, counts, inflows) → every county's forecast, ranked.
 */

/** Active cases over population, capped at 1; 0 when the population is unknown (see importRisk.ts). */
export function prevalenceOf(active: number, population: number): number {
  if (!(population > 0)) return 0;
  return Math.min(1, active / population);
}

export interface NationalCounty {
  code: string;
  population: number;
}

/** One county's report for one day (days without a row count as zero). */
export interface CountyDayCounts {
  regionCode: string;
  date: string;
  newConfirmed: number;
  newAsymptomatic: number;
  newSuspected: number;
}

/** Trips from one origin into one destination over the window, and those trips weighted by the origin's prevalence. */
export interface OriginInflow {
  destCode: string;
  originCode: string;
  /** Σ_days prevalence_origin(day) × trips(day): the origin's part of λ. */
  expectedInfectedArrivals: number;
  /** Trips on days the origin had active cases. */
  trips: number;
}

export interface ActiveOriginDay {
  originCode: string;
  date: string;
  prevalence: number;
}

/** The window of the estimate and the span of daily counts the national forecast needs. */
export function nationalReadWindow(asOf: string, days: number) {
  expectIsoDate('nationalReadWindow: asOf', asOf);
  if (!Number.isInteger(days) || days < IMPORT_RISK_MIN_DAYS || days > IMPORT_RISK_MAX_DAYS) {
    fail('nationalReadWindow: days', `a whole number ${IMPORT_RISK_MIN_DAYS}..${IMPORT_RISK_MAX_DAYS}`, days);
  }
  const window = trailingWindow(asOf, days);
  // Prevalence on the window's first day looks back over the infectious period; the local trend
  // needs two trend periods; whichever reaches further back decides.
  const lookBack = Math.max(days - 1 + DEFAULT_INFECTIOUS_DAYS - 1, 2 * FORECAST_PARAMETERS.trendDays - 1);
  return { window, countsFrom: addDays(asOf, -lookBack), countsTo: asOf };
}

/** Counts per county as dense arrays over [from, to], checked. */
function denseCounts(counties: readonly NationalCounty[], counts: readonly CountyDayCounts[], from: string, to: string) {
  const length = dayIndex(from, to) + 1;
  const index = new Map(counties.map((c, i) => [c.code, i]));
  const confirmed = new Int32Array(counties.length * length);
  const active = new Int32Array(counties.length * length);
  const suspected = new Int32Array(counties.length * length);
  counts.forEach((r, k) => {
    const at = `national: counts[${k}]`;
    expectIsoDate(`${at}.date`, r.date);
    expectCount(`${at}.newConfirmed`, r.newConfirmed);
    expectCount(`${at}.newAsymptomatic`, r.newAsymptomatic);
    expectCount(`${at}.newSuspected`, r.newSuspected);
    const c = index.get(r.regionCode);
    const d = dayIndex(from, r.date);
    if (c === undefined || d < 0 || d >= length) return; // not a county of the list, or outside the span
    confirmed[c * length + d] += r.newConfirmed;
    active[c * length + d] += r.newConfirmed + r.newAsymptomatic;
    suspected[c * length + d] += r.newSuspected;
  });
  const sum = (series: Int32Array, c: number, fromDay: number, toDay: number) => {
    let s = 0;
    for (let d = Math.max(0, fromDay); d <= Math.min(length - 1, toDay); d++) s += series[c * length + d];
    return s;
  };
  return { length, confirmed, active, suspected, sum };
}

/** Whole days from `from` to `date` (dates are memoised in addDays, parsing here is cheap). */
function dayIndex(from: string, date: string): number {
  return Math.round((Date.parse(`${date}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000);
}

/**
 * Every (origin, day of the window) with active cases, with its prevalence: active cases are the
 * new confirmed + asymptomatic over the 14 days ending that day, as in activeCasesOn.
 */
export function activeOriginDays(
  counties: readonly NationalCounty[],
  counts: readonly CountyDayCounts[],
  asOf: string,
  days: number,
): ActiveOriginDay[] {
  const { window, countsFrom } = nationalReadWindow(asOf, days);
  const dense = denseCounts(counties, counts, countsFrom, asOf);
  const first = dayIndex(countsFrom, window.start);
  const result: ActiveOriginDay[] = [];
  counties.forEach((county, c) => {
    for (let d = first; d < dense.length; d++) {
      const active = dense.sum(dense.active, c, d - DEFAULT_INFECTIOUS_DAYS + 1, d);
      const prevalence = prevalenceOf(active, county.population);
      if (prevalence > 0) result.push({ originCode: county.code, date: addDays(countsFrom, d), prevalence });
    }
  });
  return result;
}

export interface ForecastSource {
  originCode: string;
  expectedInfectedArrivals: number;
  /** Share of the county's λ, 0..1. */
  contribution: number;
  trips: number;
}

export interface CountyForecast extends Forecast {
  code: string;
  /** 1 = most likely to report a new case; ties by expected cases, then code. */
  rank: number;
  /** λ over the window. */
  expectedInfectedArrivals: number;
  /** 1 − exp(−λ): the chance of at least one infected arrival in the window (the import-risk estimate). */
  importProbability: number;
  /** Origins by expected infected arrivals, largest first, ties by code; at most MAX_FORECAST_SOURCES. */
  topSources: ForecastSource[];
  recentCases: number;
  previousCases: number;
  recentSuspected: number;
  /** New confirmed cases in the 14 days ending on asOf: 0 means a new case would be a "first" one. */
  confirmedLast14Days: number;
  /** Observed/expected index; null without inflow from active areas (outside the fit). */
  index: CountyIndex | null;
}

export interface NationalForecast {
  model: typeof IMPORT_FORECAST_MODEL;
  asOf: string;
  days: number;
  windowStart: string;
  windowEnd: string;
  parameters: ForecastParameters;
  indexModel: typeof OBSERVED_EXPECTED_MODEL;
  indexFit: IndexFit | null;
  /** Ranked, most likely first. */
  counties: CountyForecast[];
}

export const MAX_FORECAST_SOURCES = 50;

export function nationalForecast(input: {
  asOf: string;
  days: number;
  counties: readonly NationalCounty[];
  counts: readonly CountyDayCounts[];
  inflows: readonly OriginInflow[];
  parameters?: ForecastParameters;
}): NationalForecast {
  const { asOf, days, counties, parameters = FORECAST_PARAMETERS } = input;
  const { window, countsFrom } = nationalReadWindow(asOf, days);
  const dense = denseCounts(counties, input.counts, countsFrom, asOf);
  const today = dense.length - 1;
  const windowFirst = dayIndex(countsFrom, window.start);
  const trend = parameters.trendDays;

  const sourcesByDest = new Map<string, ForecastSource[]>();
  input.inflows.forEach((f, k) => {
    expectAmount(`nationalForecast: inflows[${k}].expectedInfectedArrivals`, f.expectedInfectedArrivals);
    expectAmount(`nationalForecast: inflows[${k}].trips`, f.trips);
    let list = sourcesByDest.get(f.destCode);
    if (!list) sourcesByDest.set(f.destCode, (list = []));
    list.push({ originCode: f.originCode, expectedInfectedArrivals: f.expectedInfectedArrivals, trips: f.trips, contribution: 0 });
  });

  const rows = counties.map((county, c) => {
    const sources = (sourcesByDest.get(county.code) ?? []).sort(
      (a, b) => b.expectedInfectedArrivals - a.expectedInfectedArrivals || compare(a.originCode, b.originCode),
    );
    // Summed in the sorted order, so the total does not depend on the order rows came in.
    const lambda = sources.reduce((s, x) => s + x.expectedInfectedArrivals, 0);
    for (const s of sources) s.contribution = lambda > 0 ? s.expectedInfectedArrivals / lambda : 0;
    const recentCases = dense.sum(dense.active, c, today - trend + 1, today);
    const previousCases = dense.sum(dense.active, c, today - 2 * trend + 1, today - trend);
    const recentSuspected = dense.sum(dense.suspected, c, today - trend + 1, today);
    const forecast = forecastCounty({ expectedInfectedArrivals: lambda, recentCases, previousCases, recentSuspected }, parameters);
    return {
      code: county.code,
      rank: 0,
      ...forecast,
      expectedInfectedArrivals: lambda,
      importProbability: -Math.expm1(-lambda),
      topSources: sources.filter((s) => s.expectedInfectedArrivals > 0).slice(0, MAX_FORECAST_SOURCES),
      recentCases,
      previousCases,
      recentSuspected,
      confirmedLast14Days: dense.sum(dense.confirmed, c, today - 13, today),
      index: null as CountyIndex | null,
      inflowFromActive: sources.reduce((s, x) => s + x.trips, 0),
      observedInWindow: dense.sum(dense.confirmed, c, windowFirst, today),
    };
  });

  const { fit, byCode } = fitObservedExpected(rows.map((r) => ({ code: r.code, inflow: r.inflowFromActive, observed: r.observedInWindow })));
  rows.sort((a, b) => b.probability - a.probability || b.expectedCases - a.expectedCases || compare(a.code, b.code));
  const ranked: CountyForecast[] = rows.map(({ inflowFromActive: _inflow, observedInWindow: _observed, ...row }, i) => ({
    ...row,
    rank: i + 1,
    index: byCode.get(row.code) ?? null,
  }));
  return {
    model: IMPORT_FORECAST_MODEL,
    asOf,
    days,
    windowStart: window.start,
    windowEnd: window.end,
    parameters,
    indexModel: OBSERVED_EXPECTED_MODEL,
    indexFit: fit,
    counties: ranked,
  };
}

/** Code-point order, the same on every server whatever its locale. */
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
