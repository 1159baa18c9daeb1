import type { Pools } from '../db/pools';
import { toEpochDay } from './dates';
import { todayCst } from '../clock';
import { generateSeedData } from './generate';
import { loadCases, loadMobility, loadRegion, type ProgressListener } from './load';
import { isScale, type Scale } from './timeline';
import { ensureDemoKeys } from '../../datasources/apiKeys';

export type { Scale } from './timeline';
export { DEMO_PEOPLE, NOBODY_ID_NUMBER, type DemoPerson, type PassColor } from './demoPeople';
export { generateSeedData, type SeedData } from './generate';
// The pure generators, for backtests of the import-risk model against the true simulated state.
export { simulateEpidemic, type EpidemicSimulation } from './epidemic';
export { generateRegions, type Region, type RegionSet } from './regions';
export { buildNetwork, tripsOn, type MobilityNetwork } from './network';
export { makeTimeline, type Timeline } from './timeline';
export { countyRiskOn } from './countyRisk';

export interface SeedOptions {
  scale: Scale;
  /** For hashIdNumber: ID numbers are stored only as this keyed hash. */
  idHashSecret: string;
  /** 'YYYY-MM-DD', default today in Asia/Shanghai. The simulated epidemic ends on this day. */
  seedDay?: string;
  /** Tests: keep only N county-level units (the demo and outbreak counties first), with their cities and provinces. */
  limitCounties?: number;
  onProgress?: ProgressListener;
}

export interface SeedSummary {
  regions: number;
  counties: number;
  days: number;
  dailyReports: number;
  clusters: number;
  flows: number;
  persons: number;
  stays: number;
  caseRecords: number;
  contacts: number;
  /** Wall-clock time of generation and load. */
  ms: number;
}

/**
 * Replaces the demo data of all three datasources with the deterministic data set for `scale`
 * (same scale and seed day ⇒ same data). Generation happens first and checks the demo facts, so
 * nothing is written if they would not hold; then each datasource is loaded in its own
 * transaction, one after the other (loading them at once saved little and made progress reports
 * interleave).
 */
export async function seedDatabase(pools: Pools, options: SeedOptions): Promise<SeedSummary> {
  const started = performance.now();
  if (!isScale(options.scale)) throw new Error(`scale must be small, medium or large, got '${String(options.scale)}'`);
  if (!options.idHashSecret) throw new Error('idHashSecret is required: ID numbers are stored only as a keyed hash');
  const seedDay = options.seedDay ?? todayCst();
  toEpochDay(seedDay); // fails with a clear message on anything but a calendar date

  const { onProgress } = options;
  const data = generateSeedData(
    { scale: options.scale, seedDay, limitCounties: options.limitCounties },
    onProgress && ((phase, done, total) => onProgress({ phase, done, total })),
  );
  const regions = await loadRegion(pools.region, data, onProgress);
  const cases = await loadCases(pools.cases, data, options.idHashSecret, onProgress);
  const mobility = await loadMobility(pools.mobility, data, onProgress);
  // The load's writes bumped cases.data_version (statement triggers). Outside the load transactions:
  // VACUUM sets the visibility map, so that the covering indexes give index-only scans without heap
  // fetches (they halve the 14-day aggregate over all counties).
  await pools.cases.query('/* seed.vacuum */ VACUUM (ANALYZE) cases.daily_reports, cases.clusters');
  await pools.mobility.query('/* seed.vacuum */ VACUUM (ANALYZE) mobility.flows');
  // Demo API keys demo-partner, demo-gov, demo-health (idempotent; refused with NODE_ENV=production).
  await ensureDemoKeys(pools.access);
  return {
    regions,
    counties: data.regions.counties.length,
    days: data.timeline.days,
    ...cases,
    ...mobility,
    ms: Math.round(performance.now() - started),
  };
}
