import type { Context } from '../src/context';

/** A carrier's uploads (schema/upload.graphql); the uploads themselves are POST /ingest/* (src/http/ingest.ts). */
export const uploadResolvers = {
  Query: {
    ingestJob: (_: unknown, { id }: { id: string }, { services }: Context) => services.ingestJobs.byId(id),
    ingestJobs: (_: unknown, { first, after }: { first?: number | null; after?: string | null }, { services }: Context) => services.ingestJobs.page(first, after),
  },
};
