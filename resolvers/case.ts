import type { Resolvers } from './types.generated';
import type { ClusterRecord } from '../datasources/case';
import { connection, decodeCursor, pageOf } from '../src/graphql/pagination';
import { checkDate, checkRange, EARLIEST_DATE, resolveAsOf, windowEnding } from '../src/args';
import { intArgument, pageArgument } from '../src/limits/arguments';
import { todayCst } from '../src/clock';
import { then } from '../src/maybe';
import { maxItems } from '../src/limits/listSize';

/** Per 100,000 residents; a region without population has no meaningful rate, reported as 0. */
const per100k = (count: number, population: number) => (population > 0 ? (count * 100_000) / population : 0);

export const caseResolvers: Resolvers = {
  Region: {
    caseSummary: (r, args, { sources, services }) => {
      const days = intArgument('Region.caseSummary', 'days', args.days);
      const window = windowEnding(resolveAsOf(args.asOf), days);
      // Synchronous when a list resolver has already loaded the summaries (resolvers/lookahead.ts).
      return then(services.risk.countiesOf(r), (counties) =>
        then(sources.cases.summary.get({ code: r.code, counties, ...window }), (s) => ({
          ...s,
          days,
          activeConfirmed: Math.max(0, s.cumulativeConfirmed - s.cumulativeRecovered - s.cumulativeDeaths),
          newConfirmedPer100k: per100k(s.newConfirmed, r.population),
          cumulativeConfirmedPer100k: per100k(s.cumulativeConfirmed, r.population),
          hasCluster: s.clusterCount > 0,
        })),
      );
    },
    daily: async (r, args, { sources, services }) => {
      const range = checkRange(args.from, args.to, maxItems('Region.daily'));
      const counties = await services.risk.countiesOf(r);
      const series = await sources.cases.daily.get({ code: r.code, counties, ...range });
      return series.map((d) => ({ ...d, newConfirmedPer100k: per100k(d.newConfirmed, r.population) }));
    },
    clusters: async (r, args, { sources, services }) => {
      const first = pageArgument('Region.clusters', args.first);
      const from = args.from == null ? EARLIEST_DATE : checkDate(args.from, 'from');
      const to = args.to == null ? todayCst() : checkDate(args.to, 'to');
      const counties = await services.risk.countiesOf(r);
      const all = from > to ? [] : await sources.cases.clusters.get({ code: r.code, counties, from, to });
      // Most recent first; the key sorts the same way so that `after` survives deletions.
      const keyOf = (c: ClusterRecord) => `${c.detectedOn}|${c.id.padStart(19, '0')}`;
      return connection(pageOf(all, keyOf, 'cluster', first, decodeCursor('cluster', args.after), true));
    },
  },
  Cluster: {
    region: (c, _, { sources }) => sources.regions.referenced(c.regionCode),
  },
};
