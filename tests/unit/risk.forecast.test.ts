import { FORECAST_PARAMETERS, forecastCounty, trendOf } from '../../src/risk/forecast';
import { fitObservedExpected } from '../../src/risk/observedExpected';
import { CALIBRATION_PARAMETERS, calibrateImportSeedRate } from '../../src/risk/calibration';
import { activeOriginDays, nationalForecast, nationalReadWindow, type CountyDayCounts } from '../../src/risk/national';

const AS_OF = '2026-11-25';
/** The hand computations use κ = 0.5, σ = 0.5 and ε = 0, whatever the shipped values. */
const P = { ...FORECAST_PARAMETERS, importSeedRate: 0.5, suspectedRate: 0.5, backgroundRate: 0 };

describe('forecastCounty', () => {
  it('adds κ·λ, the local cases grown by the trend, and σ·suspected, then takes 1 − e^−μ', () => {
    // g = (3 + 1) / (1 + 1) = 2 (at the bound); μ = 0.5·2 + 3·2 + 0.5·2 = 1 + 7 = 8; P = 1 − e^−8 = 0.999664537…
    const f = forecastCounty({ expectedInfectedArrivals: 2, recentCases: 3, previousCases: 1, recentSuspected: 2 }, P);
    expect(f.expectedImportedCases).toBe(1);
    expect(f.expectedLocalCases).toBe(7);
    expect(f.expectedCases).toBe(8);
    expect(f.probability).toBeCloseTo(0.9996645374, 9);
    expect(f).toMatchObject({ level: 'HIGH', growth: 2, trend: 'STABLE', importShare: 0.125 });
  });

  it('bands P at 0.1: λ = 0.2 gives 1 − e^−0.1 = 0.0952 (LOW), λ = 0.22 gives 1 − e^−0.11 = 0.1042 (MEDIUM)', () => {
    const low = forecastCounty({ expectedInfectedArrivals: 0.2, recentCases: 0, previousCases: 0, recentSuspected: 0 }, P);
    expect(low.probability).toBeCloseTo(0.0951625819, 9);
    expect(low).toMatchObject({ level: 'LOW', growth: 1, trend: 'NONE', importShare: 1 });
    const medium = forecastCounty({ expectedInfectedArrivals: 0.22, recentCases: 0, previousCases: 0, recentSuspected: 0 }, P);
    expect(medium.probability).toBeCloseTo(premium(), 9);
    expect(medium.level).toBe('MEDIUM');
  });

  it('clamps a collapsing local trend at growthMin and reads it as FALLING', () => {
    // g = 1 / 10 = 0.1 → 0.5; no recent case, so μ_local = 0
    const f = forecastCounty({ expectedInfectedArrivals: 0, recentCases: 0, previousCases: 9, recentSuspected: 0 }, P);
    expect(f).toMatchObject({ growth: FORECAST_PARAMETERS.growthMin, trend: 'FALLING', expectedCases: 0, probability: 0, importShare: 0 });
  });

  it('adds the background rate ε to a county with nothing announced: P = 1 − e^−ε', () => {
    const f = forecastCounty({ expectedInfectedArrivals: 0, recentCases: 0, previousCases: 0, recentSuspected: 0 }, { ...P, backgroundRate: 0.002 });
    expect(f.expectedLocalCases).toBe(0.002);
    expect(f.probability).toBeCloseTo(0.0019980013, 9); // ε − ε²/2 + ε³/6
    expect(f.importShare).toBe(0);
  });

  it('rejects inputs that are not counts', () => {
    expect(() => forecastCounty({ expectedInfectedArrivals: -1, recentCases: 0, previousCases: 0, recentSuspected: 0 }, P)).toThrow(/expectedInfectedArrivals/);
    expect(() => forecastCounty({ expectedInfectedArrivals: 0, recentCases: 1.5, previousCases: 0, recentSuspected: 0 }, P)).toThrow(/recentCases: expected a whole number/);
  });
});

describe('trendOf', () => {
  it.each([
    [0, 0, 'NONE'],
    [5, 2, 'RISING'],
    [2, 5, 'FALLING'],
    [12, 10, 'STABLE'], // +2 is noise
    [40, 36, 'STABLE'], // +4 but only 10 %
  ])('%i cases after %i is %s', (recent, previous, trend) => {
    expect(trendOf(recent, previous)).toBe(trend);
  });
});

describe('fitObservedExpected', () => {
  // x = ln(1 + inflow) = 1…5 and cases 0, 1, 3, 7, 15, so ln(1 + cases) = (x − 1)·ln 2 exactly.
  const line = [1, 2, 3, 4, 5].map((x, i) => ({ code: `c${x}`, inflow: Math.expm1(x), observed: 2 ** i - 1 }));

  it('recovers a = −ln 2 and b = ln 2 from points on the line, each as expected', () => {
    const { fit, byCode } = fitObservedExpected(line);
    expect(fit?.slope).toBeCloseTo(Math.LN2, 10);
    expect(fit?.intercept).toBeCloseTo(-Math.LN2, 10);
    expect(fit?.rSquared).toBeCloseTo(1, 10);
    expect(fit?.counties).toBe(5);
    expect(byCode.get('c4')?.expected).toBeCloseTo(7, 8);
    expect(byCode.get('c4')?.ratio).toBeCloseTo(1, 8);
    expect(byCode.get('c4')?.reading).toBe('AS_EXPECTED');
  });

  it('marks a county with far more cases than its inflow predicts as ABOVE', () => {
    const noisy = [...line.map((p, i) => ({ ...p, observed: p.observed + (i % 2) })), { code: 'x', inflow: Math.expm1(3), observed: 500 },
      ...line.map((p, i) => ({ ...p, code: `d${i}`, observed: p.observed + ((i + 1) % 2) }))];
    const { byCode } = fitObservedExpected(noisy);
    const x = byCode.get('x')!;
    expect(x.reading).toBe('ABOVE');
    expect(x.ratio).toBeGreaterThan(10);
    expect(x.ratio).toBeCloseTo((500 + 1) / (x.expected + 1), 8);
    expect([...byCode.values()].filter((i) => i.reading !== 'AS_EXPECTED')).toHaveLength(1);
  });

  it('leaves out counties without inflow and fits nothing from fewer than 5 points', () => {
    const { fit, byCode } = fitObservedExpected([...line.slice(0, 4), { code: 'none', inflow: 0, observed: 3 }]);
    expect(fit).toBeNull();
    expect(byCode.size).toBe(0);
  });
});

describe('national forecast', () => {
  // A (population 1,000) reports 10 cases on 11-20: prevalence 0.01 on 11-20…11-25. The mobility
  // statement would weight A's trips by it: 60 trips to B → 0.6, 20 trips to C → 0.2.
  const counties = [
    { code: '000001', population: 1000 },
    { code: '000002', population: 2000 },
    { code: '000003', population: 1000 },
  ];
  const counts: CountyDayCounts[] = [{ regionCode: '000001', date: '2026-11-20', newConfirmed: 10, newAsymptomatic: 0, newSuspected: 0 }];

  it('reads counts from 13 days before the window so the window’s first day has its full infectious period', () => {
    expect(nationalReadWindow(AS_OF, 7)).toEqual({ window: { start: '2026-11-19', end: AS_OF }, countsFrom: '2026-11-06', countsTo: AS_OF });
  });

  it('lists the origins with active cases on each day of the window, with their prevalence', () => {
    const active = activeOriginDays(counties, counts, AS_OF, 7);
    expect(active.map((a) => a.date)).toEqual(['2026-11-20', '2026-11-21', '2026-11-22', '2026-11-23', '2026-11-24', '2026-11-25']);
    expect(new Set(active.map((a) => `${a.originCode} ${a.prevalence}`))).toEqual(new Set(['000001 0.01']));
  });

  it('ranks every county with λ, sources, local trend and P', () => {
    const national = nationalForecast({
      asOf: AS_OF,
      days: 7,
      counties,
      counts,
      parameters: P,
      inflows: [
        { destCode: '000002', originCode: '000001', expectedInfectedArrivals: 0.6, trips: 60 },
        { destCode: '000003', originCode: '000001', expectedInfectedArrivals: 0.2, trips: 20 },
      ],
    });
    expect(national.counties.map((c) => [c.code, c.rank, c.level])).toEqual([
      ['000001', 1, 'HIGH'], // 10 recent cases, none before: g = 2, μ = 20
      ['000002', 2, 'MEDIUM'], // μ = 0.5 · 0.6 = 0.3, P = 1 − e^−0.3
      ['000003', 3, 'LOW'], // μ = 0.1
    ]);
    const [a, b, c] = national.counties;
    expect(a).toMatchObject({ recentCases: 10, previousCases: 0, confirmedLast14Days: 10, expectedLocalCases: 20, topSources: [] });
    expect(b.probability).toBeCloseTo(0.2591817793, 9);
    expect(b.importProbability).toBeCloseTo(1 - Math.exp(-0.6), 12);
    expect(b.topSources).toEqual([{ originCode: '000001', expectedInfectedArrivals: 0.6, contribution: 1, trips: 60 }]);
    expect(b.confirmedLast14Days).toBe(0);
    expect(c.probability).toBeCloseTo(0.0951625819, 9);
    expect(national.indexFit).toBeNull(); // two counties with inflow: too few for a line
  });
});

function premium(): number {
  // 1 − e^−0.11, written out: e^−0.11 = 0.895834135…
  return 1 - 0.8958341353;
}

describe('calibrateImportSeedRate (the self-calibrating ablation)', () => {
  it('recovers κ = 2 when 86.47 % (1 − e^−2) of counties with λ = 1 reported a case', () => {
    const samples = Array.from({ length: 10_000 }, (_, i) => ({ expectedInfectedArrivals: 1, localCases: 0, outcome: (i < 8647 ? 1 : 0) as 0 | 1 }));
    const { importSeedRate, informativeSamples, positives } = calibrateImportSeedRate(samples);
    expect(importSeedRate).toBeCloseTo(2, 2);
    expect([informativeSamples, positives]).toEqual([10_000, 8647]);
  });
  it('keeps the prior κ₀ when no sample had import pressure', () => {
    const { importSeedRate, informativeSamples } = calibrateImportSeedRate([{ expectedInfectedArrivals: 0, localCases: 1, outcome: 1 }]);
    expect(importSeedRate).toBeCloseTo(CALIBRATION_PARAMETERS.priorImportSeedRate, 3);
    expect(informativeSamples).toBe(0);
  });
});
