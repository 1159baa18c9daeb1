import { expectAmount, fail } from './check';

/**
 * Self-calibration of κ, the forecast's "reported cases per expected infected arrival". How many
 * reported cases an infected arrival leads to changes by an order of magnitude over an epidemic:
 * early on, reported prevalence undercounts the infected many times over (few tests, long delays),
 * so each reported case at the origin stands for many travellers; under normalised prevention it is
 * close to the truth and chains are cut short. No fixed κ fits both (docs/model.md shows it), so κ is
 * re-estimated every day from the forecasts whose outcome is already known:
 *
 *   for each day s in the `calibrationDays` days ending horizonDays before asOf, and each county
 *   that was case-free on s (no new confirmed case in the 14 days up to s):
 *     μ_s = κ·λ_s + m_s   (m_s: the local terms), y_s = 1 if it reported a case in s+1…s+horizon
 *   κ̂ = argmax Σ [ y·ln(1 − e^−μ) − (1 − y)·μ ] − (ln κ − ln κ₀)² / (2·τ²)
 *
 * i.e. the Poisson-link maximum likelihood with a log-normal prior around κ₀ (weak: τ = 1, a factor
 * of e), which decides alone when nothing is known yet. The log-likelihood is concave in κ, so the
 * golden-section search over ln κ finds its maximum.
 */
export const CALIBRATION_PARAMETERS = Object.freeze({
  /** Days of resolved forecasts κ is fitted on. */
  calibrationDays: 14,
  /** κ₀: the prior, and the value used with no resolved forecast at all. */
  priorImportSeedRate: 0.5,
  /** τ: standard deviation of ln κ under the prior. */
  priorLogSd: 1,
  /** Search range of κ. */
  minImportSeedRate: 0.001,
  maxImportSeedRate: 100,
});

/** One resolved forecast: what the model saw on day s and what happened after. */
export interface CalibrationSample {
  /** λ on day s. */
  expectedInfectedArrivals: number;
  /** μ_local + μ_alert on day s (they do not depend on κ). */
  localCases: number;
  /** 1 if the county reported a new confirmed case in the horizon after s, else 0. */
  outcome: 0 | 1;
}

export interface Calibration {
  importSeedRate: number;
  /** Samples that inform κ (λ > 0); with none, importSeedRate is the prior. */
  informativeSamples: number;
  /** Of those, how many had a positive outcome. */
  positives: number;
}

export function calibrateImportSeedRate(samples: readonly CalibrationSample[], parameters = CALIBRATION_PARAMETERS): Calibration {
  // Only samples with λ > 0 depend on κ; the rest shift the likelihood by a constant.
  const informative = samples.filter((s, k) => {
    expectAmount(`calibrateImportSeedRate: samples[${k}].expectedInfectedArrivals`, s.expectedInfectedArrivals);
    expectAmount(`calibrateImportSeedRate: samples[${k}].localCases`, s.localCases);
    if (s.outcome !== 0 && s.outcome !== 1) fail(`calibrateImportSeedRate: samples[${k}].outcome`, '0 or 1', s.outcome);
    return s.expectedInfectedArrivals > 0;
  });
  const positives = informative.reduce((n, s) => n + s.outcome, 0);
  const logPrior = Math.log(parameters.priorImportSeedRate);
  const objective = (logKappa: number) => {
    const kappa = Math.exp(logKappa);
    let ll = -((logKappa - logPrior) ** 2) / (2 * parameters.priorLogSd ** 2);
    for (const s of informative) {
      const mu = kappa * s.expectedInfectedArrivals + s.localCases;
      ll += s.outcome === 1 ? Math.log(-Math.expm1(-mu)) : -mu;
    }
    return ll;
  };
  const logKappa = goldenSectionMax(objective, Math.log(parameters.minImportSeedRate), Math.log(parameters.maxImportSeedRate), 1e-4);
  return { importSeedRate: Math.exp(logKappa), informativeSamples: informative.length, positives };
}

/** The maximum of a unimodal function on [a, b], to within `tolerance`. */
function goldenSectionMax(f: (x: number) => number, a: number, b: number, tolerance: number): number {
  const ratio = (Math.sqrt(5) - 1) / 2;
  let c = b - ratio * (b - a);
  let d = a + ratio * (b - a);
  let fc = f(c);
  let fd = f(d);
  while (b - a > tolerance) {
    if (fc >= fd) {
      b = d;
      d = c;
      fd = fc;
      c = b - ratio * (b - a);
      fc = f(c);
    } else {
      a = c;
      c = d;
      fc = fd;
      d = a + ratio * (b - a);
      fd = f(d);
    }
  }
  return (a + b) / 2;
}
