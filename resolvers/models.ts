import type { Region } from '../datasources/region';
import type { ClusterRecord } from '../datasources/case';
import type { CaseRecordRow, ContactRow, PersonRecord } from '../datasources/person';
import type { StayRow } from '../datasources/mobility';
import type { AuditEntry } from '../datasources/audit';
import type { NationalForecastIndex, RegionImportRisk, RegionRisk } from '../services/risk';
import type { IngestJobView } from '../services/ingestion/jobs';
import type { RiskLevelChangeEvent } from '../src/db/riskChannel';
import type { Connection } from '../src/graphql/pagination';
import type { CountyForecast, CountyIndex, ForecastSource, IndexFit, NationalForecast } from '../src/risk';

/**
 * What the resolvers of each GraphQL object type receive as parent: the store row or service result
 * the type is resolved from, not the GraphQL shape (a row names its region by code; the field
 * `region` loads it). codegen.ts maps `X` to `XModel` for the types listed there, so that
 * resolvers/types.generated.ts types parents and the values returned for those types with these.
 * A type not listed is returned in its GraphQL shape (e.g. CaseSummary, Pass, the payloads).
 */

/** Every field of ApiInfo has its own resolver: its parent carries nothing. */
export type ApiInfoModel = Record<string, never>;

export type AuditEntryModel = AuditEntry;
export type AuditEntryConnectionModel = Connection<AuditEntry>;

export type RegionModel = Region;
export type RegionConnectionModel = Connection<Region>;

export type ClusterModel = ClusterRecord;
export type ClusterConnectionModel = Connection<ClusterRecord>;

export type PersonModel = PersonRecord;
export type StayModel = StayRow;
export type CaseRecordModel = CaseRecordRow;
export type CloseContactModel = ContactRow;

/** Travel between two county-level units over a window; `origin` and `destination` are loaded by code. */
export interface RegionFlowModel {
  originCode: string;
  destinationCode: string;
  trips: number;
  from: string;
  to: string;
}

export type RiskAssessmentModel = RegionRisk;
export type ImportRiskModel = RegionImportRisk;
/** An origin of an import-risk estimate or a forecast, with its trips; `region` is loaded by code. */
export type ImportRiskSourceModel = ForecastSource;

/** A county's forecast with the national run it belongs to (model, window, parameters, fit). */
export type ImportRiskForecastModel = CountyForecast & { national: NationalForecast };
/** The observed/expected line of a national run, with its model id. */
export type ObservedExpectedFitModel = IndexFit & { model: string };
/** A county's observed/expected index with the line it is measured against (`fit`). */
export type ObservedExpectedIndexModel = CountyIndex & { fit: ObservedExpectedFitModel };
export type RiskForecastConnectionModel = Connection<ImportRiskForecastModel> & { national: NationalForecastIndex };

export type RiskLevelChangeModel = RiskLevelChangeEvent;

export type IngestJobModel = IngestJobView;
export type IngestJobConnectionModel = Connection<IngestJobView>;
