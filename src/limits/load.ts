import { performance as nodePerformance } from 'node:perf_hooks';

/**
 * How late and how busy this process's event loop is: the signals that the server is CPU-saturated
 * (answers being built, JSON being written, parsing) whatever the database is doing. A timer asks
 * to run every 100 ms and notes how much later than that it ran; the lag is the largest delay of
 * the last half second. Short enough that a server recovers from shedding within a second of the
 * load passing, long enough that one garbage collection pause does not flip it.
 *
 * Lag alone misses a saturated loop that keeps turning: answers built in slices (src/limits/slices.ts)
 * give the timer its turn every 10 ms, so the loop is never late by much while it runs nothing but
 * dashboards' work, and a pass check waits behind a slice, the writing of finished answers and their
 * garbage at every turn. So the same timer also reads the loop's utilization (the share of time it
 * ran callbacks rather than waited for I/O, `eventLoopUtilization` of node:perf_hooks) over the same half
 * second: `busy()`.
 * One per process (every app of `npm run start:federated` shares the loop); the timer is unref'd.
 */
export interface LoadSignal {
  /** Milliseconds the event loop has been behind, recently. */
  lagMs(): number;
  /** The share (0–1) of the last half second the event loop spent running; absent: not measured. */
  busy?(): number;
}

const INTERVAL_MS = 100;
const WINDOW = 5;

class EventLoopLag implements LoadSignal {
  private readonly recent = new Float64Array(WINDOW);
  private readonly recentBusy = new Float64Array(WINDOW);
  private next = 0;
  private last = performance.now();
  private lastUtilization = nodePerformance.eventLoopUtilization();

  constructor() {
    setInterval(() => {
      const now = performance.now();
      const utilization = nodePerformance.eventLoopUtilization();
      this.recent[this.next] = Math.max(0, now - this.last - INTERVAL_MS);
      this.recentBusy[this.next] = nodePerformance.eventLoopUtilization(utilization, this.lastUtilization).utilization;
      this.next = (this.next + 1) % WINDOW;
      this.last = now;
      this.lastUtilization = utilization;
    }, INTERVAL_MS).unref();
  }

  busy(): number {
    let sum = 0;
    for (const share of this.recentBusy) sum += share;
    return sum / WINDOW;
  }

  lagMs(): number {
    // a sample that has not come yet counts too: a loop blocked right now is late by that much
    const pending = Math.max(0, performance.now() - this.last - INTERVAL_MS);
    return Math.max(pending, ...this.recent);
  }
}

let processLag: EventLoopLag | null = null;

/** The event-loop lag of this process, measured from the first call on. */
export function eventLoopLag(): LoadSignal {
  processLag ??= new EventLoopLag();
  return processLag;
}
