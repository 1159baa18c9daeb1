/**
 * Faults of the process itself, counted process-wide (not per app: `unhandledRejection` and
 * `uncaughtException` are the process's events, and tests run several apps in one process). Every
 * app's /metrics reports them as `changxing_process_faults_total{kind}` (src/observability/metrics.ts).
 */
export const PROCESS_FAULTS = ['unhandled_rejection', 'uncaught_exception'] as const;
export type ProcessFault = (typeof PROCESS_FAULTS)[number];

const counts: Record<ProcessFault, number> = { unhandled_rejection: 0, uncaught_exception: 0 };

export function countProcessFault(kind: ProcessFault): void {
  counts[kind]++;
}

/** How many of each fault this process has had. */
export function processFaultCounts(): Readonly<Record<ProcessFault, number>> {
  return counts;
}
