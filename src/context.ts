import { randomUUID } from 'node:crypto';
import type { Pools } from './db/pools';
import { createSources, SqlRecorder, type SourceOptions, type Sources } from '../datasources';

/** Everything a resolver may use for one request. */
export interface Context {
  requestId: string;
  sql: SqlRecorder;
  sources: Sources;
}

export function createContext(pools: Pools, options: SourceOptions & { requestId?: string } = {}): Context {
  const sql = new SqlRecorder();
  return {
    requestId: options.requestId ?? randomUUID(),
    sql,
    sources: createSources(pools, sql, options),
  };
}
