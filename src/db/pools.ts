import pg from 'pg';
import { DEFAULT_CLASS_LIMITS, poolSizes, REQUEST_CLASSES, type RequestClass } from '../limits/requestClass';
import { paceReads, socketOf } from './pacedReads';
import { SHARED_CLASSES } from './statementShare';

/**
 * The three datasources, plus `access`: the API's own records (API keys, issued passes, the audit
 * trail). Each may live in its own database; never join across them in SQL.
 */
export const SOURCES = ['region', 'cases', 'mobility', 'access'] as const;
export type SourceName = (typeof SOURCES)[number];

/**
 * One pg pool per datasource. Pools that point at the same URL are still separate objects.
 * `read`: the read-replica pool of each source that has one (`*_READ_DATABASE_URL`); absent when
 * none is configured, and then every statement goes to the primary pools, as before.
 */
export type Pools = Record<SourceName, pg.Pool> & {
  read?: Partial<Record<SourceName, pg.Pool>>;
  /**
   * The sources this process opened (a subgraph opens only those its resolvers read:
   * docs/federation.md). Absent: all of them. The others hold an UnopenedPool that refuses every statement,
   * and migrations, /readyz and the pool gauges leave them out.
   */
  opened?: readonly SourceName[];
  /**
   * Bulkheads (docs/limits.md, "Bulkheads and load shedding"): each request class's own pools of every source (and replica),
   * PG_POOL_MAX shared out by class, each with the class's statement_timeout, so that one class's
   * flood waits for its own connections only. Requests use them once their class is known
   * (src/db/lane.ts); the pools above serve everything else: start-up (migrations, the demo seed),
   * API key lookups, readiness, the export, live updates, retention, the command-line tools.
   */
  classes?: Record<RequestClass, Pools>;
};

export interface PoolOptions {
  /** Connection URL per datasource (only those of `sources` are used). */
  urls: Record<SourceName, string>;
  /** Sources to open; default all. The others get an UnopenedPool and their URLs are never dialled. */
  sources?: readonly SourceName[];
  /** Read-replica URL per datasource, for those that have one (docs/federation.md, "Read replicas"). */
  readUrls?: Partial<Record<SourceName, string>>;
  /** Upper bound of connections per pool. */
  max: number;
  /** Per-statement timeout in milliseconds (sent as the session's statement_timeout). */
  statementTimeoutMs: number;
  /** application_name shown in pg_stat_activity. */
  applicationName: string;
  /**
   * How long a query waits for a connection (a new one, or a free one when the pool is at `max`)
   * before failing with "timeout exceeded when trying to connect" → SERVICE_UNAVAILABLE. Short, so
   * that an exhausted pool or a dead database answers fast instead of queueing requests. Default 5000.
   */
  connectionTimeoutMs?: number;
  /**
   * Called when an idle pooled connection fails (database restarted: 57P01 admin_shutdown, network
   * cut). The pool has already discarded it and opens a new one on demand. Without a listener pg
   * would re-emit the error as an uncaught exception and crash the process, so one is always set.
   */
  onIdleError?: (source: SourceName, err: Error) => void;
  /**
   * The request classes' pools: `max` shared out by weight (`poolSizes`), each class's
   * statement_timeout the smaller of `statementTimeoutMs` and its own. Default: the defaults of
   * src/limits/requestClass.ts. `false`: none (requests use the pools above).
   */
  classes?: false | { sizes: Record<RequestClass, number>; statementTimeoutMs: Record<RequestClass, number> };
  /** Each connection's answers read one chunk per turn of the event loop (src/db/pacedReads.ts): the expensive classes' pools. */
  pacedReads?: boolean;
}

/** The request classes' pool settings from PG_POOL_MAX, PG_STATEMENT_TIMEOUT_MS and the classes' limits. */
export function classPoolSettings(
  max: number,
  statementTimeoutMs: number,
  limits: Readonly<Record<RequestClass, { poolShare: number; deadlineMs: number }>> = DEFAULT_CLASS_LIMITS,
): { sizes: Record<RequestClass, number>; statementTimeoutMs: Record<RequestClass, number> } {
  return {
    sizes: poolSizes(max, limits),
    statementTimeoutMs: Object.fromEntries(REQUEST_CLASSES.map((c) => [c, Math.min(statementTimeoutMs, limits[c].deadlineMs)])) as Record<RequestClass, number>,
  };
}

/** A pool's name in metrics, /readyz and application_name: `cases`, or `cases:read` for its replica. */
export type PoolLabel = SourceName | `${SourceName}:read`;

// DATE columns come back as 'YYYY-MM-DD' strings instead of JavaScript Dates at local midnight:
// the API's Date scalar is a calendar date, and time zones must not shift it.
pg.types.setTypeParser(pg.types.builtins.DATE, (value) => value);
// bigint (COUNT(*), SUM over integers) as a JavaScript number: our sums stay far below 2^53.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number(value));

/** The pool of one source: its primary, or (`read`) its read replica at `options.readUrls[source]`. */
export function createPool(options: PoolOptions, source: SourceName, read = false): pg.Pool {
  const pool = new pg.Pool({
    connectionString: read ? options.readUrls?.[source] : options.urls[source],
    max: options.max,
    statement_timeout: options.statementTimeoutMs,
    application_name: `${options.applicationName}:${source}${read ? ':read' : ''}`,
    // A replica is read-only anyway; saying so on the session too makes a write sent to the read
    // pool by mistake fail the same way everywhere (also when the "replica" is a writable copy).
    ...(read ? { options: '-c default_transaction_read_only=on' } : {}),
    connectionTimeoutMillis: options.connectionTimeoutMs ?? 5000,
    idleTimeoutMillis: 30000,
  });
  pool.on('error', (err) => options.onIdleError?.(source, err));
  // A checked-out client whose connection drops between two statements (inside a transaction,
  // say) emits 'error' with no query to fail; unhandled, that would crash the process. The caller
  // still learns of it: its next statement fails ("not queryable" → SERVICE_UNAVAILABLE), and the
  // pool discards the client on release.
  pool.on('connect', (client) => {
    client.on('error', () => undefined);
    const socket = options.pacedReads ? socketOf(client) : undefined;
    if (socket) paceReads(socket);
  });
  return pool;
}

export function createPools(options: PoolOptions): Pools {
  const opened = options.sources ?? SOURCES;
  const make = (source: SourceName) => (opened.includes(source) ? createPool(options, source) : new UnopenedPool(source, opened));
  const pools: Pools = { region: make('region'), cases: make('cases'), mobility: make('mobility'), access: make('access') };
  if (options.sources) pools.opened = [...opened];
  // Read pools only for opened sources with a replica: without any, `read` stays absent (one pool per source).
  const replicated = opened.filter((s) => options.readUrls?.[s]);
  if (replicated.length > 0) pools.read = Object.fromEntries(replicated.map((s) => [s, createPool(options, s, true)]));
  if (options.classes !== false) {
    const settings = options.classes ?? classPoolSettings(options.max, options.statementTimeoutMs);
    pools.classes = Object.fromEntries(
      REQUEST_CLASSES.map((c) => [
        c,
        createPools({
          ...options,
          max: settings.sizes[c],
          statementTimeoutMs: settings.statementTimeoutMs[c],
          applicationName: `${options.applicationName}/${c}`,
          classes: false,
          pacedReads: SHARED_CLASSES.has(c),
        }),
      ]),
    ) as Record<RequestClass, Pools>;
  }
  return pools;
}

/** The sources of `pools` that were opened (all, unless created or restricted with a list). */
export function openedSources(pools: Pools): readonly SourceName[] {
  return pools.opened ? SOURCES.filter((s) => pools.opened!.includes(s)) : SOURCES;
}

/**
 * A view of `pools` with only `sources` usable (the same pool objects; the others refuse), so that
 * a subgraph served by a process that opened more (`npm run start:federated`) fails on a source
 * outside its row of the matrix just as it would alone. Closing the view's owner closes the pools.
 */
export function restrictPools(pools: Pools, sources: readonly SourceName[]): Pools {
  const missing = sources.filter((s) => !openedSources(pools).includes(s));
  if (missing.length > 0) throw new Error(`restrictPools: ${missing.join(', ')} not opened by this process (opened: ${openedSources(pools).join(', ')})`);
  const pick = (source: SourceName) => (sources.includes(source) ? pools[source] : new UnopenedPool(source, sources));
  const view: Pools = { region: pick('region'), cases: pick('cases'), mobility: pick('mobility'), access: pick('access'), opened: [...sources] };
  const read = Object.entries(pools.read ?? {}).filter(([s]) => sources.includes(s as SourceName));
  if (read.length > 0) view.read = Object.fromEntries(read);
  if (pools.classes) view.classes = Object.fromEntries(REQUEST_CLASSES.map((c) => [c, restrictPools(pools.classes![c], sources)])) as Record<RequestClass, Pools>;
  return view;
}

/**
 * The pool of a source this process did not open. Every statement fails with a message naming the
 * source and what was opened: a resolver that reaches outside its subgraph's row of the matrix is
 * a bug to fix (or a row to widen), never a silent connection to whatever libpq defaults point at.
 * Constructing a pg.Pool opens no connection; connect() and query() are the only ways to one.
 */
export class UnopenedPool extends pg.Pool {
  constructor(
    readonly source: SourceName,
    private readonly openedSources: readonly SourceName[],
  ) {
    // host: a path that is no socket directory, should anything bypass the overrides below
    super({ max: 1, host: '/nonexistent/unopened-source' });
  }

  private refusal(): Error {
    return new Error(`the ${this.source} source is not opened by this process (opened: ${this.openedSources.join(', ')}); see SUBGRAPH_SOURCES in src/federation/names.ts`);
  }

  // Both overloaded in pg's types (callback and promise forms); only the promise forms are used here.
  override connect(): any {
    return Promise.reject(this.refusal());
  }

  override query(): any {
    return Promise.reject(this.refusal());
  }
}

/** Every pool, primaries first, with its label (`cases`, `cases:read`). */
export function labelledPools(pools: Pools): [PoolLabel, pg.Pool][] {
  const opened = openedSources(pools);
  const read = opened.flatMap((s): [PoolLabel, pg.Pool][] => (pools.read?.[s] ? [[`${s}:read`, pools.read[s]]] : []));
  return [...opened.map((s): [PoolLabel, pg.Pool] => [s, pools[s]]), ...read];
}

/**
 * True when some datasource's pool of `requestClass` has twice as many statements waiting as it has
 * connections: more would mostly wait out PG_CONNECTION_TIMEOUT_MS and fail anyway.
 */
export function classSaturated(pools: Pools, requestClass: RequestClass): boolean {
  const own = pools.classes?.[requestClass];
  return own !== undefined && labelledPools(own).some(([, pool]) => pool.waitingCount >= 2 * Math.max(1, pool.options.max ?? 10));
}

/** The request classes' pools, labelled `cases/pass` (`cases:read/pass` for a replica's): pool gauges. */
export function labelledClassPools(pools: Pools): [string, pg.Pool][] {
  if (!pools.classes) return [];
  return REQUEST_CLASSES.flatMap((c) => labelledPools(pools.classes![c]).map(([label, pool]): [string, pg.Pool] => [`${label}/${c}`, pool]));
}

export async function closePools(pools: Pools): Promise<void> {
  await Promise.all([...labelledPools(pools), ...labelledClassPools(pools)].map(([, pool]) => pool.end()));
}
