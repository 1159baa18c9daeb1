import type { Context } from '../src/context';
import type { RiskLevelChangeEvent } from '../src/db/riskChannel';
import { liveContext } from '../src/subscriptions/context';
import { riskLevelChanges } from '../src/subscriptions/riskLevelChanged';

export const subscriptionResolvers = {
  Subscription: {
    riskLevelChanged: {
      subscribe: (_: unknown, { regionCodes }: { regionCodes: string[] }, context: Context) => riskLevelChanges(liveContext(context), regionCodes),
      resolve: (event: RiskLevelChangeEvent) => event,
    },
  },
  RiskLevelChange: {
    region: (event: RiskLevelChangeEvent, _: unknown, { sources }: Context) => sources.regions.byCode.load(event.regionCode),
  },
};
