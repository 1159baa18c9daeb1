/**
 * Single flight for the response caches (docs/http-caching.md, "Identical requests computed once"):
 * while the answer under a key is being computed, further requests with that key wait for it
 * instead of computing it again. One request leads (computes, then `settle`s or `abandon`s); the
 * others wait until it ends or their own deadline passes, whichever comes first.
 *
 * Every structure is bounded (issue 15, item 3): at most `maxKeys` keys in flight, `maxWaitersPerKey`
 * requests waiting on one key, and `maxWaitersPerCaller` waiting requests of one caller across all
 * keys (without the last, one address could fill every place of the national map and make every
 * other dashboard compute it). A request over a bound is told to compute by itself (`alone`): what it
 * did before coalescing, through its class's turn.
 *
 * No GraphQL here: the value is whatever the cache shares (`npm start`'s: src/cache/responseCache.ts).
 */
export interface SingleFlightLimits {
  /** Keys being computed at once (each its leading request); 0 turns coalescing off. */
  maxKeys: number;
  /** Requests waiting on one key; 0 turns coalescing off. */
  maxWaitersPerKey: number;
}

/** What a request does about a key. */
export type Turn<T> =
  /** Compute the answer, then `settle` with what it is (every waiter gets it) or `abandon` (the next waiter leads). */
  | { kind: 'lead'; settle(value: T): void; abandon(): void }
  /** Another request computed the answer while this one waited. */
  | { kind: 'shared'; value: T }
  /** This request's deadline passed while it waited. */
  | { kind: 'deadline' }
  /** A bound was reached: compute without coalescing (nobody waits for this request). */
  | { kind: 'alone'; bound: 'keys' | 'waiters' | 'caller' };

type Ended<T> = { kind: 'shared'; value: T } | { kind: 'abandoned' };

interface Waiter<T> {
  caller: string | null;
  wake(ended: Ended<T>): void;
}

interface Flight<T> {
  /** Past this the leader is taken to be lost (its end was never reported): a newcomer leads instead. */
  expiresAt: number;
  waiters: Set<Waiter<T>>;
}

export class SingleFlight<T> {
  private readonly flights = new Map<string, Flight<T>>();
  /** Waiting requests per caller (entries dropped at 0, so at most one per waiter). */
  private readonly callers = new Map<string, number>();
  private waitingCount = 0;

  constructor(
    private readonly limits: SingleFlightLimits,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * The turn of one request for `key`: lead, wait, or compute alone. `caller` (null: not counted,
   * e.g. a subgraph's fetch whose client the gateway counted) may wait in at most `callerLimit`
   * flights at once; it waits at most until `deadlineAt`. A leader's flight is joined until
   * `expiresAt`, however its end is reported.
   */
  async turn(key: string, options: { caller: string | null; callerLimit: number; deadlineAt: number; expiresAt: number }): Promise<Turn<T>> {
    if (this.limits.maxKeys === 0 || this.limits.maxWaitersPerKey === 0) return { kind: 'alone', bound: 'keys' };
    for (;;) {
      const flight = this.flights.get(key);
      if (!flight || flight.expiresAt <= this.now()) {
        if (flight) this.end(key, flight, { kind: 'abandoned' });
        else if (this.flights.size >= this.limits.maxKeys && !this.dropExpired()) return { kind: 'alone', bound: 'keys' };
        return this.lead(key, options.expiresAt);
      }
      if (flight.waiters.size >= this.limits.maxWaitersPerKey) return { kind: 'alone', bound: 'waiters' };
      if (options.caller !== null && (this.callers.get(options.caller) ?? 0) >= options.callerLimit) return { kind: 'alone', bound: 'caller' };
      const ended = await this.wait(flight, options.caller, options.deadlineAt);
      // the leader gave up (its own refusal, or lost): the first waiter to come back leads, the rest wait on it
      if (ended.kind !== 'abandoned') return ended;
    }
  }

  /** Keys being computed, and requests waiting for them (metrics). */
  snapshot(): { computing: number; waiting: number } {
    return { computing: this.flights.size, waiting: this.waitingCount };
  }

  private lead(key: string, expiresAt: number): Turn<T> {
    const flight: Flight<T> = { expiresAt, waiters: new Set() };
    this.flights.set(key, flight);
    return {
      kind: 'lead',
      settle: (value) => this.end(key, flight, { kind: 'shared', value }),
      abandon: () => this.end(key, flight, { kind: 'abandoned' }),
    };
  }

  /** Wakes a flight's waiters (once) and forgets it, unless a newer flight has taken its key. */
  private end(key: string, flight: Flight<T>, ended: Ended<T>): void {
    if (this.flights.get(key) === flight) this.flights.delete(key);
    const waiters = [...flight.waiters];
    flight.waiters.clear();
    for (const waiter of waiters) waiter.wake(ended);
  }

  private wait(flight: Flight<T>, caller: string | null, deadlineAt: number): Promise<Ended<T> | { kind: 'deadline' }> {
    return new Promise((resolve) => {
      this.count(caller, +1);
      const done = (outcome: Ended<T> | { kind: 'deadline' }) => {
        if (timer) clearTimeout(timer);
        flight.waiters.delete(waiter);
        this.count(caller, -1);
        resolve(outcome);
      };
      const waiter: Waiter<T> = { caller, wake: done };
      flight.waiters.add(waiter);
      const timer = Number.isFinite(deadlineAt) ? setTimeout(() => done({ kind: 'deadline' }), Math.max(0, deadlineAt - this.now())) : null;
    });
  }

  private count(caller: string | null, delta: 1 | -1): void {
    this.waitingCount += delta;
    if (caller === null) return;
    const n = (this.callers.get(caller) ?? 0) + delta;
    if (n <= 0) this.callers.delete(caller);
    else this.callers.set(caller, n);
  }

  /** Forgets flights past their expiry (their waiters lead again); true when some room was made. */
  private dropExpired(): boolean {
    const now = this.now();
    let dropped = false;
    for (const [key, flight] of this.flights) {
      if (flight.expiresAt > now) continue;
      this.end(key, flight, { kind: 'abandoned' });
      dropped = true;
    }
    return dropped;
  }
}
