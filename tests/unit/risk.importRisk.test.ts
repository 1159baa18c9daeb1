import {
  IMPORT_RISK_MODEL,
  estimateImportRisk,
  type ImportRiskInputs,
  type OriginDayFlow,
} from '../../src/risk/importRisk';

const AS_OF = '2026-11-25'; // a 7-day window runs 2026-11-19..2026-11-25

function flow(originCode: string, date: string, trips: number, originActiveCases: number, originPopulation: number): OriginDayFlow {
  return { originCode, date, trips, originActiveCases, originPopulation };
}

function estimate(flows: OriginDayFlow[], extra: Partial<ImportRiskInputs> = {}) {
  return estimateImportRisk({ asOf: AS_OF, days: 7, flows, ...extra });
}

/**
 *   420106  11-24  200 trips × 1,000 / 1,000,000 = 0.2
 *   420106  11-25  200 trips ×   500 / 1,000,000 = 0.1   → 0.3
 *   110105  11-20 1000 trips ×   200 / 2,000,000 = 0.1   → 0.1
 *   310104  11-22 5000 trips ×     0 /   500,000 = 0     → 0
 *   λ = 0.4,  P = 1 − e^−0.4 = 1 − 0.670320046… = 0.329679953…  → MEDIUM (0.1 ≤ P < 0.5)
 *   contributions 0.3 / 0.4 = 0.75 and 0.1 / 0.4 = 0.25
 */
const HAND_COMPUTED = [
  flow('420106', '2026-11-24', 200, 1_000, 1_000_000),
  flow('420106', '2026-11-25', 200, 500, 1_000_000),
  flow('110105', '2026-11-20', 1_000, 200, 2_000_000),
  flow('310104', '2026-11-22', 5_000, 0, 500_000),
];

describe('estimateImportRisk', () => {
  it('gives P = 0 and no sources without any flow', () => {
    const result = estimate([]);
    expect(result).toMatchObject({ expectedInfectedArrivals: 0, probability: 0, level: 'LOW', topSources: [] });
  });

  it('gives P = 0 when travellers come only from places without active cases', () => {
    expect(estimate([flow('310104', AS_OF, 10_000, 0, 500_000)]).probability).toBe(0);
  });

  it('matches the hand-computed example', () => {
    const result = estimate(HAND_COMPUTED);
    expect(result.model).toBe(IMPORT_RISK_MODEL);
    expect(result).toMatchObject({ asOf: AS_OF, days: 7, windowStart: '2026-11-19', windowEnd: AS_OF, level: 'MEDIUM' });
    expect(result.expectedInfectedArrivals).toBeCloseTo(0.4, 12);
    expect(result.probability).toBeCloseTo(0.329679953964361, 12);
    expect(result.topSources.map((s) => s.originCode)).toEqual(['420106', '110105']);
    expect(result.topSources[0].expectedInfectedArrivals).toBeCloseTo(0.3, 12);
    expect(result.topSources[0].contribution).toBeCloseTo(0.75, 12);
    expect(result.topSources[1].contribution).toBeCloseTo(0.25, 12);
  });

  it('echoes its parameters', () => {
    expect(estimate(HAND_COMPUTED, { topN: 3 }).parameters).toEqual({ topN: 3, mediumThreshold: 0.1, highThreshold: 0.5 });
  });

  it('has contributions that sum to 1 over all contributing origins', () => {
    const flows = ['A', 'B', 'C', 'D', 'E', 'F', 'G'].map((code, k) => flow(code, '2026-11-21', 100 * (k + 1), 7 * k + 1, 300_000));
    const sum = estimate(flows, { topN: 100 }).topSources.reduce((total, s) => total + s.contribution, 0);
    expect(sum).toBeCloseTo(1, 12);
  });

  it('never lowers P when trips grow', () => {
    let previous = -1;
    for (const trips of [0, 1, 10, 100, 1_000, 10_000, 1e6, 1e9]) {
      const { probability } = estimate([...HAND_COMPUTED.slice(1), flow('420106', '2026-11-24', trips, 1_000, 1_000_000)]);
      expect(probability).toBeGreaterThanOrEqual(previous);
      previous = probability;
    }
    expect(previous).toBe(1);
  });

  it('lists the top N origins largest first, ties by code', () => {
    const flows = [
      flow('500000', AS_OF, 100, 10, 1_000), // 1
      flow('300000', AS_OF, 200, 10, 1_000), // 2
      flow('200000', AS_OF, 200, 10, 1_000), // 2
      flow('400000', AS_OF, 300, 10, 1_000), // 3
      flow('100000', AS_OF, 50, 10, 1_000), //  0.5
    ];
    expect(estimate(flows, { topN: 3 }).topSources.map((s) => s.originCode)).toEqual(['400000', '200000', '300000']);
    expect(estimate(flows).topSources).toHaveLength(5);
  });

  it('lists at most 5 origins by default', () => {
    const flows = Array.from({ length: 8 }, (_, k) => flow(`11010${k}`, AS_OF, 10, 1, 100));
    expect(estimate(flows).topSources).toHaveLength(5);
  });

  it('gives the same result whatever the order of the flows', () => {
    expect(estimate([...HAND_COMPUTED].reverse())).toEqual(estimate(HAND_COMPUTED));
  });

  it('rates P ≥ 0.5 HIGH and P < 0.1 LOW', () => {
    expect(estimate([flow('A', AS_OF, 1_000, 1, 1_000)]).level).toBe('HIGH'); // λ = 1
    expect(estimate([flow('A', AS_OF, 50, 1, 1_000)]).level).toBe('LOW'); // λ = 0.05
  });

  it('counts an origin with population 0 as uninfected and reports it', () => {
    const result = estimate([...HAND_COMPUTED, flow('650000', AS_OF, 1_000, 50, 0)]);
    expect(result.expectedInfectedArrivals).toBeCloseTo(0.4, 12);
    expect(result.originsWithoutPopulation).toEqual(['650000']);
    expect(result.topSources.map((s) => s.originCode)).not.toContain('650000');
  });

  it('caps prevalence at 1 when active cases exceed the population', () => {
    expect(estimate([flow('A', AS_OF, 3, 5_000, 1_000)]).expectedInfectedArrivals).toBe(3);
  });

  it('stays a number at the extremes', () => {
    const huge = Array.from({ length: 7 }, (_, k) =>
      flow('A', `2026-11-${19 + k}`, Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER),
    );
    const high = estimate(huge);
    expect(high.probability).toBe(1);
    expect(Number.isFinite(high.expectedInfectedArrivals)).toBe(true);
    expect(high.topSources[0].contribution).toBe(1);

    // λ ≈ 1.1e-16: 1 − Math.exp(−λ) would round to 0; expm1 keeps it.
    const tiny = estimate([flow('A', AS_OF, 1, 1, Number.MAX_SAFE_INTEGER)]);
    expect(tiny.probability).toBeGreaterThan(0);
    expect(tiny.probability).toBeCloseTo(tiny.expectedInfectedArrivals, 30);
  });
});

describe('estimateImportRisk: invalid inputs are programming errors', () => {
  const cases: Array<[string, Partial<ImportRiskInputs>, RegExp]> = [
    ['a 6-day window', { days: 6 }, /days: expected a whole number 7\.\.14, got 6/],
    ['a 15-day window', { days: 15 }, /days: expected a whole number 7\.\.14, got 15/],
    ['a malformed asOf', { asOf: '25/11/2026' }, /asOf: expected a 'YYYY-MM-DD' calendar date, got "25\/11\/2026"/],
    ['topN 0', { topN: 0 }, /topN: expected a whole number ≥ 1, got 0/],
    ['a flow before the window', { flows: [flow('A', '2026-11-18', 1, 1, 10)] }, /flow "A" 2026-11-18 date: expected a date within 2026-11-19\.\.2026-11-25/],
    ['a flow after asOf', { flows: [flow('A', '2026-11-26', 1, 1, 10)] }, /date: expected a date within/],
    ['two rows for one origin and day', { flows: [flow('A', AS_OF, 1, 1, 10), flow('A', AS_OF, 2, 1, 10)] }, /expected one row per origin and date, got "a duplicate"/],
    ['negative trips', { flows: [flow('A', AS_OF, -1, 1, 10)] }, /trips: expected a finite number between 0 and 9007199254740991, got -1/],
    ['infinite trips', { flows: [flow('A', AS_OF, Infinity, 1, 10)] }, /trips: expected .*got Infinity/],
    ['NaN active cases', { flows: [flow('A', AS_OF, 1, NaN, 10)] }, /originActiveCases: expected .*got NaN/],
    ['a negative population', { flows: [flow('A', AS_OF, 1, 1, -10)] }, /originPopulation: expected .*got -10/],
    ['an empty origin code', { flows: [flow('', AS_OF, 1, 1, 10)] }, /originCode: expected a region code, got ""/],
  ];

  it.each(cases)('%s', (_name, overrides, message) => {
    expect(() => estimateImportRisk({ asOf: AS_OF, days: 7, flows: [], ...overrides })).toThrow(message);
  });
});
