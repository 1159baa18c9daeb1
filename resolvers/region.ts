import type { GraphQLResolveInfo } from 'graphql';
import type { Context } from '../src/context';
import { prefetchRegionFields } from './lookahead';
import type { Region, RegionFilter } from '../datasources/region';
import { connection, decodeCursor, pageOf } from '../src/graphql/pagination';
import { parseRegionCode } from '../src/regionCode';
import { pageArgument } from '../src/limits/arguments';

export const regionResolvers = {
  Query: {
    regions: async (
      _: unknown,
      args: RegionFilter & { first?: number | null; after?: string | null },
      ctx: Context,
      info: GraphQLResolveInfo,
    ) => {
      const { sources } = ctx;
      const filter = { ...args, parentCode: args.parentCode == null ? null : parseRegionCode(args.parentCode, 'parentCode') };
      const first = pageArgument('Query.regions', args.first);
      const page = await sources.regions.list(filter, first, decodeCursor('region', args.after));
      await prefetchRegionFields(page.nodes, info, ctx);
      return connection(page);
    },
    region: (_: unknown, { code }: { code: string }, { sources }: Context) =>
      sources.regions.byCode.get(parseRegionCode(code)),
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
    children: async (r: Region, args: { first?: number | null; after?: string | null }, ctx: Context, info: GraphQLResolveInfo) => {
      const first = pageArgument('Region.children', args.first);
      const all = await ctx.sources.regions.childrenByParent.get(r.code);
      const page = pageOf(all, (c) => c.code, 'region', first, decodeCursor('region', args.after));
      await prefetchRegionFields(page.nodes, info, ctx);
      return connection(page);
    },
  },
};
