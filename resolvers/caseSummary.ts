import type { Region } from '../datasources/region';
import type { CaseSummaryFigures } from '../datasources/caseReads';

/** Per 100,000 residents; a region without population has no meaningful rate, reported as 0. */
export const per100k = (count: number, population: number) => (population > 0 ? (count * 100_000) / population : 0);

/**
 * A region's `CaseSummary` over `days` days from its figures: what `Region.caseSummary` answers,
 * whether its resolver computes it or a list's look-ahead does for every node (resolvers/lookahead.ts).
 */
export function caseSummaryOf(region: Region, days: number, s: CaseSummaryFigures) {
  return {
    ...s,
    days,
    activeConfirmed: Math.max(0, s.cumulativeConfirmed - s.cumulativeRecovered - s.cumulativeDeaths),
    newConfirmedPer100k: per100k(s.newConfirmed, region.population),
    cumulativeConfirmedPer100k: per100k(s.cumulativeConfirmed, region.population),
    hasCluster: s.clusterCount > 0,
  };
}
