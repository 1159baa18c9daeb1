import type { Pools } from '../src/db/pools';
import { Sql, SqlRecorder } from './sql';
import { RegionSource } from './region';
import { CaseSource } from './case';
import { MobilitySource } from './mobility';
import { RiskService } from './risk';

export interface Sources {
  regions: RegionSource;
  cases: CaseSource;
  mobility: MobilitySource;
  risk: RiskService;
}

export interface SourceOptions {
  /** Bench-only: `false` turns DataLoader batching off, giving the N+1 baseline. */
  batch?: boolean;
}

/** Per-request datasource instances over the shared pools; their loaders cache for this request only. */
export function createSources(pools: Pools, recorder: SqlRecorder, options: SourceOptions = {}): Sources {
  const regions = new RegionSource(new Sql(pools.region, 'region', recorder), options);
  const cases = new CaseSource(new Sql(pools.cases, 'cases', recorder), options);
  const mobility = new MobilitySource(new Sql(pools.mobility, 'mobility', recorder), options);
  return { regions, cases, mobility, risk: new RiskService(regions, cases, mobility) };
}

export { SqlRecorder };
