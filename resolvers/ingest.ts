import type { Context } from '../src/context';
import type { DailyReportInput } from '../datasources/case';
import type { CaseRecordInput, ContactInput } from '../services/reporting';
import type { RegionChangeFields } from '../src/reporting/regionChanges';

export const ingestResolvers = {
  Mutation: {
    reportDailyCases: (_: unknown, { input }: { input: Partial<DailyReportInput>[] }, { services }: Context) =>
      services.ingest.reportDailyCases(input),
    reportCluster: (
      _: unknown,
      { input }: { input: { regionCode: string; detectedOn: string; size: number; description?: string | null } },
      { services }: Context,
    ) => services.ingest.reportCluster(input),
    reportCaseRecords: (_: unknown, { input, idempotencyKey }: { input: CaseRecordInput[]; idempotencyKey?: string | null }, { services }: Context) =>
      services.reporting.reportCaseRecords(input, idempotencyKey),
    reportContacts: (_: unknown, { input, idempotencyKey }: { input: ContactInput[]; idempotencyKey?: string | null }, { services }: Context) =>
      services.reporting.reportContacts(input, idempotencyKey),
    applyRegionChanges: (_: unknown, { input }: { input: RegionChangeFields[] }, { services }: Context) => services.regionChanges.apply(input),
  },
};
