import DataLoader from 'dataloader';
import { batchScope, type BatchScope } from '../src/db/batchScope';

/** What a store passes on to each of its loaders (batching off: the N+1 baseline of `npm run bench`). */
export type LoaderOptions = { batch?: boolean };

/**
 * A per-request DataLoader that also remembers settled values, so that a field resolver can
 * return a plain value when a list resolver has already loaded it (`peek`) instead of a promise:
 * graphql-js pays for every promise, which on a list of every county dominates execution.
 */
export class Loader<K, V> {
  /**
   * Created on first use: a request builds every store's loaders (dozens) and a pass check uses a
   * few, while each loader's maps and DataLoader live as long as the request runs, and are copied by
   * every young-generation GC that meets it in flight. Under 64 concurrent pass checks this took
   * the promotion per scavenge from ≈ 10 to ≈ 7 MB, and the old-space collections from 22 to 10
   * in one bench run (docs/benchmarks.md, "Pass checks: less per check").
   */
  private state: LoaderState<K, V> | null = null;

  constructor(
    private readonly batch: (keys: readonly K[]) => Promise<readonly V[]>,
    private readonly cacheKey: (key: K) => string,
    private readonly options: {
      batch?: boolean;
      maxBatchSize?: number;
      /** Label of the batch-size metric; default: the name of the batch's first SQL statement. */
      name?: string;
    } = {},
  ) {}

  private get s(): LoaderState<K, V> {
    if (this.state) return this.state;
    const state: LoaderState<K, V> = {
      settled: new Map(),
      pending: new Map(),
      queued: new Map(),
      loader: new DataLoader<string, V, string>(
        async (names) => {
          const keys = names.map((name) => state.queued.get(name) as K);
          for (const name of names) state.queued.delete(name);
          const run = this.runBatch(keys, names);
          for (const name of names) state.pending.set(name, run);
          try {
            return await run;
          } finally {
            for (const name of names) state.pending.delete(name);
          }
        },
        { batch: this.options.batch ?? true, maxBatchSize: this.options.maxBatchSize },
      ),
    };
    return (this.state = state);
  }

  private async runBatch(keys: readonly K[], names: readonly string[]): Promise<readonly V[]> {
    // A batch that sends no SQL itself (it composes other loaders) is not counted.
    const scope: BatchScope = { name: this.options.name };
    let values: readonly V[];
    try {
      values = await batchScope.run(scope, () => this.batch(keys));
    } finally {
      scope.onBatch?.(scope.name ?? 'unnamed', keys.length);
    }
    if (values.length !== keys.length) {
      // DataLoader's contract: one value per key, in key order. Failing here names the culprit.
      throw new Error(`batch function returned ${values.length} values for ${keys.length} keys`);
    }
    const { settled } = this.s;
    names.forEach((n, i) => settled.set(n, values[i]));
    return values;
  }

  load(key: K): Promise<V> {
    return this.loadNamed(this.cacheKey(key), key);
  }

  private loadNamed(name: string, key: K): Promise<V> {
    const { settled, pending, queued, loader } = this.s;
    // a key settled, running or already queued is DataLoader's cache hit: nothing to remember
    if (!settled.has(name) && !pending.has(name) && !queued.has(name)) queued.set(name, key);
    return loader.load(name);
  }

  /**
   * Loads every key, in order; rejects with the first error instead of returning Error values.
   * Keys already settled are read and keys of a running batch wait for that batch; only new keys go
   * through DataLoader, whose cache hit costs a promise and two closures per key: a list's look-ahead
   * asks for the same 2,978 keys several times in one request (the guessed loads, the list's own,
   * the verdicts' summaries), and those hits were the map's largest allocation (≈ 9 MB of 65 a map).
   */
  async loadAll(keys: readonly K[]): Promise<V[]> {
    const { settled, pending } = this.s;
    const names = keys.map(this.cacheKey);
    const batches = new Set<Promise<readonly V[]>>();
    const fresh: Promise<V>[] = [];
    const freshAt: number[] = [];
    names.forEach((name, i) => {
      if (settled.has(name)) return;
      const running = pending.get(name);
      if (running) batches.add(running);
      else {
        fresh.push(this.loadNamed(name, keys[i]));
        freshAt.push(i);
      }
    });
    const [loaded] = await Promise.all([Promise.all(fresh), ...batches]);
    const out = names.map((name) => settled.get(name) as V);
    freshAt.forEach((at, j) => (out[at] = loaded[j]));
    // a batch may fail one key alone with an Error value: DataLoader rejects its load, and so does this
    const failed = out.find((v) => v instanceof Error);
    if (failed) throw failed;
    return out;
  }

  /** The value for `key` if it has already been loaded in this request, else undefined. */
  peek(key: K): V | undefined {
    return this.state?.settled.get(this.cacheKey(key));
  }

  /** A value when settled, else a promise of it: what a field resolver should return. */
  get(key: K): V | Promise<V> {
    const k = this.cacheKey(key);
    const settled = this.state?.settled;
    return settled?.has(k) ? (settled.get(k) as V) : this.loadNamed(k, key);
  }

  prime(key: K, value: V): void {
    const name = this.cacheKey(key);
    const { loader, settled } = this.s;
    loader.prime(name, value);
    settled.set(name, value);
  }
}

/** A loader's maps and DataLoader (see Loader.state). */
interface LoaderState<K, V> {
  settled: Map<string, V>;
  /** Keys whose batch is running, with that batch: `loadAll` waits for the batch, not for a promise per key. */
  pending: Map<string, Promise<readonly V[]>>;
  /**
   * Keys by cache key until their batch starts. DataLoader is keyed by the cache key itself, so each
   * key's string is built once per call, not again by DataLoader and again when its batch settles
   * (building and hashing those strings was a few % of the national map's CPU).
   */
  queued: Map<string, K>;
  loader: DataLoader<string, V, string>;
}
