import type { Resolvers } from './types.generated';

/** A carrier's uploads (schema/upload.graphql); the uploads themselves are POST /ingest/* (src/http/ingest.ts). */
export const uploadResolvers: Resolvers = {
  Query: {
    ingestJob: (_, { id }, { services }) => services.ingestJobs.byId(id),
    ingestJobs: (_, { first, after }, { services }) => services.ingestJobs.page(first, after),
  },
};
