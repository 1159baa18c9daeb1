import type { Pools } from './db/pools';
import { Sql, SqlRecorder } from '../datasources/sql';
import { MobilitySource } from '../datasources/mobility';

/** Itinerary stays are personal data kept only as long as contact tracing needs them. */
export const DEFAULT_RETENTION_DAYS = 30;

/** Deletes stays that ended more than `retentionDays` ago; returns how many. */
export async function purgeExpiredStays(pools: Pools, retentionDays: number, now: Date = new Date()): Promise<number> {
  const cutoff = new Date(now.getTime() - retentionDays * 86_400_000);
  const mobility = new MobilitySource(new Sql(pools.mobility, 'mobility', new SqlRecorder()));
  return mobility.purgeStaysEndedBefore(cutoff);
}

/** Runs the purge now and then every 24 hours; the timer does not keep the process alive. */
export function schedulePurge(pools: Pools, retentionDays: number, onResult: (deleted: number | Error) => void): () => void {
  const run = () => purgeExpiredStays(pools, retentionDays).then(onResult, onResult);
  void run();
  const timer = setInterval(run, 86_400_000);
  timer.unref();
  return () => clearInterval(timer);
}
