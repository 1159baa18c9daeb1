import { FORECAST_PARAMETERS, forecastCounty, type ForecastParameters } from '../risk/forecast';
import { CALIBRATION_PARAMETERS, calibrateImportSeedRate, type CalibrationSample } from '../risk/calibration';
import { DEFAULT_INFECTIOUS_DAYS } from '../risk/activeCases';
import { prevalenceOf } from '../risk/national';
import { brierScore, calibrationBins, calibrationByBands, precisionAtK, rocAuc, type CalibrationBin } from './metrics';

/**
 * The reported epidemic as dense per-county daily series, however it was obtained (read back from
 * the database, or straight from the simulation). Series are indexed [county * days + day].
 */
export interface EpidemicSeries {
  dates: string[];
  codes: string[];
  population: Float64Array;
  confirmed: Int32Array;
  asymptomatic: Int32Array;
  suspected: Int32Array;
}

/**
 * Backtest definitions, fixed here and quoted in docs/model.md:
 *  - a county is AT RISK OF A FIRST NEW CASE on day t when it reported no new confirmed case in
 *    the `quietDays` (14) days ending on t — it is "case-free" in the sense of the LOW rule;
 *  - the outcome is positive when it reports at least one new confirmed case in days t+1…t+horizon;
 *  - every prediction for day t uses only reports and flows dated ≤ t.
 */
export const BACKTEST_DEFINITIONS = Object.freeze({ quietDays: 14, horizonDays: FORECAST_PARAMETERS.horizonDays, windowDays: 14, topK: 50 });

export interface ReplayResult {
  /** Days evaluated: those with a full window behind them and a full horizon ahead. */
  days: number;
  firstDay: string;
  lastDay: string;
  counties: number;
  /** (county, day) predictions made, and how many of them turned out positive. */
  predictions: number;
  positives: number;
  model: Scores;
  baseline: Scores;
  /** κ used on each evaluated day (fitted, or fixed when selfCalibrate is false). */
  importSeedRates: { date: string; importSeedRate: number }[];
}

export interface Scores {
  auc: number;
  /** Mean over evaluated days (with at least one eligible county) of the precision of the day's top 50. */
  precisionAt50: number;
  brier: number;
  /** Deciles of predicted probability. */
  calibration: CalibrationBin[];
  /** Fixed probability bands (RELIABILITY_BANDS): more telling when most predictions are near 0. */
  reliability: CalibrationBin[];
}

export const RELIABILITY_BANDS = [0, 0.001, 0.005, 0.01, 0.05, 0.1, 0.2, 0.5, 1];

/**
 * Replays the epidemic day by day. `pressure[c * days + d]` is the day-d import pressure into county
 * c, Σ_origins prevalence_origin(d) × trips_origin→c(d): λ on day t is its sum over the window.
 */
export function replay(
  series: EpidemicSeries,
  pressure: Float64Array,
  options: {
    parameters?: ForecastParameters;
    /** true: re-fit κ every day from the forecasts already resolved (calibration.ts), instead of parameters.importSeedRate. */
    selfCalibrate?: boolean;
    onDay?: (done: number, total: number) => void;
  } = {},
): ReplayResult {
  const parameters = options.parameters ?? FORECAST_PARAMETERS;
  const { quietDays, horizonDays, windowDays, topK } = BACKTEST_DEFINITIONS;
  const C = series.codes.length;
  const D = series.dates.length;
  const at = (c: number, t: number) => c * D + t;
  const sumOver = (values: ArrayLike<number>, c: number, from: number, to: number) => {
    let s = 0;
    for (let d = Math.max(0, from); d <= Math.min(D - 1, to); d++) s += values[at(c, d)];
    return s;
  };
  const first = Math.max(quietDays, windowDays) - 1;
  const last = D - 1 - horizonDays;
  const baseline = new LocalBaseline();
  // Resolved-forecast samples by day, for the daily re-fit of κ (calibration.ts).
  const samplesByDay = new Map<number, CalibrationSample[]>();
  const importSeedRates: { date: string; importSeedRate: number }[] = [];

  const modelScores: number[] = [];
  const baselineScores: number[] = [];
  const labels: number[] = [];
  const dailyPrecision = { model: [] as number[], baseline: [] as number[] };
  for (let t = first; t <= last; t++) {
    const dayStart = labels.length;
    baseline.learnUntil(t - horizonDays);
    // κ from the forecasts of days t−horizon−L+1 … t−horizon, whose outcomes are known on day t.
    const importSeedRate =
      options.selfCalibrate === true
        ? calibrateImportSeedRate(resolvedSamples(samplesByDay, t - horizonDays, CALIBRATION_PARAMETERS.calibrationDays)).importSeedRate
        : parameters.importSeedRate;
    importSeedRates.push({ date: series.dates[t], importSeedRate });
    const samples: CalibrationSample[] = [];
    for (let c = 0; c < C; c++) {
      if (sumOver(series.confirmed, c, t - quietDays + 1, t) > 0) continue;
      const recentCases = sumOver(series.confirmed, c, t - 6, t) + sumOver(series.asymptomatic, c, t - 6, t);
      const expectedInfectedArrivals = sumOver(pressure, c, t - windowDays + 1, t);
      const forecast = forecastCounty(
        {
          expectedInfectedArrivals,
          recentCases,
          previousCases: sumOver(series.confirmed, c, t - 13, t - 7) + sumOver(series.asymptomatic, c, t - 13, t - 7),
          recentSuspected: sumOver(series.suspected, c, t - 6, t),
        },
        { ...parameters, importSeedRate },
      );
      const label = sumOver(series.confirmed, c, t + 1, t + horizonDays) > 0 ? 1 : 0;
      samples.push({ expectedInfectedArrivals, localCases: forecast.expectedLocalCases, outcome: label });
      const bucket = baselineBucket(sumOver(series.confirmed, c, 0, t), recentCases + sumOver(series.suspected, c, t - 6, t));
      baseline.record(t, bucket, label);
      modelScores.push(forecast.probability);
      baselineScores.push(baseline.rate(bucket));
      labels.push(label);
    }
    samplesByDay.set(t, samples);
    const dayLabels = labels.slice(dayStart);
    if (dayLabels.length > 0) {
      dailyPrecision.model.push(precisionAtK(modelScores.slice(dayStart), dayLabels, topK));
      dailyPrecision.baseline.push(precisionAtK(baselineScores.slice(dayStart), dayLabels, topK));
    }
    options.onDay?.(t - first + 1, last - first + 1);
  }
  const scores = (p: number[], precision: number[]): Scores => ({
    auc: rocAuc(p, labels),
    precisionAt50: mean(precision),
    brier: brierScore(p, labels),
    calibration: calibrationBins(p, labels, 10),
    reliability: calibrationByBands(p, labels, RELIABILITY_BANDS),
  });
  return {
    days: Math.max(0, last - first + 1),
    firstDay: series.dates[first],
    lastDay: series.dates[last],
    counties: C,
    predictions: labels.length,
    positives: labels.reduce((s, y) => s + y, 0),
    model: scores(modelScores, dailyPrecision.model),
    importSeedRates,
    baseline: scores(baselineScores, dailyPrecision.baseline),
  };
}

/**
 * Reported prevalence per county and day: active cases (new confirmed + asymptomatic over the
 * `infectiousDays` days ending that day) over population, as the API computes it.
 */
export function prevalenceSeries(series: EpidemicSeries, infectiousDays = DEFAULT_INFECTIOUS_DAYS): Float64Array {
  const C = series.codes.length;
  const D = series.dates.length;
  const out = new Float64Array(C * D);
  for (let c = 0; c < C; c++) {
    let active = 0;
    for (let t = 0; t < D; t++) {
      active += series.confirmed[c * D + t] + series.asymptomatic[c * D + t];
      if (t >= infectiousDays) active -= series.confirmed[c * D + t - infectiousDays] + series.asymptomatic[c * D + t - infectiousDays];
      out[c * D + t] = prevalenceOf(active, series.population[c]);
    }
  }
  return out;
}

/**
 * The baseline: local case counts only. Counties are grouped by cumulative confirmed cases to date
 * (0, 1–9, 10–99, ≥ 100) and by recent local signals (new asymptomatic + suspected in the last 7
 * days: 0, 1–2, ≥ 3); a group's predicted probability is the share of its earlier predictions
 * whose outcome is already known (made ≥ horizon days before) that turned out positive. It is
 * calibrated by construction and uses no mobility at all.
 */
export function baselineBucket(cumulativeConfirmed: number, recentLocalSignals: number): number {
  const history = cumulativeConfirmed === 0 ? 0 : cumulativeConfirmed < 10 ? 1 : cumulativeConfirmed < 100 ? 2 : 3;
  const recent = recentLocalSignals === 0 ? 0 : recentLocalSignals < 3 ? 1 : 2;
  return history * 3 + recent;
}
const BASELINE_BUCKETS = 12;

export class LocalBaseline {
  private readonly pending: { day: number; bucket: number; label: number }[] = [];
  private readonly n = new Float64Array(BASELINE_BUCKETS);
  private readonly positives = new Float64Array(BASELINE_BUCKETS);
  private next = 0;

  record(day: number, bucket: number, label: number): void {
    this.pending.push({ day, bucket, label });
  }

  /** Takes in the outcomes of predictions made on days ≤ `day` (known by day + horizon). */
  learnUntil(day: number): void {
    while (this.next < this.pending.length && this.pending[this.next].day <= day) {
      const p = this.pending[this.next++];
      this.n[p.bucket]++;
      this.positives[p.bucket] += p.label;
    }
  }

  /**
   * The group's rate, shrunk towards the rate over all groups with the weight of 10 predictions; that
   * overall rate starts from 1 in 100 (as if 1 of 100 earlier predictions had come true), so the first
   * week, with no outcome known yet, predicts 1 % everywhere rather than nonsense.
   */
  rate(bucket: number): number {
    let n = 0;
    let positives = 0;
    for (let b = 0; b < BASELINE_BUCKETS; b++) {
      n += this.n[b];
      positives += this.positives[b];
    }
    const overall = (positives + 1) / (n + 100);
    return (this.positives[bucket] + 10 * overall) / (this.n[bucket] + 10);
  }
}

/** The samples of the `days` days ending on `lastDay` (those not replayed, before the first day, are missing). */
export function resolvedSamples(byDay: ReadonlyMap<number, CalibrationSample[]>, lastDay: number, days: number): CalibrationSample[] {
  const out: CalibrationSample[] = [];
  for (let d = lastDay - days + 1; d <= lastDay; d++) out.push(...(byDay.get(d) ?? []));
  return out;
}

function mean(values: number[]): number {
  return values.length === 0 ? NaN : values.reduce((a, b) => a + b, 0) / values.length;
}
