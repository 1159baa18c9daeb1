import type { Pools, SourceName } from '../src/db/pools';
import type { AuditLog } from '../src/auth/audit';
import type { PassSigner } from '../src/pass/token';
import type { CountyLevelCache } from '../src/cache/countyLevels';
import type { PassCheckBatches } from './sharedBatch';
import { Sql, SqlRecorder } from './sql';
import { RegionSource } from './region';
import { CaseSource } from './case';
import { MobilitySource } from './mobility';
import { PersonSource } from './person';
import { PassRegistry } from './passRegistry';
import { RiskService } from './risk';
import { PassService } from './pass';
import { IngestService } from './ingest';
import { ReportingStore } from './reporting';
import { ReportingService } from '../services/reporting';
import { RegionChangeStore } from './regionChanges';
import { RegionChangeService } from '../services/regionChanges';

export interface Sources {
  regions: RegionSource;
  cases: CaseSource;
  mobility: MobilitySource;
  persons: PersonSource;
  risk: RiskService;
  passes: PassService;
  ingest: IngestService;
  /** Case records and close contacts from the health commission (services/reporting.ts). */
  reporting: ReportingService;
  /** Changes of the GB/T 2260 list from civil affairs (services/regionChanges.ts). */
  regionChanges: RegionChangeService;
}

export interface SourceOptions {
  /** Bench-only: `false` turns DataLoader batching off, giving the N+1 baseline. */
  batch?: boolean;
}

/** What the composed services need besides the pools: the pass signer and the request's audit log. */
export interface ServiceDeps {
  signer: PassSigner;
  audit: AuditLog;
  /** County levels by day, shared by the process's requests (pass colours). */
  countyLevels: CountyLevelCache;
  /** The pass-check statements, batched across requests (datasources/sharedBatch.ts). */
  passChecks: PassCheckBatches;
  /** Key of the hash under which ID numbers are stored (reporting writes persons). */
  idHashSecret: string;
}

/** Per-request datasource instances over the shared pools; their loaders cache for this request only. */
export function createSources(pools: Pools, recorder: SqlRecorder, deps: ServiceDeps, options: SourceOptions = {}): Sources {
  const regions = new RegionSource(requestSql(pools, 'region', recorder), options);
  const cases = new CaseSource(requestSql(pools, 'cases', recorder), options);
  const mobility = new MobilitySource(requestSql(pools, 'mobility', recorder), options);
  const persons = new PersonSource(requestSql(pools, 'cases', recorder), options, deps.audit);
  const registry = new PassRegistry(requestSql(pools, 'access', recorder));
  const risk = new RiskService(regions, cases, mobility);
  return {
    regions,
    cases,
    mobility,
    persons,
    risk,
    passes: new PassService(persons, mobility, regions, risk, registry, deps.signer, deps.audit, deps.countyLevels, deps.passChecks, recorder),
    ingest: new IngestService(regions, cases),
    regionChanges: new RegionChangeService(new RegionChangeStore(requestSql(pools, 'region', recorder)), cases, deps.audit),
    reporting: new ReportingService(regions, cases, new ReportingStore(requestSql(pools, 'cases', recorder)), deps.audit, deps.idHashSecret),
  };
}

/**
 * A request's Sql over a source: its primary, and its read replica when one is configured. The
 * request's recorder carries read-your-writes across the Sql objects of one source (cases, persons).
 */
export function requestSql(pools: Pools, source: SourceName, recorder: SqlRecorder): Sql {
  return new Sql(pools[source], source, recorder, pools.read?.[source] ?? null);
}

export { SqlRecorder };
