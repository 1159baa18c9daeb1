import type { RequestClass } from '../limits/requestClass';
import { PASS_RECENT_MS } from '../limits/admission';

/**
 * The database's cores for pass checks (docs/limits.md, "Bulkheads and load shedding"): while pass
 * checks are being served (a pass check's statement was sent in the last second), the expensive
 * classes — official and public — have at most `width` statements in flight at once in this
 * process; the others wait, first come first served, until their request's deadline.
 *
 * Why: busy-loop shedding and the class pools bound what the *server* does, not what the database
 * does for it. One admitted heavy read (a country's 366 days, every county over a month) is
 * 0.6–0.9 s of a PostgreSQL core, and the class pools let 2 official and 3 public ones run at once:
 * on a machine whose cores the database shares, a pass check's statement then waits in the run
 * queue behind them (the attack bench: p99 0.3–1 s while the server's loop was half idle). Holding
 * the expensive classes to one statement at a time leaves the other cores to pass checks and keeps
 * the expensive work going, one statement after another, instead of refusing it.
 * When no pass check is being served, nothing waits here: dashboards have every connection of their pools.
 * Self-service is not held: its lookups are single-person index probes.
 *
 * One per process (`statementShare`): every app of `npm run start:federated` sends to the same database.
 */
/** One: on the 2-core machine of the attack bench, two heavy statements at once were enough to hold both cores. */
export const DEFAULT_SHARED_STATEMENTS = 1;

export const SHARED_CLASSES: ReadonlySet<RequestClass> = new Set(['official', 'public']);

interface Waiter {
  start: () => void;
  timer: NodeJS.Timeout;
}

export class StatementShare {
  private running = 0;
  private readonly queue: Waiter[] = [];
  private passAt = Number.NEGATIVE_INFINITY;
  /** Statements that waited for the share (metrics, tests). */
  waited = 0;

  constructor(
    readonly width: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** A pass check's statement is being sent: the expensive classes share `width` for the next second. */
  notePassCheck(): void {
    this.passAt = this.now();
  }

  /** Pass checks are being served. */
  get holding(): boolean {
    return this.now() - this.passAt < PASS_RECENT_MS;
  }

  /** Statements of the expensive classes in flight, and waiting for the share. */
  get inFlight(): { running: number; waiting: number } {
    return { running: this.running, waiting: this.queue.length };
  }

  /**
   * Sends an expensive class's statement when the share has room: at once unless pass checks are
   * being served and `width` are in flight; else in turn. Rejects with `late()` when `waitMs` passes first.
   */
  run<T>(send: () => Promise<T>, waitMs: number, late: () => Error): Promise<T> {
    if (this.queue.length === 0 && (this.running < this.width || !this.holding)) return this.start(send);
    this.waited++;
    return new Promise<T>((resolve, reject) => {
      const waiter: Waiter = {
        start: () => this.start(send).then(resolve, reject),
        timer: setTimeout(() => {
          this.queue.splice(this.queue.indexOf(waiter), 1);
          reject(late());
        }, Math.max(0, waitMs)),
      };
      this.queue.push(waiter);
    });
  }

  private start<T>(send: () => Promise<T>): Promise<T> {
    this.running++;
    let result: Promise<T>;
    try {
      result = send();
    } catch (err) {
      result = Promise.reject(err);
    }
    const done = () => {
      this.running--;
      this.next();
    };
    result.then(done, done);
    return result;
  }

  private next(): void {
    while (this.queue.length > 0 && (this.running < this.width || !this.holding)) {
      const waiter = this.queue.shift()!;
      clearTimeout(waiter.timer);
      waiter.start();
    }
  }
}

const processShares = new Map<number, StatementShare>();

/** The process's share of `width` statements (one per width, as the execution slices are). */
export function statementShare(width: number): StatementShare {
  let share = processShares.get(width);
  if (!share) processShares.set(width, (share = new StatementShare(width)));
  return share;
}
