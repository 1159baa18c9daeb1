import type { Resolvers } from './types.generated';

export const ingestResolvers: Resolvers = {
  Mutation: {
    reportDailyCases: (_, { input }, { services }) => services.ingest.reportDailyCases(input),
    reportCluster: (_, { input }, { services }) => services.ingest.reportCluster(input),
    reportCaseRecords: (_, { input, idempotencyKey }, { services }) => services.reporting.reportCaseRecords(input, idempotencyKey),
    reportContacts: (_, { input, idempotencyKey }, { services }) => services.reporting.reportContacts(input, idempotencyKey),
    applyRegionChanges: (_, { input }, { services }) => services.regionChanges.apply(input),
  },
};
