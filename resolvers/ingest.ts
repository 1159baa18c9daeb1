import type { Context } from '../src/context';
import type { DailyReportInput } from '../datasources/case';

export const ingestResolvers = {
  Mutation: {
    reportDailyCases: (_: unknown, { input }: { input: Partial<DailyReportInput>[] }, { services }: Context) =>
      services.ingest.reportDailyCases(input),
    reportCluster: (
      _: unknown,
      { input }: { input: { regionCode: string; detectedOn: string; size: number; description?: string | null } },
      { services }: Context,
    ) => services.ingest.reportCluster(input),
  },
};
