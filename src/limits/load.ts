/**
 * How late this process's event loop is: the signal that the server is CPU-saturated (answers
 * being built, JSON being written, parsing) whatever the database is doing. A timer asks to run
 * every 100 ms and notes how much later than that it ran; the lag is the largest delay of the last
 * half second. Short enough that a server recovers from shedding within a second of the load
 * passing, long enough that one garbage collection pause does not flip it.
 * One per process (every app of `npm run start:federated` shares the loop); the timer is unref'd.
 */
export interface LoadSignal {
  /** Milliseconds the event loop has been behind, recently. */
  lagMs(): number;
}

const INTERVAL_MS = 100;
const WINDOW = 5;

class EventLoopLag implements LoadSignal {
  private readonly recent = new Float64Array(WINDOW);
  private next = 0;
  private last = performance.now();

  constructor() {
    setInterval(() => {
      const now = performance.now();
      this.recent[this.next] = Math.max(0, now - this.last - INTERVAL_MS);
      this.next = (this.next + 1) % WINDOW;
      this.last = now;
    }, INTERVAL_MS).unref();
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
