import type { Pools } from './db/pools';
import { Sql, SqlRecorder } from './db/sql';
import { MobilitySource, type StayPurge } from '../datasources/mobility';

/** Itinerary stays are personal data kept only as long as contact tracing needs them. */
export const DEFAULT_RETENTION_DAYS = 30;

/** A purge run: what went, and the partition upkeep done first. */
export interface PurgeResult extends StayPurge {
  /** Monthly partitions created (this month and the next, and months found in DEFAULT). */
  partitionsCreated: number;
  /** Rows left in the DEFAULT partitions of flows and stays after upkeep: should be 0. */
  rowsInDefault: number;
}

/**
 * Creates the coming months' partitions (moving any rows parked in DEFAULT into theirs), then
 * drops the stay partitions that ended more than `retentionDays` ago and deletes the older stays
 * of the partition straddling the cutoff. Flows have no retention policy and are kept.
 */
export async function purgeExpiredStays(pools: Pools, retentionDays: number, now: Date = new Date()): Promise<PurgeResult> {
  const cutoff = new Date(now.getTime() - retentionDays * 86_400_000);
  const mobility = new MobilitySource(new Sql(pools.mobility, 'mobility', new SqlRecorder()));
  const upkeep = await mobility.maintainPartitions(now);
  const purge = await mobility.purgeStaysEndedBefore(cutoff);
  return { ...purge, partitionsCreated: upkeep.created, rowsInDefault: upkeep.inDefault };
}

/** One line for people and logs: how many stays went, and how. */
export function describePurge(result: PurgeResult, retentionDays: number): string {
  const dropped = result.droppedPartitions;
  const parts = [
    `purged ${result.stays} stays that ended more than ${retentionDays} days ago`,
    `${dropped.length} partition(s) dropped whole (${dropped.map((p) => `${p.name}: ${p.stays}`).join(', ') || 'none'})`,
    `${result.deletedRows} deleted from the partition straddling the cutoff`,
    `${result.partitionsCreated} partition(s) created`,
  ];
  if (result.rowsInDefault > 0) parts.push(`${result.rowsInDefault} row(s) still in DEFAULT partitions`);
  return parts.join('; ');
}

/** Runs the purge now and then every 24 hours; the timer does not keep the process alive. */
export function schedulePurge(pools: Pools, retentionDays: number, onResult: (result: PurgeResult | Error) => void): () => void {
  const run = () => purgeExpiredStays(pools, retentionDays).then(onResult, onResult);
  void run();
  const timer = setInterval(run, 86_400_000);
  timer.unref();
  return () => clearInterval(timer);
}
