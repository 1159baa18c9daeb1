import type { Resolvers } from './types.generated';
import type { RiskLevelChangeModel } from './models';
import { liveContext } from '../src/subscriptions/context';
import { riskLevelChanges } from '../src/subscriptions/riskLevelChanged';

export const subscriptionResolvers: Resolvers = {
  Subscription: {
    riskLevelChanged: {
      subscribe: (_, { regionCodes }, context) => riskLevelChanges(liveContext(context), regionCodes),
      // the iterator's events are the field's value; the generated type leaves its parent open (any)
      resolve: (event: RiskLevelChangeModel) => event,
    },
  },
  RiskLevelChange: {
    region: (event, _, { sources }) => sources.regions.referenced(event.regionCode),
  },
};
