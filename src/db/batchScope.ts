import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * What one batch call learns while it runs. Sql.query fills it in (`noteBatchStatement`): the first
 * statement's name (`RegionSource.byCode`) names the loader, and its recorder is the request's, so
 * the batch size is counted with that request without changing how datasources build their loaders.
 */
export interface BatchScope {
  name?: string;
  onBatch?: (loader: string, size: number) => void;
}
export const batchScope = new AsyncLocalStorage<BatchScope>();

/** Called by Sql for every statement: names the running batch after its first statement. */
export function noteBatchStatement(name: string, onBatch: (loader: string, size: number) => void): void {
  const scope = batchScope.getStore();
  if (scope && scope.onBatch === undefined) {
    scope.name ??= name;
    scope.onBatch = onBatch;
  }
}
