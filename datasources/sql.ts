import type { Pool, QueryResultRow } from 'pg';
import type { SourceName } from '../src/db/pools';
import { noteBatchStatement } from './loader';

/** Where Sql reports each statement it sends. */
export interface StatementRecorder {
  record(source: SourceName, name: string): void;
}

/**
 * Counts the SQL statements one GraphQL request sends, per datasource. Tests and the response's
 * `extensions.sql` (outside production) read it: round trips must be bounded by query depth.
 */
export class SqlRecorder implements StatementRecorder {
  statements = 0;
  readonly bySource: Record<SourceName, number> = { region: 0, cases: 0, mobility: 0, access: 0 };
  readonly names: string[] = [];
  /** DataLoader batches of this request, by loader name (one entry per batch call). */
  readonly batches: { loader: string; size: number }[] = [];
  private readonly onBatch = (loader: string, size: number) => this.batches.push({ loader, size });

  record(source: SourceName, name: string): void {
    this.statements++;
    this.bySource[source]++;
    this.names.push(name);
    noteBatchStatement(name, this.onBatch);
  }
}

/**
 * Records a statement with every request that waits on it: a statement shared by several
 * requests (datasources/sharedBatch.ts) counts once for each of them, as if it were its own.
 */
export class FanoutRecorder implements StatementRecorder {
  constructor(private readonly recorders: Iterable<StatementRecorder>) {}

  record(source: SourceName, name: string): void {
    for (const r of this.recorders) r.record(source, name);
  }
}

/**
 * The only way datasources reach PostgreSQL. Every statement carries its name as a leading
 * comment (`/* RegionSource.byCode *\/`), so pg_stat_statements and slow-query logs say who sent it.
 */
export class Sql {
  constructor(
    private readonly pool: Pool,
    private readonly source: SourceName,
    private readonly recorder: StatementRecorder,
  ) {}

  async query<R extends QueryResultRow>(name: string, text: string, params: unknown[] = []): Promise<R[]> {
    this.recorder.record(this.source, name);
    const result = await this.pool.query<R>(`/* ${name} */ ${text}`, params);
    return result.rows;
  }

  /** Runs `fn` in one transaction on one connection; statements inside are counted too. */
  async transaction<T>(name: string, fn: (query: Sql['query']) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    const query: Sql['query'] = async (n, text, params = []) => {
      this.recorder.record(this.source, n);
      return (await client.query(`/* ${n} */ ${text}`, params)).rows;
    };
    try {
      await client.query(`/* ${name} */ BEGIN`);
      const result = await fn(query);
      await client.query('COMMIT');
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }
}
