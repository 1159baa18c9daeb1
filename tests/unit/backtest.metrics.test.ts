import { brierScore, calibrationBins, calibrationByBands, precisionAtK, rocAuc } from '../../src/backtest/metrics';
import { LocalBaseline, baselineBucket, replay, type EpidemicSeries } from '../../src/backtest/replay';

describe('rocAuc', () => {
  it('is 0.75 on the textbook example (3 of the 4 positive–negative pairs ordered right)', () => {
    expect(rocAuc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1])).toBe(0.75);
  });
  it('counts a tie as one half', () => {
    expect(rocAuc([0.5, 0.5, 0.9], [0, 1, 1])).toBe(0.75);
  });
  it('is NaN without positives or without negatives', () => {
    expect(rocAuc([0.2, 0.3], [0, 0])).toBeNaN();
    expect(rocAuc([0.2, 0.3], [1, 1])).toBeNaN();
  });
});

describe('precisionAtK, brierScore, calibrationBins', () => {
  it('takes the k highest scores, ties broken by position', () => {
    expect(precisionAtK([0.9, 0.8, 0.7, 0.1], [1, 0, 1, 1], 2)).toBe(0.5);
    expect(precisionAtK([0.5, 0.5, 0.5], [0, 1, 1], 1)).toBe(0);
    expect(precisionAtK([0.5, 0.2], [1, 0], 50)).toBe(0.5);
  });
  it('Brier: (0 + 0 + 0.25) / 3', () => {
    expect(brierScore([1, 0, 0.5], [1, 0, 1])).toBeCloseTo(0.25 / 3, 12);
  });
  it('cuts sorted predictions into equal bins', () => {
    expect(calibrationBins([0.9, 0.1, 0.2, 0.8], [1, 0, 1, 1], 2)).toEqual([
      { n: 2, minPredicted: 0.1, maxPredicted: 0.2, meanPredicted: 0.15000000000000002, observedRate: 0.5 },
      { n: 2, minPredicted: 0.8, maxPredicted: 0.9, meanPredicted: 0.8500000000000001, observedRate: 1 },
    ]);
  });
});

describe('the local-counts baseline', () => {
  it('groups by cumulative cases and recent local signals', () => {
    expect(baselineBucket(0, 0)).toBe(0);
    expect(baselineBucket(5, 1)).toBe(4);
    expect(baselineBucket(150, 7)).toBe(11);
  });
  it('learns only outcomes already known, starting from 1 %', () => {
    const b = new LocalBaseline();
    expect(b.rate(0)).toBeCloseTo(0.01, 12);
    b.record(3, 0, 1);
    b.learnUntil(2);
    expect(b.rate(0)).toBeCloseTo(0.01, 12); // day 3's outcome is not known yet
    b.learnUntil(3);
    // overall (1 + 1) / (1 + 100); group (1 + 10 · overall) / (1 + 10)
    expect(b.rate(0)).toBeCloseTo((1 + 10 * (2 / 101)) / 11, 12);
  });
});

describe('replay', () => {
  // Three counties over 30 days. Only county 1 ever reports a case (day 23); it received import
  // pressure 1 per day on days 15–20. Predictions run for days 13…22 (14 behind, 7 ahead).
  const D = 30;
  const series: EpidemicSeries = {
    dates: Array.from({ length: D }, (_, t) => `2026-10-${String(t + 1).padStart(2, '0')}`),
    codes: ['a', 'b', 'c'],
    population: Float64Array.from([1000, 1000, 1000]),
    confirmed: new Int32Array(3 * D),
    asymptomatic: new Int32Array(3 * D),
    suspected: new Int32Array(3 * D),
  };
  series.confirmed[1 * D + 23] = 1;
  const pressure = new Float64Array(3 * D);
  for (let t = 15; t <= 20; t++) pressure[1 * D + t] = 1;

  it('predicts for every case-free county and day, with outcomes from the following 7 days only', () => {
    const result = replay(series, pressure);
    expect(result).toMatchObject({ days: 10, firstDay: '2026-10-14', lastDay: '2026-10-23', counties: 3, predictions: 30 });
    // county b is positive on days 16…22, whose next 7 days include day 23
    expect(result.positives).toBe(7);
    // every positive had λ ≥ 2, every negative λ ≤ 1
    expect(result.model.auc).toBe(1);
    expect(result.model.auc).toBeGreaterThan(result.baseline.auc);
  });
});

describe('calibrationByBands', () => {
  it('puts each prediction in its fixed band, the top band closed', () => {
    expect(calibrationByBands([0, 0.05, 0.5, 1], [0, 0, 1, 1], [0, 0.1, 1]).map((b) => [b.n, b.observedRate])).toEqual([
      [2, 0],
      [2, 1],
    ]);
  });
});
