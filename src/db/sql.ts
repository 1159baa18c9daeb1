import type { Pool, QueryResultRow } from 'pg';
import type { SourceName } from './pools';
import { noteBatchStatement } from './batchScope';

/** Where Sql reports each statement it sends. */
export interface StatementRecorder {
  record(source: SourceName, name: string): void;
  /** From now on this request reads `source` from the primary (read-your-writes; see Sql). */
  pinToPrimary?(source: SourceName): void;
  pinnedToPrimary?(source: SourceName): boolean;
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
  /** Sources this request has written to (or must otherwise read fresh): their reads skip the replica. */
  readonly primaryOnly = new Set<SourceName>();

  record(source: SourceName, name: string): void {
    this.statements++;
    this.bySource[source]++;
    this.names.push(name);
    noteBatchStatement(name, this.onBatch);
  }

  pinToPrimary(source: SourceName): void {
    this.primaryOnly.add(source);
  }

  pinnedToPrimary(source: SourceName): boolean {
    return this.primaryOnly.has(source);
  }
}

/**
 * Records a statement with every request that waits on it: a statement shared by several
 * requests (src/db/sharedBatch.ts) counts once for each of them, as if it were its own.
 */
export class FanoutRecorder implements StatementRecorder {
  constructor(private readonly recorders: Iterable<StatementRecorder>) {}

  record(source: SourceName, name: string): void {
    for (const r of this.recorders) r.record(source, name);
  }

  pinToPrimary(source: SourceName): void {
    for (const r of this.recorders) r.pinToPrimary?.(source);
  }
}

/**
 * The only way datasources reach PostgreSQL. Every statement carries its name as a leading
 * comment (`/* RegionSource.byCode *\/`), so pg_stat_statements and slow-query logs say who sent it.
 *
 * Read replicas (docs/federation.md, "Read replicas"): with a `readPool`, the method says where a statement goes.
 * - `query`: a plain read. The replica, unless this request has pinned the source to the primary.
 * - `write`: anything that writes (INSERT/UPDATE/DELETE, a CTE that does, pg_notify). The primary,
 *   and it pins the source: the request's later reads of it go to the primary too (read-your-writes).
 *   The read pool's sessions are read-only, so a write sent with `query` fails instead of slipping by.
 * - `queryPrimary`: a read that must see the last commit whatever the replica's lag (the case data
 *   version that keys caches). The primary; pins nothing.
 * - `transaction`: the primary, pinning the source (transactions exist to write).
 * Without a read pool every method goes to the primary, as before replicas existed.
 */
export class Sql {
  constructor(
    private readonly pool: Pool,
    private readonly source: SourceName,
    private readonly recorder: StatementRecorder,
    private readonly readPool: Pool | null = null,
  ) {}

  /** A read: on the source's replica when it has one and this request has not pinned the source. */
  async query<R extends QueryResultRow>(name: string, text: string, params: unknown[] = []): Promise<R[]> {
    return this.send<R>(this.readsFromReplica ? this.readPool! : this.pool, name, text, params);
  }

  /** A statement that writes: on the primary; this request's later reads of the source follow it there. */
  async write<R extends QueryResultRow>(name: string, text: string, params: unknown[] = []): Promise<R[]> {
    this.pinToPrimary();
    return this.send<R>(this.pool, name, text, params);
  }

  /** A read that must be exact across instances (not behind the last commit): always on the primary. */
  async queryPrimary<R extends QueryResultRow>(name: string, text: string, params: unknown[] = []): Promise<R[]> {
    return this.send<R>(this.pool, name, text, params);
  }

  /** True when `query` would go to the replica. */
  get readsFromReplica(): boolean {
    return this.readPool !== null && !this.recorder.pinnedToPrimary?.(this.source);
  }

  /** This request reads the source from the primary from now on (after a write, or when the replica is behind). */
  pinToPrimary(): void {
    this.recorder.pinToPrimary?.(this.source);
  }

  /** Runs `fn` in one transaction on one connection of the primary; statements inside are counted too. */
  async transaction<T>(name: string, fn: (query: Sql['query']) => Promise<T>): Promise<T> {
    this.pinToPrimary();
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

  private async send<R extends QueryResultRow>(pool: Pool, name: string, text: string, params: unknown[]): Promise<R[]> {
    this.recorder.record(this.source, name);
    const result = await pool.query<R>(`/* ${name} */ ${text}`, params);
    return result.rows;
  }
}
