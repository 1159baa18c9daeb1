import { REQUEST_CLASSES, type ClassLimits, type RequestClass } from './requestClass';
import type { LoadSignal } from './load';

/**
 * Admission control per request class (docs/limits.md, "Bulkheads and load shedding"): before a request executes, it takes a
 * slot of its class, or waits for one (FIFO, until its deadline), or is refused at once:
 * - 429 `RATE_LIMITED` when its caller already has `perCaller` requests of the class running or
 *   waiting (a key by its id, a PUBLIC caller by its address or IPv6 /64);
 * - 503 `SERVICE_UNAVAILABLE` with `Retry-After` when the event loop is later than the class's
 *   `shedLagMs` (public first, then official, then self), or busier than its `shedBusyPercent`
 *   while pass checks are being served (one was admitted in the last second), or when the class's own database
 *   connections have twice as many statements waiting (`saturated`) — pass checks, which have no
 *   `shedLagMs`, are never shed for load — or when twice `concurrency` requests already wait;
 * - 503 when its deadline passes while it waits.
 * Memory is bounded: per class at most 3 × `concurrency` requests are counted (running and
 * waiting), and a caller's count is dropped when it reaches 0.
 *
 * No GraphQL here: a refusal is an AdmissionRefusal, which `npm start` (src/limits/admissionPlugin.ts)
 * and the gateway (gateway/contract.ts) turn into their own error objects.
 */
export type RefusalReason = 'caller_limit' | 'event_loop_lag' | 'event_loop_busy' | 'pool_saturated' | 'queue_full' | 'deadline';

/** A pass check admitted within this long means pass checks are being served: `shedBusyPercent` here, the statements' turns in src/db/statementShare.ts. */
export const PASS_RECENT_MS = 1_000;

export class AdmissionRefusal extends Error {
  override name = 'AdmissionRefusal';
  constructor(
    message: string,
    readonly requestClass: RequestClass,
    readonly reason: RefusalReason,
    readonly status: 429 | 503,
    readonly code: 'RATE_LIMITED' | 'SERVICE_UNAVAILABLE',
    readonly retryAfterSeconds: number,
  ) {
    super(message);
  }

  /** `extensions` of the GraphQL error that carries it (without the HTTP part). */
  extensions(): Record<string, unknown> {
    return { code: this.code, reason: this.reason, requestClass: this.requestClass, retryAfterSeconds: this.retryAfterSeconds };
  }
}

export interface Ticket {
  /** Gives the slot back (idempotent). */
  release(): void;
}

export interface AdmissionOptions {
  lag: LoadSignal;
  /** True when the class's own connections of some datasource all have statements waiting. */
  saturated?: (requestClass: RequestClass) => boolean;
  /** Every refusal, for metrics. */
  onRefused?: (requestClass: RequestClass, reason: RefusalReason) => void;
  now?: () => number;
}

interface Waiter {
  caller: string | null;
  grant: (ticket: Ticket) => void;
  timer: NodeJS.Timeout;
}

interface ClassState {
  running: number;
  queue: Waiter[];
  callers: Map<string, number>;
}

const NOTHING: Ticket = { release: () => undefined };

export class Admission {
  private readonly state: Record<RequestClass, ClassState>;
  private readonly now: () => number;
  /** When a pass check was last admitted (not "a class never shed for lag": SHED_LAG_MS=none may make any class so). */
  private priorityAdmittedAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly limits: Readonly<Record<RequestClass, ClassLimits>>,
    private readonly options: AdmissionOptions,
  ) {
    this.state = Object.fromEntries(REQUEST_CLASSES.map((c) => [c, { running: 0, queue: [], callers: new Map() }])) as unknown as Record<RequestClass, ClassState>;
    this.now = options.now ?? Date.now;
  }

  /**
   * A slot of `requestClass` for one request of `caller` (null: not counted per caller, e.g. a
   * subgraph's fetch, whose client the gateway counted), waiting at most until `deadlineAt`.
   */
  admit(requestClass: RequestClass, caller: string | null, deadlineAt: number): Promise<Ticket> {
    const limits = this.limits[requestClass];
    const state = this.state[requestClass];
    if (caller !== null && (state.callers.get(caller) ?? 0) >= limits.perCaller) {
      return this.refuse(
        requestClass,
        'caller_limit',
        429,
        1,
        `This caller already has ${limits.perCaller} ${describe(requestClass)} running or waiting; send the next one when one has finished.`,
      );
    }
    // load shedding: a class with no lag threshold (pass checks) is never shed for load, only for its own limits
    const lag = limits.shedLagMs === null ? 0 : this.options.lag.lagMs();
    if (limits.shedLagMs !== null && lag >= limits.shedLagMs) {
      return this.refuse(requestClass, 'event_loop_lag', 503, 2, `The server is overloaded (${Math.round(lag)} ms behind): ${describe(requestClass)} are refused for now; retry in 2 s.`);
    }
    if (limits.shedBusyPercent !== null && this.now() - this.priorityAdmittedAt < PASS_RECENT_MS) {
      const busy = this.options.lag.busy?.() ?? 0;
      if (busy * 100 >= limits.shedBusyPercent) {
        return this.refuse(
          requestClass,
          'event_loop_busy',
          503,
          1,
          `The server is saturated (busy ${Math.round(busy * 100)} % of the time) while pass checks are being served: ${describe(requestClass)} are refused for now; retry in 1 s.`,
        );
      }
    }
    if (limits.shedLagMs !== null && this.options.saturated?.(requestClass)) {
      return this.refuse(requestClass, 'pool_saturated', 503, 1, `Every database connection for ${describe(requestClass)} is busy with others waiting; retry in 1 s.`);
    }
    if (state.running < limits.concurrency && state.queue.length === 0) return Promise.resolve(this.take(requestClass, caller));
    if (state.queue.length >= 2 * limits.concurrency) {
      return this.refuse(requestClass, 'queue_full', 503, 1, `Too many ${describe(requestClass)} are waiting; retry in 1 s.`);
    }
    this.count(requestClass, caller, +1);
    return new Promise<Ticket>((resolve, reject) => {
      const waiter: Waiter = {
        caller,
        grant: resolve,
        timer: setTimeout(() => {
          state.queue.splice(state.queue.indexOf(waiter), 1);
          this.count(requestClass, caller, -1);
          this.options.onRefused?.(requestClass, 'deadline');
          reject(new AdmissionRefusal(`The request waited past its deadline of ${limits.deadlineMs} ms for a turn among ${describe(requestClass)}; retry later.`, requestClass, 'deadline', 503, 'SERVICE_UNAVAILABLE', 2));
        }, Math.max(0, deadlineAt - this.now())),
      };
      state.queue.push(waiter);
    });
  }

  /** Requests running and waiting, per class (metrics). */
  snapshot(): Record<RequestClass, { running: number; waiting: number }> {
    return Object.fromEntries(REQUEST_CLASSES.map((c) => [c, { running: this.state[c].running, waiting: this.state[c].queue.length }])) as Record<RequestClass, { running: number; waiting: number }>;
  }

  private take(requestClass: RequestClass, caller: string | null, counted = false): Ticket {
    const state = this.state[requestClass];
    if (requestClass === 'pass') this.priorityAdmittedAt = this.now();
    state.running++;
    if (!counted) this.count(requestClass, caller, +1);
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        state.running--;
        this.count(requestClass, caller, -1);
        const next = state.queue.shift();
        if (next) {
          clearTimeout(next.timer);
          next.grant(this.take(requestClass, next.caller, true));
        }
      },
    };
  }

  private count(requestClass: RequestClass, caller: string | null, delta: 1 | -1): void {
    if (caller === null) return;
    const callers = this.state[requestClass].callers;
    const n = (callers.get(caller) ?? 0) + delta;
    if (n <= 0) callers.delete(caller);
    else callers.set(caller, n);
  }

  private refuse(requestClass: RequestClass, reason: RefusalReason, status: 429 | 503, retryAfterSeconds: number, message: string): Promise<Ticket> {
    this.options.onRefused?.(requestClass, reason);
    return Promise.reject(new AdmissionRefusal(message, requestClass, reason, status, status === 429 ? 'RATE_LIMITED' : 'SERVICE_UNAVAILABLE', retryAfterSeconds));
  }
}

const DESCRIPTIONS: Record<RequestClass, string> = {
  pass: 'pass checks',
  self: 'self-service lookups',
  official: 'official (GOV, HEALTH) requests',
  public: 'public and partner aggregate requests',
};

function describe(requestClass: RequestClass): string {
  return DESCRIPTIONS[requestClass];
}

export { NOTHING as NO_TICKET };
