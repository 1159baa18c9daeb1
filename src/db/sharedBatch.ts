import DataLoader from 'dataloader';
import type { Pool } from 'pg';
import type { SourceName } from './pools';
import { FanoutRecorder, Sql, type StatementRecorder } from './sql';

/** Reports each shared batch: how many requests and keys it served (metrics). */
export type SharedBatchObserver = (batch: string, requests: number, keys: number) => void;

/**
 * A batch shared by the requests of the whole process — the one deliberate exception to "every
 * loader is per request", for the pass-check hot path only.
 *
 * Why: partner firms send many small checks at once. Per request, a check needs three statements,
 * and sending a statement costs more CPU (the `writev` system call) than the statement's own work
 * in PostgreSQL. Checks that arrive in the same turn of the event loop are sent as one statement
 * per step instead, whatever their number (measured: docs/benchmarks.md).
 *
 * How it stays safe: a batch function is the same one the per-request loaders use, so results
 * are split by key exactly as for one request's keys; nothing is cached across requests (every
 * key is read fresh); a failed statement fails every request in the batch. The batch is
 * scheduled with `setImmediate`, i.e. after the I/O callbacks of the current loop turn: when the
 * server is idle that adds no waiting, under load it gathers what arrived together. With a window
 * (`windowMs` > 0, PASS_CHECK_BATCH_WINDOW_MS) a batch waits that long for more: behind a gateway
 * checks reach a subgraph spread out by the hop, so fewer share one loop turn than on a single
 * server. Subgraphs use 1 ms; `npm start` none (its checks arrive together).
 */
export class SharedBatch<K, V> {
  private readonly loader: DataLoader<{ key: K; recorder: StatementRecorder }, V>;

  constructor(
    readonly name: string,
    pool: Pool,
    source: SourceName,
    run: (sql: Sql, keys: readonly K[]) => Promise<V[]>,
    observe: SharedBatchObserver = () => undefined,
    maxBatchSize = 10_000,
    windowMs = 0,
  ) {
    this.loader = new DataLoader(
      async (entries) => {
        const recorders = new Set(entries.map((e) => e.recorder));
        observe(name, recorders.size, entries.length);
        // Each waiting request counts the statement as its own (its SQL count stays per request).
        return run(new Sql(pool, source, new FanoutRecorder(recorders)), entries.map((e) => e.key));
      },
      { cache: false, maxBatchSize, batchScheduleFn: windowMs > 0 ? (callback) => void setTimeout(callback, windowMs) : (callback) => void setImmediate(callback) },
    );
  }

  /** Values for a request's keys, in order; `recorder` is that request's statement counter. */
  async loadAll(keys: readonly K[], recorder: StatementRecorder): Promise<V[]> {
    const values = await this.loader.loadMany(keys.map((key) => ({ key, recorder })));
    return values.map((v) => {
      if (v instanceof Error) throw v;
      return v;
    });
  }
}
