import { defaultFieldResolver, getNullableType, isListType, type GraphQLFieldResolver, type GraphQLSchema } from 'graphql';
import { MapperKind, mapSchema } from '@graphql-tools/utils';

/**
 * Execution in slices (docs/limits.md, "Bulkheads and load shedding"): the answers of the expensive
 * classes are built at most `sliceMs` at a time per turn of the event loop, so that a pass check
 * waits behind one slice, not behind a whole dashboard.
 *
 * Why: graphql-js completes a field's value, and everything under it, in one run of microtasks once
 * its data is there; nothing else in the process runs meanwhile. An admitted query at the edge of
 * its budget (2,207 counties × 366 days of figures, up to the role's 4–8 MiB of JSON) is hundreds of
 * milliseconds of such a run, and the lag shedder only refuses the *next* ones once the loop is late:
 * under the attack bench, pass checks waited seconds while every request class shared the loop.
 *
 * How: every list field's resolver is wrapped (`applyExecutionSlices`). The first list resolved in
 * a turn of the loop opens a slice, which the turn's `setImmediate` phase closes. A list resolved
 * after the slice has run `sliceMs` gives its value as a promise that waits in line: graphql-js waits
 * for it, the rest of the run ends soon (every later list waits too; a list being walked is walked to
 * its end), and the loop reads its sockets (pass checks, the database's answers) before the next
 * slice lets waiting fields go, first come first served, until it is spent. One line for the whole
 * process: however many requests are paced, together they take one slice per turn. The resolvers
 * themselves are still called when graphql-js calls them, so the DataLoader loads of a list's items
 * are made in one tick and batched as before; fields completed in two slices may take one more batch.
 *
 * Pass checks (class `pass`) are never paced: their answers are small, and they are what the slices
 * make room for. Requests without a class (subscriptions, internal callers) are not either.
 */
/**
 * 10 ms: a pass check waits at most about this long behind the expensive classes' answers (one slice
 * per turn, plus what no slice cuts: writing an answer's JSON), and an answer takes a promise hop
 * per 10 ms of building, which costs nothing measurable.
 */
export const DEFAULT_EXECUTION_SLICE_MS = 10;

/**
 * Promise-valued lists one slice lets go without waiting: a county's 30 days of figures take
 * ≈ 50 µs to build, so 64 of them are a few milliseconds, within a slice.
 */
export const RESOLVED_PER_SLICE = 64;

export class ExecutionSlices {
  /** When this turn's slice is spent (performance.now()); 0: no slice open. */
  private endsAt = 0;
  /** Set once the open slice is spent: every field after it waits. */
  private over = false;
  /** Lists since the clock was last read: it is read every 16, not at each of the map's 2,900 counties. */
  private sinceCheck = 0;
  /** Promise-valued lists let go in the open slice (`pace`). */
  private resolvedInSlice = 0;
  /** Fields waiting for a slice, first come first served (`head`: the next one). */
  private waiting: ((() => void) | undefined)[] = [];
  private head = 0;
  private pumpScheduled = false;
  /** Holds in force (`hold`): while any is, no waiting field is let go. */
  private holds = 0;
  /** Slices that ran out with fields left to build (metrics, tests). */
  spentSlices = 0;

  constructor(readonly sliceMs: number) {}

  /**
   * `value` now, or a promise of it once a later slice has room.
   *
   * A promise's value is decided when it resolves — and the lists of one DataLoader batch (each
   * county's `daily`) all resolve together, in one run of microtasks, before graphql-js has built any
   * of them: the clock has not moved yet, so the clock alone let every one of 2,000 such lists into
   * one slice. At most `RESOLVED_PER_SLICE` promise-valued lists go straight on per slice; the rest
   * wait in line and are let go one at a time, each after the previous one is built, while the slice
   * lasts (`pump`).
   */
  pace(value: unknown): unknown {
    if (isPromiseLike(value)) return Promise.resolve(value).then((v) => (this.spent() || this.resolvedOver() ? this.later(v) : v));
    return this.spent() ? this.later(value) : value;
  }

  /** Counts a promise-valued list let go in this slice; true (the slice spent) past RESOLVED_PER_SLICE. */
  private resolvedOver(): boolean {
    if (++this.resolvedInSlice <= RESOLVED_PER_SLICE) return false;
    this.over = true;
    this.spentSlices++;
    return true;
  }

  /**
   * Stops the expensive classes' answers until the returned function is called: every list paced
   * meanwhile waits, and no waiting one is let go (pass checks are never paced). What tests use to
   * hold an answer mid-build without racing its end: on a fast machine a whole answer's lists can be
   * decided within one slice, so waiting for a slice to run out is not deterministic.
   */
  hold(): () => void {
    this.holds++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      if (--this.holds === 0 && this.waitingCount > 0 && !this.pumpScheduled) {
        this.pumpScheduled = true;
        setImmediate(this.pump);
      }
    };
  }

  /** Fields waiting for a slice now. */
  get waitingCount(): number {
    return this.waiting.length - this.head;
  }

  private spent(): boolean {
    // held: every paced list waits, whatever the clock (a slice's length decides nothing then)
    if (this.holds > 0) {
      if (!this.over) {
        this.over = true;
        this.spentSlices++;
      }
      return true;
    }
    if (this.endsAt === 0) {
      this.open();
      return false;
    }
    if (this.over) return true;
    if (++this.sinceCheck < 16) return false;
    this.sinceCheck = 0;
    if (performance.now() < this.endsAt) return false;
    this.over = true;
    this.spentSlices++;
    return true;
  }

  /** A slice for this turn; the turn's `setImmediate` phase ends it (`pump`). */
  private open(): void {
    this.endsAt = performance.now() + this.sliceMs;
    this.over = false;
    this.sinceCheck = 0;
    this.resolvedInSlice = 0;
    if (!this.pumpScheduled) {
      this.pumpScheduled = true;
      setImmediate(this.pump);
    }
  }

  private later(value: unknown): Promise<unknown> {
    return new Promise((resolve) => this.waiting.push(() => resolve(value)));
  }

  /**
   * The end of a turn: the slice closes; if fields wait, a new slice opens for them and lets them go
   * one at a time, each after the previous one's continuation has run (a microtask later), until it
   * is spent or has let RESOLVED_PER_SLICE go (a field let go may be built a few microtasks later,
   * after the clock was read for the next); the rest wait for the next turn, after the loop has read
   * its sockets.
   */
  private readonly pump = () => {
    this.pumpScheduled = false;
    this.endsAt = 0;
    this.over = false;
    if (this.waitingCount === 0 || this.holds > 0) return;
    this.open();
    let released = 0;
    const step = () => {
      if (this.waitingCount === 0) return;
      if (this.over || released++ >= RESOLVED_PER_SLICE || performance.now() >= this.endsAt) {
        if (!this.over) this.spentSlices++;
        this.over = true;
        return;
      }
      const release = this.waiting[this.head]!;
      this.waiting[this.head++] = undefined;
      if (this.head > 1024 && this.head * 2 > this.waiting.length) {
        this.waiting = this.waiting.slice(this.head);
        this.head = 0;
      }
      release();
      queueMicrotask(step);
    };
    step();
  };
}

const processSlices = new Map<number, ExecutionSlices>();

/** The slices of this process for `sliceMs` (the apps of `npm run start:federated` share one loop, so one gate). */
export function executionSlices(sliceMs: number): ExecutionSlices {
  let slices = processSlices.get(sliceMs);
  if (!slices) processSlices.set(sliceMs, (slices = new ExecutionSlices(sliceMs)));
  return slices;
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}

/** What the wrapper reads of a request's context: the process's slices, and the request's class once known. */
type SliceContext = { slices?: ExecutionSlices | null; lane?: { requestClass: string | null } } | null | undefined;

function paced(resolve: GraphQLFieldResolver<unknown, SliceContext>): GraphQLFieldResolver<unknown, SliceContext> {
  return (source, args, context, info) => {
    const result = resolve(source, args, context, info);
    const slices = context?.slices;
    const requestClass = context?.lane?.requestClass;
    if (!slices || !requestClass || requestClass === 'pass') return result;
    return slices.pace(result);
  };
}

/**
 * The schema with every list field's value paced by the request's `slices` (none: as before). Lists
 * only: what takes time is walking a list's items and everything under them, and a value that waits
 * makes graphql-js complete its parent through promises, which for every leaf would double the work
 * of a large answer (measured: 1,500 counties × 41 days took twice as long paced at every field).
 */
export function applyExecutionSlices(schema: GraphQLSchema): GraphQLSchema {
  return mapSchema(schema, {
    [MapperKind.OBJECT_FIELD]: (fieldConfig) =>
      isListType(getNullableType(fieldConfig.type)) ? { ...fieldConfig, resolve: paced(fieldConfig.resolve ?? defaultFieldResolver) } : fieldConfig,
  });
}
