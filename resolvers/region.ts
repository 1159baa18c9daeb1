import type { Resolvers } from './types.generated';
import { anticipateRegionFields, prefetchRegionFields } from './lookahead';
import { connection, decodeCursor, pageOf } from '../src/graphql/pagination';
import { parseRegionCode } from '../src/regionCode';
import { pageArgument } from '../src/limits/arguments';
import { inForce } from '../src/reporting/regionValidity';
import { LIST_START } from '../src/reporting/regionChanges';
import { todayCst } from '../src/clock';
import { addDays } from '../src/risk/dates';
import { badInput } from '../src/errors';

export const regionResolvers: Resolvers = {
  Query: {
    regions: async (_, args, ctx, info) => {
      const { sources } = ctx;
      const filter = { ...args, asOf: validityDay(args.asOf), parentCode: args.parentCode == null ? null : parseRegionCode(args.parentCode, 'parentCode') };
      const first = pageArgument('Query.regions', args.first);
      const after = decodeCursor('region', args.after);
      // the national map's figures load while its list is read, for the counties it held last time
      const shape = JSON.stringify([filter.level, filter.kind, filter.parentCode, filter.asOf, first, after]);
      anticipateRegionFields(shape, info, ctx);
      const page = await sources.regions.list(filter, first, after);
      await prefetchRegionFields(page.nodes, info, ctx, shape);
      return connection(page);
    },
    region: async (_, { code, asOf }, { sources }) => {
      const region = await sources.regions.byCode.get(parseRegionCode(code));
      return region && (asOf == null || inForce(region, validityDay(asOf))) ? region : null;
    },
  },
  Region: {
    parent: (r, _, { sources }) => (r.parentCode == null ? null : sources.regions.byCode.get(r.parentCode)),
    province: (r, _, { sources }) => (r.level === 'PROVINCE' ? r : sources.regions.referenced(r.provinceCode)),
    ancestors: async (r, _, { sources }) => {
      // At most two levels above a county: its province and its city (the parent).
      const codes = [...new Set([r.provinceCode, r.parentCode])].filter((c): c is string => c != null && c !== r.code);
      const found = await sources.regions.byCode.loadAll(codes);
      return found.filter((x) => x != null);
    },
    children: async (r, args, ctx, info) => {
      const first = pageArgument('Region.children', args.first);
      const day = validityDay(args.asOf);
      const all = (await ctx.sources.regions.childrenByParent.get(r.code)).filter((c) => inForce(c, day));
      const page = pageOf(all, (c) => c.code, 'region', first, decodeCursor('region', args.after));
      await prefetchRegionFields(page.nodes, info, ctx);
      return connection(page);
    },
    successors: (r, _, { sources }) => sources.regions.successorsOf.get(r.code),
    predecessors: (r, _, { sources }) => sources.regions.predecessorsOf.get(r.code),
  },
};

/**
 * The day whose units a region list answers with: a real date (the list's history starts in
 * 1980, and a change may be announced up to a year ahead), today by default.
 */
function validityDay(asOf: string | null | undefined): string {
  if (asOf == null) return todayCst();
  if (asOf < LIST_START || asOf > addDays(todayCst(), 366)) throw badInput(`"asOf" ${asOf} is outside ${LIST_START} to a year from today`, 'asOf');
  return asOf;
}
