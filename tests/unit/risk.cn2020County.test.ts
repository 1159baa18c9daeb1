import {
  CN_2020_COUNTY,
  CN_2020_WINDOW_DAYS,
  rateCountyCn2020,
  type CountyRiskInputs,
  type RiskLevel,
} from '../../src/risk/cn2020County';
import { RULESETS, rateCounty } from '../../src/risk/rulesets';
import { addDays } from '../../src/risk/dates';

const AS_OF = '2026-11-25';
/** The date `n` days before AS_OF. */
const ago = (n: number) => addDays(AS_OF, -n);

/** A county with new cases yesterday and no cluster ever; each case overrides what it is about. */
function county(overrides: Partial<CountyRiskInputs>): CountyRiskInputs {
  return {
    asOf: AS_OF,
    cumulativeConfirmed: 10,
    newConfirmedInWindow: 3,
    lastConfirmedOn: ago(1),
    clustersInWindow: 0,
    lastClusterOn: null,
    ...overrides,
  };
}

/** Inputs whose last new case was `n` days before AS_OF: inside the window only if n ≤ 13. */
function lastCase(n: number, cumulativeConfirmed: number): Partial<CountyRiskInputs> {
  return { cumulativeConfirmed, lastConfirmedOn: ago(n), newConfirmedInWindow: n <= 13 ? 1 : 0 };
}

/** Inputs whose last cluster was `n` days before AS_OF: inside the window only if n ≤ 13. */
function lastCluster(n: number): Partial<CountyRiskInputs> {
  return { lastClusterOn: ago(n), clustersInWindow: n <= 13 ? 1 : 0 };
}

describe('CN_2020_COUNTY: the window', () => {
  it('is the 14 calendar days ending on asOf inclusive', () => {
    const verdict = rateCountyCn2020(county({}));
    expect(CN_2020_WINDOW_DAYS).toBe(14);
    expect(verdict.windowStart).toBe('2026-11-12');
    expect(verdict.windowEnd).toBe(AS_OF);
  });
});

describe('CN_2020_COUNTY: levels from the rule text', () => {
  const cases: Array<[string, Partial<CountyRiskInputs>, RiskLevel]> = [
    // LOW: 无确诊病例
    ['no confirmed case ever', { cumulativeConfirmed: 0, newConfirmedInWindow: 0, lastConfirmedOn: null }, 'LOW'],
    ['no confirmed case ever, but an asymptomatic cluster today', { cumulativeConfirmed: 0, newConfirmedInWindow: 0, lastConfirmedOn: null, ...lastCluster(0) }, 'LOW'],
    // LOW / MEDIUM: 连续14天无新增确诊病例, at the window edge
    ['last new case today, cumulative 10', lastCase(0, 10), 'MEDIUM'],
    ['last new case 13 days before asOf (inside)', lastCase(13, 10), 'MEDIUM'],
    ['last new case 14 days before asOf (outside)', lastCase(14, 10), 'LOW'],
    ['last new case 15 days before asOf', lastCase(15, 10), 'LOW'],
    // MEDIUM: 累计确诊病例不超过50例
    ['cumulative exactly 50 with a cluster in window', { ...lastCase(1, 50), ...lastCluster(1) }, 'MEDIUM'],
    ['cumulative 1', lastCase(0, 1), 'MEDIUM'],
    // HIGH: 累计确诊病例超过50例，14天内有聚集性疫情发生
    ['cumulative 51 with a cluster in window', { ...lastCase(1, 51), ...lastCluster(1) }, 'HIGH'],
    ['cumulative 51 with a cluster today', { ...lastCase(0, 51), ...lastCluster(0) }, 'HIGH'],
    ['cumulative 51, cluster 13 days before asOf (inside)', { ...lastCase(1, 51), ...lastCluster(13) }, 'HIGH'],
    ['cumulative 51, cluster 14 days before asOf (outside)', { ...lastCase(1, 51), ...lastCluster(14) }, 'MEDIUM'],
    ['cumulative 51, cluster 15 days before asOf', { ...lastCase(1, 51), ...lastCluster(15) }, 'MEDIUM'],
    // MEDIUM: 累计确诊病例超过50例，14天内未发生聚集性疫情
    ['cumulative 500 and never a cluster', lastCase(1, 500), 'MEDIUM'],
    // LOW wins over old cases and clusters
    ['cumulative 500 with only old cases and an old cluster', { ...lastCase(30, 500), ...lastCluster(20) }, 'LOW'],
    ['cumulative 51, last case 14 days ago, cluster 13 days ago', { ...lastCase(14, 51), ...lastCluster(13) }, 'LOW'],
  ];

  it.each(cases)('%s → %s', (_name, overrides, level) => {
    expect(rateCountyCn2020(county(overrides)).level).toBe(level);
  });
});

describe('CN_2020_COUNTY: the verdict', () => {
  it('carries its ruleset, asOf and a copy of the deciding inputs', () => {
    const inputs = county({});
    const verdict = rateCountyCn2020(inputs);
    expect(verdict).toMatchObject({ ruleset: CN_2020_COUNTY, asOf: AS_OF, inputs });
    expect(verdict.inputs).not.toBe(inputs);
  });

  it('explains HIGH with the totals, the window and the last dates', () => {
    const verdict = rateCountyCn2020(county({ cumulativeConfirmed: 52, lastConfirmedOn: '2026-11-24', clustersInWindow: 1, lastClusterOn: '2026-11-20' }));
    expect(verdict.reasons).toEqual([
      '3 new confirmed cases within the 14 days 2026-11-12 to 2026-11-25 (last on 2026-11-24)',
      '52 confirmed cases in total (more than 50) and 1 cluster detected within the 14 days ending 2026-11-25 (last on 2026-11-20)',
    ]);
  });

  it('explains MEDIUM under 50 with the total', () => {
    const verdict = rateCountyCn2020(county({ cumulativeConfirmed: 1, newConfirmedInWindow: 1, lastConfirmedOn: AS_OF }));
    expect(verdict.reasons).toEqual([
      '1 new confirmed case within the 14 days 2026-11-12 to 2026-11-25 (last on 2026-11-25)',
      '1 confirmed case in total (50 or fewer)',
    ]);
  });

  it('explains MEDIUM over 50 by the missing cluster, naming the last one', () => {
    const verdict = rateCountyCn2020(county({ ...lastCase(2, 51), ...lastCluster(14) }));
    expect(verdict.reasons[1]).toBe(
      '51 confirmed cases in total (more than 50) but no cluster detected within the 14 days ending 2026-11-25 (last on 2026-11-11)',
    );
  });

  it('explains LOW after old cases by the days since the last one', () => {
    const verdict = rateCountyCn2020(county({ ...lastCase(14, 60), ...lastCluster(3) }));
    expect(verdict.reasons).toEqual([
      'No new confirmed case within the 14 days 2026-11-12 to 2026-11-25 (last on 2026-11-11, 14 days before 2026-11-25); 60 confirmed cases in total',
      '1 cluster detected within the same 14 days (last on 2026-11-22) does not raise the level without a new confirmed case',
    ]);
  });

  it('explains LOW without any case', () => {
    const verdict = rateCountyCn2020(county({ cumulativeConfirmed: 0, newConfirmedInWindow: 0, lastConfirmedOn: null }));
    expect(verdict.reasons).toEqual(['No confirmed case reported up to and including 2026-11-25']);
  });
});

describe('CN_2020_COUNTY: invalid inputs are programming errors', () => {
  const cases: Array<[string, Partial<CountyRiskInputs>, RegExp]> = [
    ['a malformed asOf', { asOf: '2026-11-5' }, /inputs\.asOf: expected a 'YYYY-MM-DD' calendar date, got "2026-11-5"/],
    ['an impossible asOf', { asOf: '2026-02-30' }, /inputs\.asOf: expected .*got "2026-02-30"/],
    ['a negative cumulative', { cumulativeConfirmed: -1 }, /inputs\.cumulativeConfirmed: expected a whole number ≥ 0, got -1/],
    ['a fractional count', { newConfirmedInWindow: 1.5 }, /inputs\.newConfirmedInWindow: expected a whole number ≥ 0, got 1\.5/],
    ['NaN clusters', { clustersInWindow: NaN }, /inputs\.clustersInWindow: .*got NaN/],
    ['lastConfirmedOn after asOf', { lastConfirmedOn: '2026-11-26' }, /inputs\.lastConfirmedOn: expected a date on or before asOf 2026-11-25, or null, got "2026-11-26"/],
    ['lastClusterOn after asOf', { lastClusterOn: '2026-12-01', clustersInWindow: 1 }, /inputs\.lastClusterOn: expected a date on or before asOf/],
    ['a malformed lastClusterOn', { lastClusterOn: '20261120', clustersInWindow: 1 }, /inputs\.lastClusterOn: expected a 'YYYY-MM-DD'/],
    ['more new cases in the window than ever', { cumulativeConfirmed: 2, newConfirmedInWindow: 3 }, /newConfirmedInWindow: expected at most cumulativeConfirmed \(2\), got 3/],
    ['cases without a last date', { lastConfirmedOn: null }, /lastConfirmedOn: expected a date, as cumulativeConfirmed > 0, got null/],
    ['a last date without cases', { cumulativeConfirmed: 0, newConfirmedInWindow: 0, lastConfirmedOn: ago(20) }, /lastConfirmedOn: expected null, as cumulativeConfirmed is 0/],
    ['new cases in the window but the last one before it', { lastConfirmedOn: ago(14) }, /lastConfirmedOn: expected a date within 2026-11-12\.\.2026-11-25, as newConfirmedInWindow is 3, got "2026-11-11"/],
    ['no new cases in the window but the last one inside it', { newConfirmedInWindow: 0, lastConfirmedOn: ago(13) }, /lastConfirmedOn: expected null or a date before 2026-11-12, as newConfirmedInWindow is 0/],
    ['clusters in the window but none dated', { clustersInWindow: 1 }, /lastClusterOn: expected a date within .* as clustersInWindow is 1, got null/],
    ['no cluster in the window but one dated inside it', { lastClusterOn: ago(0) }, /lastClusterOn: expected null or a date before 2026-11-12/],
  ];

  it.each(cases)('%s', (_name, overrides, message) => {
    expect(() => rateCountyCn2020(county(overrides))).toThrow(message);
  });
});

describe('RULESETS', () => {
  it('lists CN_2020_COUNTY with its source and a 14-day window', () => {
    expect(RULESETS[CN_2020_COUNTY]).toMatchObject({ id: CN_2020_COUNTY, windowDays: 14, rate: rateCountyCn2020 });
    expect(RULESETS[CN_2020_COUNTY].source).toMatch(/17 Feb 2020/);
  });

  it('rates through rateCounty by id', () => {
    expect(rateCounty(CN_2020_COUNTY, county({}))).toEqual(rateCountyCn2020(county({})));
  });

  it.each(['CN_2022_COUNTY', 'toString', ''])('throws on the unknown id %p, listing the known ones', (id) => {
    expect(() => rateCounty(id, county({}))).toThrow(`rateCounty: expected a ruleset id (CN_2020_COUNTY), got ${JSON.stringify(id)}`);
  });
});
