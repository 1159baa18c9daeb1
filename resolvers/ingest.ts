import type { Context } from '../src/context';
import type { DailyReportInput } from '../datasources/case';
import type { CaseRecordInput, ContactInput } from '../services/reporting';
import type { RegionChangeFields } from '../src/reporting/regionChanges';

export const ingestResolvers = {
  Mutation: {
    reportDailyCases: (_: unknown, { input }: { input: Partial<DailyReportInput>[] }, { sources }: Context) =>
      sources.ingest.reportDailyCases(input),
    reportCluster: (
      _: unknown,
      { input }: { input: { regionCode: string; detectedOn: string; size: number; description?: string | null } },
      { sources }: Context,
    ) => sources.ingest.reportCluster(input),
    reportCaseRecords: (_: unknown, { input, idempotencyKey }: { input: CaseRecordInput[]; idempotencyKey?: string | null }, { sources }: Context) =>
      sources.reporting.reportCaseRecords(input, idempotencyKey),
    reportContacts: (_: unknown, { input, idempotencyKey }: { input: ContactInput[]; idempotencyKey?: string | null }, { sources }: Context) =>
      sources.reporting.reportContacts(input, idempotencyKey),
    applyRegionChanges: (_: unknown, { input }: { input: RegionChangeFields[] }, { sources }: Context) => sources.regionChanges.apply(input),
  },
};
