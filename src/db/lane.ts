import type pg from 'pg';
import { SOURCES, type Pools, type SourceName } from './pools';
import type { RequestClass } from '../limits/requestClass';
import { SHARED_CLASSES, type StatementShare } from './statementShare';

/**
 * Which connections one request's statements use, and until when (docs/limits.md, "Bulkheads and load shedding").
 *
 * A request's datasources are made in the context function, before its operation is read; they get
 * `view()`, pools that choose at each statement: the request class's own pools once the class is
 * known (`enter`), the process's other pools before that. (The response cache's version read is
 * the process's, on its own pools: datasources/dataVersion.ts.) And at each statement:
 * - past the request's deadline the statement is not sent: the request fails with
 *   SERVICE_UNAVAILABLE (`reason: DEADLINE`), and each statement sent is bounded by its class's
 *   statement_timeout, so a request ends at most one statement after its deadline;
 * - a request holds at most one connection per source (and replica) at a time: its statements to a
 *   source run one after another. One request cannot take every connection of its class, and
 *   `perCaller` requests of one caller hold at most `perCaller` of them. Statements of one request
 *   that were sent together cost their round trips one after another.
 *   Transactions (`connect`) are not queued behind: they hold their connection themselves.
 * - with a `share` (src/db/statementShare.ts): a pass check entering tells it pass checks are
 *   being served, and the expensive classes' statements take their turn in it (until the deadline).
 */
export class RequestLane {
  requestClass: RequestClass | null = null;
  /** When the request arrived (the lane is made in the context function): deadlines count from here. */
  readonly arrivedAt: number;
  deadlineAt = Number.POSITIVE_INFINITY;
  private deadlineMs = 0;
  private readonly tails = new Map<string, Promise<unknown>>();
  private expired = false;

  constructor(
    private readonly base: Pools,
    /** Called once, when a statement is refused for the deadline (metrics). */
    private readonly onDeadline: (requestClass: RequestClass | null) => void = () => undefined,
    private readonly now: () => number = Date.now,
    private readonly share: StatementShare | null = null,
  ) {
    this.arrivedAt = now();
  }

  /** From now on the request's statements use `requestClass`'s pools and end `deadlineMs` after its arrival. */
  enter(requestClass: RequestClass, deadlineMs: number): void {
    this.requestClass = requestClass;
    this.deadlineAt = this.arrivedAt + deadlineMs;
    this.deadlineMs = deadlineMs;
    // pass checks' statements go through a shared batch, not the lane (src/db/sharedBatch.ts): counted here
    if (requestClass === 'pass') this.share?.notePassCheck();
  }

  /** The pools the request's datasources use. */
  view(): Pools {
    const view = Object.fromEntries(SOURCES.map((s) => [s, this.pool(s, false)])) as unknown as Pools;
    if (this.base.opened) view.opened = this.base.opened;
    const read = Object.keys(this.base.read ?? {}) as SourceName[];
    if (read.length > 0) view.read = Object.fromEntries(read.map((s) => [s, this.pool(s, true)]));
    return view;
  }

  private target(source: SourceName, read: boolean): pg.Pool {
    const pools = (this.requestClass && this.base.classes?.[this.requestClass]) || this.base;
    // createPools gives every class a replica pool where the source has one; else the shared one
    return read ? (pools.read?.[source] ?? this.base.read![source]!) : pools[source];
  }

  /** The refusal of a statement past the deadline (the first one is counted), else null. */
  private pastDeadline(): DeadlineExceeded | null {
    return this.now() <= this.deadlineAt ? null : this.expire();
  }

  /** The request's deadline has passed: the refusal of its statements (the first one is counted). */
  private expire(): DeadlineExceeded {
    if (!this.expired) this.onDeadline(this.requestClass);
    this.expired = true;
    return new DeadlineExceeded(this.requestClass, this.deadlineMs);
  }

  /** Sends a statement, in the share's turn for the expensive classes. */
  private send<T>(query: () => Promise<T>): Promise<T> {
    const requestClass = this.requestClass;
    if (!this.share || !requestClass || !SHARED_CLASSES.has(requestClass)) return query();
    return this.share.run(requestClass, query, this.deadlineAt - this.now(), () => this.expire());
  }

  private pool(source: SourceName, read: boolean): pg.Pool {
    const key = read ? `${source}:read` : source;
    const statement = (text: unknown, params: unknown) => {
      const late = this.pastDeadline();
      if (late) return Promise.reject(late);
      const pool = this.target(source, read);
      return this.send(() => pool.query(text as string, params as unknown[])).catch((err: { code?: string }) => {
        // a class's statement_timeout is its deadline (at most): say so, not "a database is unavailable"
        if (err?.code !== '57014' || !this.requestClass || !this.base.classes?.[this.requestClass]) throw err;
        if (!this.expired) this.onDeadline(this.requestClass);
        this.expired = true;
        const statementTimeout = Number((pool.options as { statement_timeout?: number }).statement_timeout);
        throw new DeadlineExceeded(this.requestClass, Number.isFinite(statementTimeout) ? statementTimeout : this.deadlineMs, err);
      });
    };
    const pool = {
      query: (text: unknown, params?: unknown) => {
        const run = () => statement(text, params);
        const previous = this.tails.get(key);
        const result = previous ? previous.then(run, run) : run();
        const tail = result.catch(() => undefined);
        this.tails.set(key, tail);
        // the chain is forgotten once it has run out, so a long request keeps no history
        void tail.then(() => {
          if (this.tails.get(key) === tail) this.tails.delete(key);
        });
        return result;
      },
      connect: () => {
        const late = this.pastDeadline();
        return late ? Promise.reject(late) : this.target(source, read).connect();
      },
    };
    return pool as unknown as pg.Pool;
  }
}

/** A statement refused because its request ran past its deadline: SERVICE_UNAVAILABLE (src/server.ts formatError). */
export class DeadlineExceeded extends Error {
  override name = 'DeadlineExceeded';
  constructor(
    readonly requestClass: RequestClass | null,
    readonly deadlineMs: number,
    cause?: unknown,
  ) {
    super(
      cause === undefined
        ? `The request ran past its deadline of ${deadlineMs} ms${requestClass ? ` (${requestClass} requests)` : ''}: ask for less (a shorter date range, fewer regions, smaller pages) or retry later.`
        : `A statement of the request ran past the ${deadlineMs} ms its class allows${requestClass ? ` (${requestClass} requests)` : ''}: ask for less (a shorter date range, fewer regions, smaller pages) or retry later.`,
      cause === undefined ? undefined : { cause },
    );
  }
}
