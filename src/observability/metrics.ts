import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { RequestHandler } from 'express';
import type pg from 'pg';
import type { Pools } from '../db/pools';
import { labelledClassPools, labelledPools } from '../db/pools';
import { PROCESS_FAULTS, processFaultCounts } from './processFaults';
import { SHARED_CLASSES } from '../db/statementShare';
import type { RequestClass } from '../limits/requestClass';

type Admission = { snapshot(): Record<string, InFlight> };
type LoopLag = { lagMs(): number };
type Flights = { snapshot(): { computing: number; waiting: number } };
type StatementLines = { inFlight(requestClass: RequestClass): InFlight };

/**
 * Prometheus metrics of one app. A Registry per app, not prom-client's global one: tests start
 * several servers in one process, and the global registry refuses a second metric of the same name.
 *
 * Labels are closed sets or names from our own code (operation names come from the client, so they
 * are capped, see `operationLabel`); never arguments, ids or anything personal.
 */
export interface Metrics {
  registry: Registry;
  /** One finished GraphQL request. */
  observeRequest(r: { operation: string | null; outcome: Outcome; durationSeconds: number; sqlStatements: number }): void;
  /** One DataLoader batch call of `size` keys. */
  observeBatch(loader: string, size: number): void;
  /** One statement shared by `requests` concurrent requests (src/db/sharedBatch.ts). */
  observeSharedBatch(batch: string, requests: number, keys: number): void;
  /** Reports the response cache's size (bytes of answer text, entries) on every scrape. */
  watchResponseCache(cache: { readonly calculatedSize: number; readonly size: number }): void;
  /** One cacheable request, by how the response cache answered it (src/cache/responseCache.ts). */
  observeCacheLookup(result: CacheLookupResult): void;
  /** Reads the answers being computed and the requests waiting for them (src/cache/singleFlight.ts) on every scrape. */
  watchCoalescing(flights: Flights): void;
  /** One request refused, or stopped at its deadline, by the bulkheads (docs/limits.md, "Bulkheads and load shedding"). */
  observeRefused(requestClass: string, reason: string): void;
  /** Reads the requests running and waiting per class, and the event-loop lag, on every scrape. */
  watchAdmission(admission: Admission, lag: LoopLag): void;
  /** The expensive classes' statements taking turns while pass checks are served (src/db/statementShare.ts). */
  watchStatementShare(share: StatementLines): void;
  /** One operation executed by graphql-jit or graphql-js (src/executor.ts; with GRAPHQL_EXECUTOR=js none is counted). */
  observeExecution(engine: 'jit' | 'js'): void;
  /** GET /metrics */
  handler: RequestHandler;
}

/**
 * How the response cache answered a cacheable request: `hit` from a stored answer (memory or Redis);
 * `coalesced` from the answer another request was computing meanwhile (the same bytes), or
 * `coalesced_failure` with that request's failure; `miss` computed (others may wait for it);
 * `uncoalesced` computed without waiting because a bound of the waiting requests was reached;
 * `deadline` its deadline passed while it waited (503).
 */
export type CacheLookupResult = 'hit' | 'coalesced' | 'coalesced_failure' | 'miss' | 'uncoalesced' | 'deadline';

/** `ok`; `error` (some field failed, data returned); or the code of the first error when there is no data. */
export type Outcome = string;

const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const STATEMENT_BUCKETS = [0, 1, 2, 3, 4, 5, 8, 12, 20, 50, 100];
const BATCH_BUCKETS = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 5000];

export function createMetrics(pools: Pools, options: { defaultMetrics?: boolean; worker?: number | null } = {}): Metrics {
  const registry = new Registry();
  // with WORKERS > 1 each scrape is answered by one worker (src/workers.ts): every series says which
  if (options.worker != null) registry.setDefaultLabels({ worker: String(options.worker) });
  // Process metrics, including nodejs_eventloop_lag_seconds (and its percentiles).
  if (options.defaultMetrics !== false) collectDefaultMetrics({ register: registry });

  // registration order is the order of the series in /metrics: keep it when adding
  const graphql = registerGraphqlMetrics(registry);
  registerPoolGauges(registry, pools);
  const coalescing = registerCoalescingMetrics(registry);
  const bulkheads = registerBulkheadMetrics(registry);
  registerProcessFaults(registry);
  const operationLabel = operationLabeller();

  return {
    registry,
    observeRequest({ operation, outcome, durationSeconds, sqlStatements }) {
      const op = operationLabel(operation);
      graphql.requests.inc({ operation: op, outcome });
      graphql.duration.observe({ operation: op, outcome }, durationSeconds);
      graphql.statements.observe({ operation: op }, sqlStatements);
    },
    observeBatch(loader, size) {
      graphql.batches.observe({ loader }, size);
    },
    // an arrow function: handed to the batches as a callback
    observeSharedBatch: (batch, requests) => {
      graphql.sharedBatches.observe({ batch }, requests);
    },
    observeExecution(engine) {
      graphql.executions.inc({ engine });
    },
    watchResponseCache(cache) {
      registerResponseCacheGauges(registry, cache);
    },
    observeCacheLookup(result) {
      coalescing.lookups.inc({ result });
    },
    watchCoalescing(watched) {
      coalescing.watch(watched);
    },
    observeRefused: (requestClass, reason) => {
      bulkheads.refused.inc({ class: requestClass, reason });
    },
    watchAdmission(watched, loopLag) {
      bulkheads.watch(watched, loopLag);
    },
    watchStatementShare(share) {
      bulkheads.watchShare(share);
    },
    handler: async (_req, res, next) => {
      try {
        res.set('content-type', registry.contentType).send(await registry.metrics());
      } catch (err) {
        next(err);
      }
    },
  };
}

function registerGraphqlMetrics(registry: Registry) {
  const requests = new Counter({
    name: 'changxing_graphql_requests_total',
    help: 'GraphQL requests by operation name and outcome (ok, error, or the error code when no data was returned).',
    labelNames: ['operation', 'outcome'] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'changxing_graphql_request_duration_seconds',
    help: 'GraphQL request latency, from request start to response, by operation name and outcome.',
    labelNames: ['operation', 'outcome'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });
  const statements = new Histogram({
    name: 'changxing_graphql_sql_statements',
    help: 'SQL statements sent by one GraphQL request, by operation name.',
    labelNames: ['operation'] as const,
    buckets: STATEMENT_BUCKETS,
    registers: [registry],
  });
  const batches = new Histogram({
    name: 'changxing_dataloader_batch_size',
    help: 'Keys per DataLoader batch call, by loader (named by its SQL statement, e.g. RegionSource.byCode).',
    labelNames: ['loader'] as const,
    buckets: BATCH_BUCKETS,
    registers: [registry],
  });
  const executions = new Counter({
    name: 'changxing_graphql_executions_total',
    help: 'Operations executed through the jit executor (GRAPHQL_EXECUTOR=jit), by the engine that ran them: jit, or js for a document graphql-jit cannot compile.',
    labelNames: ['engine'] as const,
    registers: [registry],
  });
  const sharedBatches = new Histogram({
    name: 'changxing_shared_batch_requests',
    help: 'Requests served by one statement of a batch shared across requests (pass checks), by statement.',
    labelNames: ['batch'] as const,
    buckets: BATCH_BUCKETS,
    registers: [registry],
  });
  return { requests, duration, statements, batches, executions, sharedBatches };
}

/**
 * Pool gauges are read on scrape: the pools already know their numbers.
 * `source` is the datasource, or e.g. `cases:read` for its read replica's pool.
 * `source` is also e.g. `cases/public`: a request class's own pool of that datasource (docs/limits.md, "Bulkheads and load shedding")
 */
function registerPoolGauges(registry: Registry, pools: Pools): void {
  const poolGauge = (name: string, help: string, read: (p: pg.Pool) => number) =>
    new Gauge({
      name,
      help,
      labelNames: ['source'] as const,
      registers: [registry],
      collect() {
        for (const [source, pool] of [...labelledPools(pools), ...labelledClassPools(pools)]) this.set({ source }, read(pool));
      },
    });
  poolGauge('changxing_pg_pool_connections', 'Open connections of the pg pool of each datasource.', (p) => p.totalCount);
  poolGauge('changxing_pg_pool_idle_connections', 'Idle connections of the pg pool of each datasource.', (p) => p.idleCount);
  poolGauge('changxing_pg_pool_waiting_requests', 'Queries waiting for a connection of the pg pool of each datasource.', (p) => p.waitingCount);
}

/** How the response cache answered, and the coalesced answers in flight once the app calls `watch`. */
function registerCoalescingMetrics(registry: Registry) {
  const lookups = new Counter({
    name: 'changxing_response_cache_requests_total',
    help: 'Cacheable GraphQL requests by how the response cache answered them: hit (a stored answer), coalesced (the answer another request was computing, the same bytes), coalesced_failure (that computation failed: its answer), miss (computed), uncoalesced (computed: the bounds of waiting requests were reached), deadline (waited past its deadline).',
    labelNames: ['result'] as const,
    registers: [registry],
  });
  let flights: Flights | null = null;
  new Gauge({
    name: 'changxing_response_cache_in_flight',
    help: 'Answers of the response cache being computed (computing: one request each) and requests waiting for them (waiting), bounded by RESPONSE_CACHE_COALESCE_KEYS and RESPONSE_CACHE_COALESCE_WAITERS.',
    labelNames: ['state'] as const,
    registers: [registry],
    collect() {
      if (!flights) return;
      const { computing, waiting } = flights.snapshot();
      this.set({ state: 'computing' }, computing);
      this.set({ state: 'waiting' }, waiting);
    },
  });
  const watch = (watched: Flights) => {
    flights = watched;
  };
  return { lookups, watch };
}

/** The refusals, and gauges of what the bulkheads are watching, which exist only once the app calls `watch`. */
function registerBulkheadMetrics(registry: Registry) {
  const refused = new Counter({
    name: 'changxing_requests_refused_total',
    help: 'Requests refused by the bulkheads before running (caller_limit: 429; event_loop_lag, pool_saturated, queue_full, deadline: 503), or stopped at their deadline, by request class and reason.',
    labelNames: ['class', 'reason'] as const,
    registers: [registry],
  });
  let admission: Admission | null = null;
  let lag: LoopLag | null = null;
  inFlightGauge(registry, 'changxing_requests_in_flight', 'Requests running (admitted) and waiting for a turn, by request class.', () => Object.entries(admission?.snapshot() ?? {}));
  new Gauge({
    name: 'changxing_event_loop_lag_seconds',
    help: 'How late the event loop ran recently (the largest delay of the last half second): what the bulkheads shed by.',
    registers: [registry],
    collect() {
      if (lag) this.set(lag.lagMs() / 1000);
    },
  });
  let share: StatementLines | null = null;
  inFlightGauge(
    registry,
    'changxing_shared_statements',
    'Statements of the expensive classes in flight (running) and waiting for their turn while pass checks are served (SHARED_STATEMENTS), by request class.',
    () => (share ? [...SHARED_CLASSES].map((c): [string, InFlight] => [c, share!.inFlight(c)]) : []),
  );
  const watch = (watched: Admission, loopLag: LoopLag) => {
    admission = watched;
    lag = loopLag;
  };
  const watchShare = (watched: StatementLines) => {
    share = watched;
  };
  return { refused, watch, watchShare };
}

type InFlight = { running: number; waiting: number };

/** A gauge of what is running and waiting per request class (`state` label), read from `read` on every scrape. */
function inFlightGauge(registry: Registry, name: string, help: string, read: () => Iterable<[string, InFlight]>): void {
  new Gauge({
    name,
    help,
    labelNames: ['class', 'state'] as const,
    registers: [registry],
    collect() {
      for (const [c, { running, waiting }] of read()) {
        this.set({ class: c, state: 'running' }, running);
        this.set({ class: c, state: 'waiting' }, waiting);
      }
    },
  });
}

/** Counted process-wide (src/observability/processFaults.ts); each registry reports what it has not yet. */
function registerProcessFaults(registry: Registry): void {
  const faultsReported = Object.fromEntries(PROCESS_FAULTS.map((k) => [k, 0])) as Record<string, number>;
  new Counter({
    name: 'changxing_process_faults_total',
    help: 'Unhandled promise rejections (logged, the server goes on) and uncaught exceptions (logged, the server stops gracefully with exit code 1) of this process (src/startup.ts).',
    labelNames: ['kind'] as const,
    registers: [registry],
    collect() {
      const counts = processFaultCounts();
      for (const kind of PROCESS_FAULTS) {
        this.inc({ kind }, counts[kind] - faultsReported[kind]);
        faultsReported[kind] = counts[kind];
      }
    },
  });
}

/** Client-chosen operation names become labels: cap their number so a client cannot explode the series. */
function operationLabeller(): (name: string | null) => string {
  const seen = new Set<string>();
  return (name) => {
    if (!name) return 'anonymous';
    if (seen.has(name)) return name;
    if (seen.size >= MAX_OPERATION_NAMES) return 'other';
    seen.add(name);
    return name;
  };
}

function registerResponseCacheGauges(registry: Registry, cache: { readonly calculatedSize: number; readonly size: number }): void {
  new Gauge({
    name: 'changxing_response_cache_bytes',
    help: 'Bytes of answer text held by the response cache of this process (2 per character; bounded by RESPONSE_CACHE_MAX_BYTES).',
    registers: [registry],
    collect() {
      this.set(cache.calculatedSize);
    },
  });
  new Gauge({
    name: 'changxing_response_cache_entries',
    help: 'Answers held by the response cache of this process (bounded by RESPONSE_CACHE_MAX_ENTRIES).',
    registers: [registry],
    collect() {
      this.set(cache.size);
    },
  });
}

const MAX_OPERATION_NAMES = 200;
