import type pg from 'pg';
import type { Logger } from 'pino';
import { listenForRiskChanges, type RiskChangeListener, type RiskLevelChangeEvent } from '../db/riskChannel';

/** A subscriber that reads slower than changes arrive loses the oldest beyond this many. */
const MAX_QUEUED_EVENTS = 1000;
const RETRY_MIN_MS = 250;
const RETRY_MAX_MS = 30_000;

/**
 * Fans out county risk level changes to this process's subscribers. The changes come from
 * PostgreSQL NOTIFY (sent by the ingesting transaction on whichever instance ran it), heard on one
 * LISTEN connection per app: opened with the first subscriber, re-opened after a drop with backoff.
 * Changes committed while the connection is down are not replayed (logged as a warning); a client
 * that must not miss one re-reads the levels after a reconnect.
 */
export class RiskChangeHub {
  private readonly subscribers = new Set<(event: RiskLevelChangeEvent) => void>();
  private listener: Promise<RiskChangeListener> | null = null;
  private retryMs = RETRY_MIN_MS;
  private retryTimer: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(
    private readonly connection: pg.ClientConfig,
    private readonly logger: Logger,
  ) {}

  /** Changes that pass `accept`, as an async iterator that stops listening when returned. */
  async subscribe(accept: (event: RiskLevelChangeEvent) => boolean): Promise<AsyncIterableIterator<RiskLevelChangeEvent>> {
    const queue = new EventQueue<RiskLevelChangeEvent>(MAX_QUEUED_EVENTS, () => this.subscribers.delete(push));
    const push = (event: RiskLevelChangeEvent) => {
      if (accept(event) && queue.push(event)) this.logger.warn({ regionCode: event.regionCode }, 'live updates: a slow subscriber lost a change');
    };
    this.subscribers.add(push);
    try {
      // The subscription starts once LISTEN is in place, so no change committed after it is missed.
      await this.listening();
    } catch (err) {
      this.subscribers.delete(push);
      throw err;
    }
    return queue;
  }

  /** Closes the LISTEN connection for good (shutdown; the sockets, and so the iterators, are closed by the WebSocket server). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    const listener = this.listener;
    this.listener = null;
    await listener?.then((l) => l.close(), () => undefined);
  }

  private listening(): Promise<RiskChangeListener> {
    if (this.stopped) return Promise.reject(new Error('live updates are stopped (the server is shutting down)'));
    if (!this.listener) {
      const opening = listenForRiskChanges(this.connection, (e) => this.dispatch(e), (err) => this.lost(opening, err));
      this.listener = opening;
      opening.then(
        () => (this.retryMs = RETRY_MIN_MS),
        (err: unknown) => {
          if (this.listener === opening) this.listener = null;
          this.logger.error({ err }, 'live updates: cannot LISTEN on the cases database');
          if (this.subscribers.size > 0) this.retry();
        },
      );
    }
    return this.listener;
  }

  private dispatch(event: RiskLevelChangeEvent): void {
    for (const push of this.subscribers) push(event);
  }

  private lost(connection: Promise<RiskChangeListener>, err: Error | null): void {
    if (this.listener !== connection) return;
    this.listener = null;
    this.logger.warn({ err }, 'live updates: LISTEN connection lost; changes until it is back are not delivered');
    if (this.subscribers.size > 0) this.retry();
  }

  private retry(): void {
    if (this.stopped || this.retryTimer) return;
    const delay = this.retryMs;
    this.retryMs = Math.min(this.retryMs * 2, RETRY_MAX_MS);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      if (this.stopped || this.subscribers.size === 0) return;
      this.listening().then(
        () => this.logger.info('live updates: LISTEN connection restored'),
        () => undefined, // logged and retried by listening()
      );
    }, delay);
    this.retryTimer.unref();
  }
}

/**
 * A bounded queue read as an async iterator (what graphql-js' `subscribe` consumes). `return()`,
 * called when the client completes or disconnects, detaches it from the hub.
 */
class EventQueue<T> implements AsyncIterableIterator<T> {
  private readonly items: T[] = [];
  private waiting: ((result: IteratorResult<T>) => void) | null = null;
  private done = false;

  constructor(
    private readonly capacity: number,
    private readonly onReturn: () => void,
  ) {}

  /** Adds an item; true when the oldest one had to be dropped. */
  push(item: T): boolean {
    if (this.done) return false;
    if (this.waiting) {
      const resolve = this.waiting;
      this.waiting = null;
      resolve({ value: item, done: false });
      return false;
    }
    this.items.push(item);
    if (this.items.length <= this.capacity) return false;
    this.items.shift();
    return true;
  }

  next(): Promise<IteratorResult<T>> {
    if (this.items.length > 0) return Promise.resolve({ value: this.items.shift() as T, done: false });
    if (this.done) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => (this.waiting = resolve));
  }

  return(): Promise<IteratorResult<T>> {
    if (!this.done) {
      this.done = true;
      this.items.length = 0;
      this.onReturn();
      this.waiting?.({ value: undefined, done: true });
      this.waiting = null;
    }
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<T> {
    return this;
  }
}
