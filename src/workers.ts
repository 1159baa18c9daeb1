import cluster, { type Worker } from 'node:cluster';
import { availableParallelism } from 'node:os';
import type { Logger } from 'pino';
import type { Runtime } from './bootstrap';

/**
 * WORKERS=n|auto (docs/scaling.md): `npm start` as n processes sharing one port through node:cluster.
 * One Node process runs JavaScript on one core; pass checks stop at what one event loop can do
 * (docs/benchmarks.md, W3). With workers, the primary runs the migrations (and the demo seed) once,
 * then forks n workers that each serve the whole API; the primary accepts connections and hands
 * them to the workers in turn (node:cluster's round robin), and otherwise only supervises:
 *
 * - a worker that exits while the server is not stopping is replaced, after a pause that doubles
 *   with each exit in a row (0.1 s … 10 s) and starts again once a worker has served for a minute;
 *   a worker that cannot even start five times in a row (a bad port, a database refusing it) stops
 *   the whole with exit code 1, for the supervisor above (systemd, Kubernetes) to see;
 * - SIGTERM/SIGINT go to every worker, which drains as a single server does (src/main.ts); the
 *   primary exits once they have, or after SHUTDOWN_GRACE_MS and a second.
 *
 * What the workers share is what several instances behind a balancer share (docs/federation.md,
 * "Scaling"): PostgreSQL, and with REDIS_URL the rate limits, APQ documents and cached answers. What
 * stays per worker: the in-process part of the response cache and the county levels, the API key
 * cache (API_KEY_CACHE_TTL_MS), the bulkheads' turns and the pools (PG_POOL_MAX connections per
 * datasource each: n × as many in all), and /metrics (the worker that answers the scrape; its
 * `worker` label says which).
 */

/** The process count WORKERS asks for: `auto` is this machine's available parallelism. */
export function workerCount(setting: number | 'auto'): number {
  return setting === 'auto' ? availableParallelism() : setting;
}

/** Set by the primary in each worker's environment: 0 … n−1, kept by a replacement. */
const WORKER_INDEX = 'CHANGXING_WORKER_INDEX';

/** This worker's index (0 … n−1), or null in a single process. */
export function workerIndex(): number | null {
  const value = cluster.isWorker ? process.env[WORKER_INDEX] : undefined;
  return value === undefined ? null : Number(value);
}

const FIRST_PAUSE_MS = 100;
const LONGEST_PAUSE_MS = 10_000;
/** A worker that served this long is healthy: the next exit starts the pauses again. */
const HEALTHY_AFTER_MS = 60_000;
/** Exits in a row before its first answer after which the primary gives up. */
const MAX_FAILED_STARTS = 5;

export interface Supervisor {
  /** Resolves once every worker has exited (or `graceMs` has passed; those left are killed). */
  stop(graceMs: number): Promise<void>;
}

/**
 * Forks `count` workers running this same entry point, with `env` added to their environment, and
 * keeps them running. `onGiveUp` is called when a worker cannot start MAX_FAILED_STARTS times in a row.
 */
export function superviseWorkers(count: number, env: Record<string, string>, logger: Logger, onGiveUp: (reason: string) => void): Supervisor {
  let stopping = false;
  const slots = Array.from({ length: count }, () => ({ exitsInARow: 0, failedStarts: 0, startedAt: 0, listening: false }));
  const fork = (index: number) => {
    const slot = slots[index];
    slot.startedAt = Date.now();
    slot.listening = false;
    const worker = cluster.fork({ ...env, [WORKER_INDEX]: String(index) });
    worker.once('listening', () => {
      slot.listening = true;
      slot.failedStarts = 0;
    });
    worker.once('exit', (code, signal) => onExit(index, worker, code, signal));
  };
  const onExit = (index: number, worker: Worker, code: number | null, signal: string | null) => {
    if (stopping) return;
    const slot = slots[index];
    if (Date.now() - slot.startedAt >= HEALTHY_AFTER_MS) slot.exitsInARow = 0;
    slot.exitsInARow++;
    if (!slot.listening) slot.failedStarts++;
    if (slot.failedStarts >= MAX_FAILED_STARTS) {
      onGiveUp(`worker ${index} exited ${slot.failedStarts} times in a row before it listened (last: code ${code}, signal ${signal})`);
      return;
    }
    const pauseMs = Math.min(LONGEST_PAUSE_MS, FIRST_PAUSE_MS * 2 ** (slot.exitsInARow - 1));
    logger.error({ worker: index, pid: worker.process.pid, code, signal, restartInMs: pauseMs }, 'worker exited; starting a new one');
    setTimeout(() => {
      if (!stopping) fork(index);
    }, pauseMs).unref();
  };
  for (let i = 0; i < count; i++) fork(i);
  return {
    async stop(graceMs) {
      stopping = true;
      const running = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined && !w.isDead());
      const exited = Promise.all(running.map((w) => new Promise<void>((resolve) => (w.isDead() ? resolve() : w.once('exit', () => resolve())))));
      // each worker drains its own requests (src/main.ts), then exits
      for (const w of running) w.process.kill('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), graceMs + 1000)));
      if ((await Promise.race([exited, late])) === 'late') {
        for (const w of running) if (!w.isDead()) w.process.kill('SIGKILL');
      }
      clearTimeout(timer);
    },
  };
}

/**
 * The environment that points a worker at the databases the primary opened: the API's own URLs
 * (those of the embedded PostgreSQL, when the primary started one), migrations already applied.
 */
export function workerDatabaseEnv(rt: Runtime): Record<string, string> {
  if (rt.config.databaseUrls) return {};
  const { urls } = rt.db;
  return { REGION_DATABASE_URL: urls.region, CASE_DATABASE_URL: urls.cases, MOBILITY_DATABASE_URL: urls.mobility, ACCESS_DATABASE_URL: urls.access };
}
