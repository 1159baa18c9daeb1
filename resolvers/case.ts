import type { Resolvers } from './types.generated';
import type { ClusterRecord } from '../datasources/case';
import { connection, decodeCursor, pageOf } from '../src/graphql/pagination';
import { checkDate, checkRange, EARLIEST_DATE, resolveAsOf, windowEnding } from '../src/args';
import { intArgument, pageArgument } from '../src/limits/arguments';
import { todayCst } from '../src/clock';
import { then } from '../src/maybe';
import { maxItems } from '../src/limits/listSize';
import { caseSummaryOf, per100k } from './caseSummary';
import { lookedAhead } from './lookahead';

export const caseResolvers: Resolvers = {
  Region: {
    caseSummary: (r, args, ctx, info) => {
      // A list's look-ahead computed it with every other node's (resolvers/lookahead.ts).
      const ahead = lookedAhead<ReturnType<typeof caseSummaryOf>>(ctx, info, r);
      if (ahead !== undefined) return ahead;
      const { sources, services } = ctx;
      const days = intArgument('Region.caseSummary', 'days', args.days);
      const window = windowEnding(resolveAsOf(args.asOf), days);
      return then(services.risk.countiesOf(r), (counties) => then(sources.cases.summary.get({ code: r.code, counties, ...window }), (s) => caseSummaryOf(r, days, s)));
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
