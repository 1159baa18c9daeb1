import { expectAmount, expectCount, fail } from './check';
import type { ImportRiskLevel } from './importRisk';

/**
 * The 7-day import-risk FORECAST: will a county report a new case in the next `horizonDays` days?
 * A model, like the import-risk estimate it builds on, and never part of a ruleset.
 *
 *   μ_import = κ · λ                    λ: expected infected arrivals over the trailing window
 *                                        (Σ origins Σ days prevalence × trips, see importRisk.ts)
 *   μ_local  = L₇ · g                    L₇: new confirmed + asymptomatic in the last 7 days
 *                                        g = clamp((L₇ + 1) / (L′₇ + 1), gMin, gMax), L′₇ the 7 days before
 *   μ_alert  = σ · S₇                    S₇: new suspected cases in the last 7 days (not yet confirmed)
 *   P        = 1 − exp(−(μ_import + μ_local + μ_alert + ε))     ε: background introductions
 *
 * μ is the expected number of new reported cases in the horizon; P is the Poisson chance of at
 * least one. κ folds together "an infected arrival starts a chain" and "that chain is reported within
 * the horizon"; κ and σ were set on the simulated epidemics (docs/model.md) and are echoed in every answer.
 */
export const IMPORT_FORECAST_MODEL = 'IMPORT_FORECAST_V1';

export interface ForecastParameters {
  horizonDays: number;
  trendDays: number;
  importSeedRate: number;
  suspectedRate: number;
  backgroundRate: number;
  growthMin: number;
  growthMax: number;
  mediumThreshold: number;
  highThreshold: number;
}

export const FORECAST_PARAMETERS: ForecastParameters = Object.freeze({
  /** Days ahead the forecast is about. */
  horizonDays: 7,
  /** Length of each of the two periods compared for the local trend. */
  trendDays: 7,
  /** κ: reported cases in the horizon per expected infected arrival in the window (docs/model.md, "Choosing κ and σ"). */
  importSeedRate: 0.1,
  /** σ: reported cases in the horizon per suspected case of the last 7 days (one suspected case → P ≈ 0.95). */
  suspectedRate: 3,
  /**
   * ε: reported cases in the horizon that nothing in the data announces (unrecorded travel, cold
   * chain); about the rate at which case-free counties without import pressure report one (0.1–0.3 %).
   */
  backgroundRate: 0.002,
  /** Bounds of the local growth factor g (one week's change is a noisy guide to the next). */
  growthMin: 0.5,
  growthMax: 2,
  /** Level thresholds on P, as for the import-risk estimate. */
  mediumThreshold: 0.1,
  highThreshold: 0.5,
});

export type LocalTrend = 'NONE' | 'RISING' | 'STABLE' | 'FALLING';

/** What the forecast for one county reads. */
export interface ForecastInputs {
  /** λ: expected infected arrivals over the trailing window (≥ 0, may be fractional). */
  expectedInfectedArrivals: number;
  /** New confirmed + asymptomatic cases in the last `trendDays` days ending on asOf. */
  recentCases: number;
  /** The same in the `trendDays` days before those. */
  previousCases: number;
  /** New suspected cases in the last `trendDays` days. */
  recentSuspected: number;
}

export interface Forecast {
  /** μ_import: expected reported cases in the horizon seeded by arrivals. */
  expectedImportedCases: number;
  /** μ_local + μ_alert + ε: expected reported cases in the horizon not seeded by known arrivals. */
  expectedLocalCases: number;
  /** μ = μ_import + μ_local + μ_alert + ε. */
  expectedCases: number;
  /** P = 1 − exp(−μ), 0..1. */
  probability: number;
  level: ImportRiskLevel;
  /** g above (1 when there are no local cases at all). */
  growth: number;
  trend: LocalTrend;
  /** Share of μ due to arrivals, 0..1 (0 when μ = 0). */
  importShare: number;
}

export function forecastCounty(inputs: ForecastInputs, parameters: ForecastParameters = FORECAST_PARAMETERS): Forecast {
  expectAmount('forecastCounty: expectedInfectedArrivals', inputs.expectedInfectedArrivals);
  expectCount('forecastCounty: recentCases', inputs.recentCases);
  expectCount('forecastCounty: previousCases', inputs.previousCases);
  expectCount('forecastCounty: recentSuspected', inputs.recentSuspected);
  if (!(parameters.growthMin > 0 && parameters.growthMin <= 1 && parameters.growthMax >= 1)) {
    fail('forecastCounty: growth bounds', '0 < growthMin ≤ 1 ≤ growthMax', `${parameters.growthMin}..${parameters.growthMax}`);
  }
  const { recentCases: recent, previousCases: previous } = inputs;
  const growth = Math.min(parameters.growthMax, Math.max(parameters.growthMin, (recent + 1) / (previous + 1)));
  const expectedImportedCases = parameters.importSeedRate * inputs.expectedInfectedArrivals;
  const expectedLocalCases = recent * growth + parameters.suspectedRate * inputs.recentSuspected + parameters.backgroundRate;
  const expectedCases = expectedImportedCases + expectedLocalCases;
  // −expm1(−μ) keeps the precision of small μ (see importRisk.ts).
  const probability = -Math.expm1(-expectedCases);
  return {
    expectedImportedCases,
    expectedLocalCases,
    expectedCases,
    probability,
    level: probability >= parameters.highThreshold ? 'HIGH' : probability >= parameters.mediumThreshold ? 'MEDIUM' : 'LOW',
    growth: recent === 0 && previous === 0 ? 1 : growth,
    trend: trendOf(recent, previous),
    importShare: expectedCases > 0 ? expectedImportedCases / expectedCases : 0,
  };
}

/**
 * The direction of local cases, week on week. A change of one or two cases is noise, not a trend:
 * RISING/FALLING need a change of at least 3 cases and 25 %.
 */
export function trendOf(recent: number, previous: number): LocalTrend {
  if (recent === 0 && previous === 0) return 'NONE';
  const change = recent - previous;
  if (Math.abs(change) >= 3 && Math.abs(change) >= 0.25 * Math.max(recent, previous)) return change > 0 ? 'RISING' : 'FALLING';
  return 'STABLE';
}
