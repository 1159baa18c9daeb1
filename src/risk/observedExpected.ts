import { expectAmount, expectCount, fail } from './check';

/**
 * Observed/expected index in the style of Jia et al. (Nature 2020), who showed that the number of
 * cases in a prefecture is close to a power law of the travellers it received from Wuhan. Across
 * counties with any inflow from active areas:
 *
 *   ln(1 + cases_j) = a + b · ln(1 + inflow_j) + ε_j        fitted by ordinary least squares
 *
 * A county far above the line has more cases than its arrivals explain (local spread); far below,
 * fewer (effective control, or under-reporting). ln(1 + ·) keeps counties with no case in the fit.
 */
export const OBSERVED_EXPECTED_MODEL = 'OBSERVED_EXPECTED_LOGLOG_V1';
/** |z| at or beyond which a county reads ABOVE or BELOW rather than AS_EXPECTED. */
export const OBSERVED_EXPECTED_Z = 2;
/** Fewer points than this and no line is fitted (two points always fit exactly). */
export const OBSERVED_EXPECTED_MIN_POINTS = 5;

export interface IndexPoint {
  code: string;
  /** Trips into the county from origins with active cases over the window. */
  inflow: number;
  /** New confirmed cases in the county over the window. */
  observed: number;
}

export interface IndexFit {
  /** a and b above. */
  intercept: number;
  slope: number;
  /** Share of the variance of ln(1 + cases) explained by the line. */
  rSquared: number;
  /** Counties in the fit (inflow > 0). */
  counties: number;
  /** Standard deviation of the residuals (n − 2 degrees of freedom). */
  residualSd: number;
}

export type IndexReading = 'ABOVE' | 'AS_EXPECTED' | 'BELOW';

export interface CountyIndex {
  inflow: number;
  observed: number;
  /** exp(a + b · ln(1 + inflow)) − 1: the cases the county's arrivals would predict. */
  expected: number;
  /** (observed + 1) / (expected + 1), = exp(residual) unless the line predicts below 0: above 1, more cases than expected. */
  ratio: number;
  /** Residual in units of residualSd (0 when the residuals have no spread). */
  zScore: number;
  reading: IndexReading;
}

export function fitObservedExpected(points: readonly IndexPoint[]): { fit: IndexFit | null; byCode: Map<string, CountyIndex> } {
  points.forEach((p, k) => {
    if (typeof p.code !== 'string' || p.code === '') fail(`fitObservedExpected: points[${k}].code`, 'a region code', p.code);
    expectAmount(`fitObservedExpected: points[${k}].inflow`, p.inflow);
    expectCount(`fitObservedExpected: points[${k}].observed`, p.observed);
  });
  const used = points.filter((p) => p.inflow > 0);
  const xs = used.map((p) => Math.log1p(p.inflow));
  const ys = used.map((p) => Math.log1p(p.observed));
  const n = used.length;
  const byCode = new Map<string, CountyIndex>();
  if (n < OBSERVED_EXPECTED_MIN_POINTS) return { fit: null, byCode };
  const meanX = xs.reduce((a, b) => a + b, 0) / n;
  const meanY = ys.reduce((a, b) => a + b, 0) / n;
  let sxx = 0;
  let sxy = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    sxx += (xs[i] - meanX) ** 2;
    sxy += (xs[i] - meanX) * (ys[i] - meanY);
    syy += (ys[i] - meanY) ** 2;
  }
  // Every county with the same inflow: no slope can be estimated, only the mean.
  if (sxx === 0) return { fit: null, byCode };
  const slope = sxy / sxx;
  const intercept = meanY - slope * meanX;
  const residuals = xs.map((x, i) => ys[i] - (intercept + slope * x));
  const ssr = residuals.reduce((s, r) => s + r * r, 0);
  const residualSd = n > 2 ? Math.sqrt(ssr / (n - 2)) : 0;
  used.forEach((p, i) => {
    const zScore = residualSd > 0 ? residuals[i] / residualSd : 0;
    // A line below ln 1 would predict fewer than 0 cases: expect 0 then, and compare with that.
    const expected = Math.max(0, Math.expm1(intercept + slope * xs[i]));
    byCode.set(p.code, {
      inflow: p.inflow,
      observed: p.observed,
      expected,
      ratio: (p.observed + 1) / (expected + 1),
      zScore,
      reading: zScore >= OBSERVED_EXPECTED_Z ? 'ABOVE' : zScore <= -OBSERVED_EXPECTED_Z ? 'BELOW' : 'AS_EXPECTED',
    });
  });
  return { fit: { intercept, slope, rSquared: syy > 0 ? 1 - ssr / syy : 0, counties: n, residualSd }, byCode };
}
