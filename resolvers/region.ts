import type { GraphQLResolveInfo } from 'graphql';
import type { Context } from '../src/context';
import { prefetchRegionFields } from './lookahead';
import type { Region, RegionFilter } from '../datasources/region';
import { connection, decodeCursor, pageOf } from '../src/graphql/pagination';
import { parseRegionCode } from '../src/regionCode';
import { pageArgument } from '../src/limits/arguments';
import { inForce } from '../src/reporting/regionValidity';
import { LIST_START } from '../src/reporting/regionChanges';
import { todayCst } from '../src/clock';
import { addDays } from '../src/risk/dates';
import { badInput } from '../src/errors';

export const regionResolvers = {
  Query: {
    regions: async (
      _: unknown,
      args: Omit<RegionFilter, 'asOf'> & { asOf?: string | null; first?: number | null; after?: string | null },
      ctx: Context,
      info: GraphQLResolveInfo,
    ) => {
      const { sources } = ctx;
      const filter = { ...args, asOf: validityDay(args.asOf), parentCode: args.parentCode == null ? null : parseRegionCode(args.parentCode, 'parentCode') };
      const first = pageArgument('Query.regions', args.first);
      const page = await sources.regions.list(filter, first, decodeCursor('region', args.after));
      await prefetchRegionFields(page.nodes, info, ctx);
      return connection(page);
    },
    region: async (_: unknown, { code, asOf }: { code: string; asOf?: string | null }, { sources }: Context) => {
      const region = await sources.regions.byCode.get(parseRegionCode(code));
      return region && (asOf == null || inForce(region, validityDay(asOf))) ? region : null;
    },
  },
  Region: {
    parent: (r: Region, _: unknown, { sources }: Context) =>
      r.parentCode == null ? null : sources.regions.byCode.get(r.parentCode),
    province: (r: Region, _: unknown, { sources }: Context) =>
      r.level === 'PROVINCE' ? r : sources.regions.byCode.get(r.provinceCode),
    ancestors: async (r: Region, _: unknown, { sources }: Context) => {
      // At most two levels above a county: its province and its city (the parent).
      const codes = [...new Set([r.provinceCode, r.parentCode])].filter((c): c is string => c != null && c !== r.code);
      const found = await sources.regions.byCode.loadAll(codes);
      return found.filter((x): x is Region => x != null);
    },
    children: async (r: Region, args: { asOf?: string | null; first?: number | null; after?: string | null }, ctx: Context, info: GraphQLResolveInfo) => {
      const first = pageArgument('Region.children', args.first);
      const day = validityDay(args.asOf);
      const all = (await ctx.sources.regions.childrenByParent.get(r.code)).filter((c) => inForce(c, day));
      const page = pageOf(all, (c) => c.code, 'region', first, decodeCursor('region', args.after));
      await prefetchRegionFields(page.nodes, info, ctx);
      return connection(page);
    },
    successors: (r: Region, _: unknown, { sources }: Context) => sources.regions.successorsOf.get(r.code),
    predecessors: (r: Region, _: unknown, { sources }: Context) => sources.regions.predecessorsOf.get(r.code),
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
