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
  private readonly settled = new Map<string, V>();
  private readonly loader: DataLoader<K, V, string>;

  constructor(
    batch: (keys: readonly K[]) => Promise<readonly V[]>,
    private readonly cacheKey: (key: K) => string,
    options: {
      batch?: boolean;
      maxBatchSize?: number;
      /** Label of the batch-size metric; default: the name of the batch's first SQL statement. */
      name?: string;
    } = {},
  ) {
    this.loader = new DataLoader<K, V, string>(
      async (keys) => {
        // A batch that sends no SQL itself (it composes other loaders) is not counted.
        const scope: BatchScope = { name: options.name };
        let values: readonly V[];
        try {
          values = await batchScope.run(scope, () => batch(keys));
        } finally {
          scope.onBatch?.(scope.name ?? 'unnamed', keys.length);
        }
        if (values.length !== keys.length) {
          // DataLoader's contract: one value per key, in key order. Failing here names the culprit.
          throw new Error(`batch function returned ${values.length} values for ${keys.length} keys`);
        }
        keys.forEach((k, i) => this.settled.set(cacheKey(k), values[i]));
        return values;
      },
      { cacheKeyFn: cacheKey, batch: options.batch ?? true, maxBatchSize: options.maxBatchSize },
    );
  }

  load(key: K): Promise<V> {
    return this.loader.load(key);
  }

  /** Loads every key; rejects with the first error instead of returning Error values. */
  async loadAll(keys: readonly K[]): Promise<V[]> {
    return Promise.all(keys.map((k) => this.loader.load(k)));
  }

  /** The value for `key` if it has already been loaded in this request, else undefined. */
  peek(key: K): V | undefined {
    return this.settled.get(this.cacheKey(key));
  }

  /** A value when settled, else a promise of it: what a field resolver should return. */
  get(key: K): V | Promise<V> {
    const k = this.cacheKey(key);
    return this.settled.has(k) ? (this.settled.get(k) as V) : this.loader.load(key);
  }

  prime(key: K, value: V): void {
    this.loader.prime(key, value);
    this.settled.set(this.cacheKey(key), value);
  }
}
