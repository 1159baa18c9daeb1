import type { Context } from '../src/context';
import type { DailyReportInput } from '../datasources/case';

export const ingestResolvers = {
  Mutation: {
    reportDailyCases: (_: unknown, { input }: { input: Partial<DailyReportInput>[] }, { sources }: Context) =>
      sources.ingest.reportDailyCases(input),
    reportCluster: (
      _: unknown,
      { input }: { input: { regionCode: string; detectedOn: string; size: number; description?: string | null } },
      { sources }: Context,
    ) => sources.ingest.reportCluster(input),
  },
};
