import type { RequestClass } from '../limits/requestClass';
import { PASS_RECENT_MS } from '../limits/admission';

/** One per class: on the 2-core machine of the attack bench, the class pools' five heavy statements at once held both cores. */
export const DEFAULT_SHARED_STATEMENTS = 1;

/** The expensive classes: their statements take turns here, and their pools' answers are read paced (src/db/pacedReads.ts). */
export const SHARED_CLASSES: ReadonlySet<RequestClass> = new Set(['official', 'public']);

interface Waiter {
  start: () => void;
  timer: NodeJS.Timeout;
}

/** One class's statements: in flight, and waiting for a turn. */
interface Line {
  running: number;
  queue: Waiter[];
}

/**
 * The database's cores for pass checks (docs/limits.md, "Bulkheads and load shedding"): while pass
 * checks are being served (a pass check entered in the last second), each expensive class —
 * official, public — has at most `width` statements in flight at once in this process; its others
 * wait, first come first served, until their request's deadline. Per class, so that a flood of
 * one (anonymous callers' heavy reads) never holds the other's dashboards in its line.
 *
 * Why: busy-loop shedding and the class pools bound what the *server* does, not what the database
 * does for it. One admitted heavy read (a country's 366 days, every county over a month) is
 * 0.6–0.9 s of a PostgreSQL core, and the class pools let 2 official and 3 public ones run at once:
 * on a machine whose cores the database shares, a pass check's statement then waits in the run
 * queue behind them (the attack bench: p99 0.3–1 s while the server's loop was half idle). Holding
 * each expensive class to one statement at a time leaves a core to pass checks and keeps the
 * expensive work going, one statement after another, instead of refusing it.
 * When no pass check is being served, nothing waits here: dashboards have every connection of their pools.
 * Where dedicated instances serve the pass checks over the same database (PASS_CHECKS=elsewhere), this
 * instance cannot see them come, and holds at all times.
 * Self-service is not held: its lookups are single-person index probes.
 *
 * One per process (`statementShare`): every app of `npm run start:federated` sends to the same database.
 */
export class StatementShare {
  private readonly lines = new Map<RequestClass, Line>();
  private passAt = Number.NEGATIVE_INFINITY;
  /** Statements that waited for their turn, since the start (tests). */
  waited = 0;

  constructor(
    readonly width: number,
    private readonly now: () => number = () => performance.now(),
    /** Hold at all times: pass checks are served by dedicated instances over the same database (PASS_CHECKS=elsewhere). */
    private readonly always = false,
  ) {}

  /** A pass check is being served: the expensive classes hold to `width` for the next second. */
  notePassCheck(): void {
    this.passAt = this.now();
  }

  /** Pass checks are being served (here, or by dedicated instances: `always`). */
  get holding(): boolean {
    return this.always || this.now() - this.passAt < PASS_RECENT_MS;
  }

  /** A class's statements in flight, and waiting for the share. */
  inFlight(requestClass: RequestClass): { running: number; waiting: number } {
    const line = this.lines.get(requestClass);
    return { running: line?.running ?? 0, waiting: line?.queue.length ?? 0 };
  }

  /**
   * Sends a statement of `requestClass` when its line has room: at once unless pass checks are being
   * served and `width` of the class are in flight; else in turn. Rejects with `late()` when `waitMs` passes first.
   */
  run<T>(requestClass: RequestClass, send: () => Promise<T>, waitMs: number, late: () => Error): Promise<T> {
    let line = this.lines.get(requestClass);
    if (!line) this.lines.set(requestClass, (line = { running: 0, queue: [] }));
    const own = line;
    if (own.queue.length === 0 && (own.running < this.width || !this.holding)) return this.start(own, send);
    this.waited++;
    return new Promise<T>((resolve, reject) => {
      const waiter: Waiter = {
        start: () => this.start(own, send).then(resolve, reject),
        timer: setTimeout(() => {
          own.queue.splice(own.queue.indexOf(waiter), 1);
          reject(late());
          // setTimeout takes at most 2^31 - 1 ms (a longer wait would fire at once)
        }, Math.min(Math.max(0, waitMs), 2_147_483_647)),
      };
      own.queue.push(waiter);
    });
  }

  private start<T>(line: Line, send: () => Promise<T>): Promise<T> {
    line.running++;
    let result: Promise<T>;
    try {
      result = send();
    } catch (err) {
      result = Promise.reject(err);
    }
    const done = () => {
      line.running--;
      this.next(line);
    };
    result.then(done, done);
    return result;
  }

  private next(line: Line): void {
    while (line.queue.length > 0 && (line.running < this.width || !this.holding)) {
      const waiter = line.queue.shift()!;
      clearTimeout(waiter.timer);
      waiter.start();
    }
  }
}

const processShares = new Map<string, StatementShare>();

/** The process's share of `width` statements per class (one per setting, as the execution slices are); `always`: see StatementShare. */
export function statementShare(width: number, always = false): StatementShare {
  const key = `${width}:${always}`;
  let share = processShares.get(key);
  if (!share) processShares.set(key, (share = new StatementShare(width, undefined, always)));
  return share;
}
