import type { Context } from '../src/context';
import type { Region } from '../datasources/region';
import type { FlowDirection } from '../datasources/mobility';
import { resolveAsOf, windowEnding } from '../src/args';
import { intArgument } from '../src/limits/arguments';

interface FlowArgs {
  days?: number | null;
  asOf?: string | null;
  first?: number | null;
}

/** A region's top flows in one direction; `origin`/`destination` resolve through the region loader. */
async function flows(r: Region, args: FlowArgs, { sources, services }: Context, direction: FlowDirection) {
  const field = direction === 'in' ? 'Region.inflows' : 'Region.outflows';
  const days = intArgument(field, 'days', args.days);
  const first = intArgument(field, 'first', args.first);
  const window = windowEnding(resolveAsOf(args.asOf), days);
  const counties = await services.risk.countiesOf(r);
  const totals = await sources.mobility.topFlows.get({ code: r.code, counties, ...window, direction, first });
  return totals.map((t) => ({
    originCode: direction === 'in' ? t.partnerCode : r.code,
    destinationCode: direction === 'in' ? r.code : t.partnerCode,
    trips: t.trips,
    ...window,
  }));
}

interface FlowResult {
  originCode: string;
  destinationCode: string;
}

export const mobilityResolvers = {
  Region: {
    inflows: (r: Region, args: FlowArgs, ctx: Context) => flows(r, args, ctx, 'in'),
    outflows: (r: Region, args: FlowArgs, ctx: Context) => flows(r, args, ctx, 'out'),
  },
  RegionFlow: {
    origin: (f: FlowResult, _: unknown, { sources }: Context) => sources.regions.byCode.get(f.originCode),
    destination: (f: FlowResult, _: unknown, { sources }: Context) => sources.regions.byCode.get(f.destinationCode),
  },
};
