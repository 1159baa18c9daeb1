import type { Sources, SourceOptions } from '../datasources';
import type { StatementRecorder } from '../src/db/sql';
import type { Viewer } from '../src/auth/viewer';
import type { SelfServiceLimiter } from '../src/auth/rateLimit';
import type { PassSigner } from '../src/pass/token';
import type { CountyLevelCache } from '../src/cache/countyLevels';
import { AuditLog } from './audit';
import { RiskService } from './risk';
import { PassService } from './pass';
import { IngestService } from './ingest';
import { SelfService } from './self';
import { PeopleService } from './people';
import { IngestJobs } from './ingestion/jobs';
import type { PassCheckBatches } from './passChecks';
import { ReportingService } from './reporting';
import { RegionChangeService } from './regionChanges';

/** The use-cases of one request, over its stores: what resolvers call when a field is more than a read. */
export interface Services {
  /** The only writer of audit rows. */
  audit: AuditLog;
  risk: RiskService;
  passes: PassService;
  ingest: IngestService;
  /** PUBLIC self-service by name + ID number. */
  self: SelfService;
  /** Person-level reads (HEALTH), audited. */
  people: PeopleService;
  /** A carrier's uploads, scoped to the caller's operator (Query.ingestJob, ingestJobs). */
  ingestJobs: IngestJobs;
  /** Case records and close contacts from the health commission (HEALTH), audited. */
  reporting: ReportingService;
  /** Changes of the GB/T 2260 list from civil affairs (HEALTH), audited. */
  regionChanges: RegionChangeService;
}

/** What the services need besides the request's stores: the process-wide parts and who is asking. */
export interface ServiceDeps {
  viewer: Viewer;
  requestId: string;
  /** The PUBLIC caller's pseudonym for audit rows (src/privacy/idHash.ts). */
  callerPseudonym: (caller: string) => string;
  idHashSecret: string;
  signer: PassSigner;
  limiter: SelfServiceLimiter;
  /** County levels by day, shared by the process's requests (pass colours). */
  countyLevels: CountyLevelCache;
  /** The pass-check statements, batched across requests (services/passChecks.ts). */
  passChecks: PassCheckBatches;
  /** This request's statement counter (the shared batches count their statements on it). */
  recorder: StatementRecorder;
}

export function createServices(sources: Sources, deps: ServiceDeps, options: SourceOptions = {}): Services {
  const audit = new AuditLog(sources.audit, deps.viewer, deps.requestId, deps.callerPseudonym);
  const risk = new RiskService(sources.regions, sources.cases, sources.mobility);
  const passes = new PassService({
    persons: sources.persons,
    mobility: sources.mobility,
    regions: sources.regions,
    risk,
    registry: sources.passRegistry,
    signer: deps.signer,
    audit,
    levelCache: deps.countyLevels,
    shared: deps.passChecks,
    recorder: deps.recorder,
  });
  return {
    audit,
    risk,
    passes,
    ingest: new IngestService(sources.regions, sources.cases),
    self: new SelfService({
      persons: sources.persons,
      passes,
      audit,
      limiter: deps.limiter,
      idHashSecret: deps.idHashSecret,
      clientId: deps.viewer.clientId,
    }),
    people: new PeopleService(sources.persons, audit, deps.idHashSecret, options),
    ingestJobs: new IngestJobs(sources.ingestJobs, deps.viewer),
    reporting: new ReportingService(sources.regions, sources.cases, sources.reporting, audit, deps.idHashSecret),
    regionChanges: new RegionChangeService(sources.regionChanges, sources.cases, audit),
  };
}
