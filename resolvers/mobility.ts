import type { Context } from '../src/context';
import type { RegionInflowsArgs, RegionOutflowsArgs, Resolvers } from './types.generated';
import type { RegionFlowModel, RegionModel } from './models';
import type { FlowDirection } from '../datasources/mobility';
import { resolveAsOf, windowEnding } from '../src/args';
import { intArgument } from '../src/limits/arguments';

/** A region's top flows in one direction; `origin`/`destination` resolve through the region loader. */
async function flows(r: RegionModel, args: RegionInflowsArgs | RegionOutflowsArgs, { sources, services }: Context, direction: FlowDirection): Promise<RegionFlowModel[]> {
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

export const mobilityResolvers: Resolvers = {
  Region: {
    inflows: (r, args, ctx) => flows(r, args, ctx, 'in'),
    outflows: (r, args, ctx) => flows(r, args, ctx, 'out'),
  },
  RegionFlow: {
    origin: (f, _, { sources }) => sources.regions.referenced(f.originCode),
    destination: (f, _, { sources }) => sources.regions.referenced(f.destinationCode),
  },
};
