import type { Pools, SourceName } from '../src/db/pools';
import { Sql, SqlRecorder } from '../src/db/sql';
import { RegionSource } from './region';
import { CaseSource } from './case';
import { MobilitySource } from './mobility';
import { PersonSource } from './person';
import { PassRegistry } from './passRegistry';
import { AuditSource } from './audit';
import { IngestJobStore } from './uploads';
import { ReportingStore } from './reporting';
import { RegionChangeStore } from './regionChanges';

/** The stores of one request: SQL and per-request loaders only (use-cases live in services/). */
export interface Sources {
  regions: RegionSource;
  cases: CaseSource;
  mobility: MobilitySource;
  persons: PersonSource;
  /** Issued passes (access). */
  passRegistry: PassRegistry;
  /** The audit trail (access); written through services/audit.ts only. */
  audit: AuditSource;
  /** Carriers' upload jobs (mobility). */
  ingestJobs: IngestJobStore;
  /** Case records and close contacts as the health commission writes them (cases). */
  reporting: ReportingStore;
  /** Changes of the GB/T 2260 list (region). */
  regionChanges: RegionChangeStore;
}

export interface SourceOptions {
  /** Bench-only: `false` turns DataLoader batching off, giving the N+1 baseline. */
  batch?: boolean;
}

/** Per-request datasource instances over the shared pools; their loaders cache for this request only. */
export function createSources(pools: Pools, recorder: SqlRecorder, options: SourceOptions = {}): Sources {
  return {
    regions: new RegionSource(requestSql(pools, 'region', recorder), options),
    cases: new CaseSource(requestSql(pools, 'cases', recorder), options),
    mobility: new MobilitySource(requestSql(pools, 'mobility', recorder), options),
    persons: new PersonSource(requestSql(pools, 'cases', recorder), options),
    passRegistry: new PassRegistry(requestSql(pools, 'access', recorder)),
    audit: new AuditSource(requestSql(pools, 'access', recorder)),
    ingestJobs: new IngestJobStore(requestSql(pools, 'mobility', recorder)),
    reporting: new ReportingStore(requestSql(pools, 'cases', recorder)),
    regionChanges: new RegionChangeStore(requestSql(pools, 'region', recorder)),
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
