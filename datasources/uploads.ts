import type { Writable } from 'node:stream';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { Sql, SqlRecorder } from '../src/db/sql';
import type { Pools } from '../src/db/pools';
import { countyCodes } from './region';
import { bumpDataVersion } from './case';
import { registerPersons } from './person';
import { encodeCursor, type Page } from '../src/graphql/pagination';

/**
 * Carriers' uploads (docs/ingestion.md) in the mobility datasource: the job records
 * (`mobility.ingest_jobs`) and the staging of one upload. SQL only; the rules and the order of
 * the steps are services/ingestion's.
 */

export type IngestKind = 'FLOWS' | 'STAYS';
export type IngestStatus = 'RUNNING' | 'SUCCEEDED' | 'REJECTED' | 'FAILED';
export type IngestFormat = 'CSV' | 'NDJSON';

/** One problem of an upload: the data row (1 = the first after a CSV header; null: the file as a whole), the column, why. */
export interface IngestError {
  row: number | null;
  column: string | null;
  message: string;
}

/** An upload as recorded. */
export interface IngestJob {
  id: string;
  operator: string;
  kind: IngestKind;
  status: IngestStatus;
  partial: boolean;
  format: IngestFormat;
  startedAt: Date;
  finishedAt: Date | null;
  bytes: number;
  rowsReceived: number;
  rowsApplied: number;
  rowsReplaced: number;
  errorCount: number;
  errors: IngestError[];
  dates: string[];
}

/** What an upload ended with, written once: the job's counts, and its final status. */
export interface IngestOutcome extends Pick<IngestJob, 'bytes' | 'rowsReceived' | 'rowsApplied' | 'rowsReplaced' | 'errorCount'> {
  status: Exclude<IngestStatus, 'RUNNING'>;
  errors: readonly IngestError[];
  dates: readonly string[];
}

interface JobRow {
  id: string;
  operator: string;
  kind: IngestKind;
  status: IngestStatus;
  partial: boolean;
  format: IngestFormat;
  started_at: Date;
  finished_at: Date | null;
  bytes: string;
  rows_received: string;
  rows_applied: string;
  rows_replaced: string;
  error_count: string;
  errors: IngestError[];
  dates: string[];
}

const JOB_COLUMNS = `id, operator, kind, status, partial, format, started_at, finished_at, bytes, rows_received, rows_applied,
  rows_replaced, error_count, errors, dates::text[] AS dates`;

const toJob = (r: JobRow): IngestJob => ({
  id: r.id,
  operator: r.operator,
  kind: r.kind,
  status: r.status,
  partial: r.partial,
  format: r.format,
  startedAt: r.started_at,
  finishedAt: r.finished_at,
  bytes: Number(r.bytes),
  rowsReceived: Number(r.rows_received),
  rowsApplied: Number(r.rows_applied),
  rowsReplaced: Number(r.rows_replaced),
  errorCount: Number(r.error_count),
  errors: r.errors,
  dates: r.dates,
});

/** The job records: written by the upload path, read (own operator only) by Query.ingestJob(s). */
export class IngestJobStore {
  constructor(private readonly sql: Sql) {}

  async start(job: { id: string; operator: string; kind: IngestKind; partial: boolean; format: IngestFormat; keyId: string | null; requestId: string | null }): Promise<void> {
    await this.sql.write(
      'IngestJobStore.start',
      `INSERT INTO mobility.ingest_jobs (id, operator, kind, status, partial, format, key_id, request_id)
       VALUES ($1, $2, $3, 'RUNNING', $4, $5, $6, $7)`,
      [job.id, job.operator, job.kind, job.partial, job.format, job.keyId, job.requestId],
    );
  }

  async finish(id: string, o: IngestOutcome): Promise<IngestJob> {
    const [row] = await this.sql.write<JobRow>(
      'IngestJobStore.finish',
      `UPDATE mobility.ingest_jobs
          SET status = $2, finished_at = now(), bytes = $3, rows_received = $4, rows_applied = $5, rows_replaced = $6,
              error_count = $7, errors = $8::jsonb, dates = $9::date[]
        WHERE id = $1
        RETURNING ${JOB_COLUMNS}`,
      [id, o.status, o.bytes, o.rowsReceived, o.rowsApplied, o.rowsReplaced, o.errorCount, JSON.stringify(o.errors), o.dates],
    );
    return toJob(row);
  }

  /** A job of this operator; null when there is none with that id (or it is another operator's). */
  async byId(operator: string, id: string): Promise<IngestJob | null> {
    const rows = await this.sql.queryPrimary<JobRow>(
      'IngestJobStore.byId',
      `SELECT ${JOB_COLUMNS} FROM mobility.ingest_jobs WHERE id = $1 AND operator = $2`,
      [id, operator],
    );
    return rows.length === 0 ? null : toJob(rows[0]);
  }

  /** A page of this operator's jobs, newest first; `after` is the cursor value of the last job of the previous page. */
  async page(operator: string, first: number, after: { startedAt: string; id: string } | null): Promise<Page<IngestJob>> {
    const rows = await this.sql.queryPrimary<JobRow>(
      'IngestJobStore.page',
      `SELECT ${JOB_COLUMNS} FROM mobility.ingest_jobs
        WHERE operator = $1 AND ($2::timestamptz IS NULL OR (started_at, id) < ($2::timestamptz, $3::uuid))
        ORDER BY started_at DESC, id DESC LIMIT $4`,
      [operator, after?.startedAt ?? null, after?.id ?? null, first + 1],
    );
    return {
      nodes: rows.slice(0, first).map(toJob),
      hasNextPage: rows.length > first,
      hasPreviousPage: after !== null,
      cursorOf: (j) => encodeCursor('ingestJob', `${j.startedAt.toISOString()}|${j.id}`),
      totalCount: async () =>
        Number((await this.sql.queryPrimary<{ n: string }>('IngestJobStore.count', 'SELECT count(*) AS n FROM mobility.ingest_jobs WHERE operator = $1', [operator]))[0].n),
    };
  }
}

/** SQLSTATE of a duplicate key in a unique index. */
const UNIQUE_VIOLATION = '23505';

/** The staging table of each kind, its columns in COPY order, and the key a row must not repeat within a file. */
const STAGING = {
  FLOWS: {
    table: 'pg_temp.ingest_rows',
    create: `CREATE TEMP TABLE ingest_rows (row bigint NOT NULL, date date NOT NULL, origin_code text NOT NULL, dest_code text NOT NULL,
               trips integer NOT NULL, mode text NOT NULL) ON COMMIT DROP`,
    columns: ['row', 'date', 'origin_code', 'dest_code', 'trips', 'mode'],
    key: 'date, origin_code, dest_code, mode',
    keyColumn: 'destination',
  },
  STAYS: {
    table: 'pg_temp.ingest_rows',
    create: `CREATE TEMP TABLE ingest_rows (row bigint NOT NULL, id_hash bytea NOT NULL, name text NOT NULL, home_code text NOT NULL,
               region_code text NOT NULL, arrived_at timestamptz NOT NULL, left_at timestamptz NOT NULL, source text NOT NULL) ON COMMIT DROP`,
    columns: ['row', 'id_hash', 'name', 'home_code', 'region_code', 'arrived_at', 'left_at', 'source'],
    key: 'id_hash, arrived_at',
    keyColumn: 'arrived',
  },
} as const;

/** A person named by staged stays, to be found or registered in the case datasource. */
export interface StagedPerson {
  idHash: Buffer;
  name: string;
  homeCode: string;
}

/**
 * One upload's transaction on one mobility connection: rows are copied into a temporary table
 * (dropped at commit) and, under a lock per (operator, kind), replace the operator's rows of the
 * days in the file — flows segment by segment while the rest of the file is still arriving
 * (`applyFlowSegment`), stays at the end (`replaceStays`), after their duplicates are checked as a
 * whole and their persons registered. Until `commit` nothing is visible; `abandon` rolls back and
 * discards the connection (it may be mid-COPY).
 */
export class UploadStaging {
  private released = false;
  /** Flows: the lock per (operator, kind) is held (taken by the first segment). */
  private locked = false;
  /** Flows: the days whose operator's rows were deleted by an earlier segment (not to be deleted again). */
  private readonly replacedDays = new Set<string>();

  private constructor(
    private readonly client: pg.PoolClient,
    private readonly kind: IngestKind,
  ) {}

  static async open(pool: pg.Pool, kind: IngestKind, statementTimeoutMs: number): Promise<UploadStaging> {
    const client = await pool.connect();
    try {
      await client.query('/* UploadStaging.begin */ BEGIN');
      // The COPY runs as long as the client takes to send the file: bounded by the upload's own timeout.
      await client.query(`/* UploadStaging.timeout */ SET LOCAL statement_timeout = ${Math.floor(statementTimeoutMs)}`);
      await client.query(`/* UploadStaging.create */ ${STAGING[kind].create}`);
      if (kind === 'STAYS') {
        await client.query('/* UploadStaging.createPersons */ CREATE TEMP TABLE ingest_persons (id_hash bytea PRIMARY KEY, person_id uuid NOT NULL) ON COMMIT DROP');
      }
      return new UploadStaging(client, kind);
    } catch (err) {
      client.release(true);
      throw err;
    }
  }

  /** The COPY of the staging table: write COPY text rows (tab-separated, in STAGING columns' order). */
  copyIn(): Writable & { rowCount: number } {
    const { table, columns } = STAGING[this.kind];
    return this.client.query(copyFrom(`/* UploadStaging.copy */ COPY ${table} (${columns.join(', ')}) FROM STDIN`));
  }

  /**
   * Rows whose key (flows: date, origin, destination, mode; stays: person and arrival) an earlier
   * row of the file already has: the first `limit` of them with that earlier row, and their count.
   * With `drop`, they are removed from staging (partial uploads keep the first of each).
   */
  async duplicates(limit: number, drop: boolean): Promise<{ count: number; first: { row: number; earlier: number }[] }> {
    const { table, key } = STAGING[this.kind];
    const { rows } = await this.client.query<{ row: string; earlier: string; count: string }>(
      `/* UploadStaging.duplicates */
       WITH d AS (
         SELECT row, first_value(row) OVER (PARTITION BY ${key} ORDER BY row) AS earlier FROM ${table}
       ), dup AS (SELECT row, earlier FROM d WHERE row <> earlier)
       SELECT row, earlier, (SELECT count(*) FROM dup) AS count FROM dup ORDER BY row LIMIT $1`,
      [limit],
    );
    const count = rows.length === 0 ? 0 : Number(rows[0].count);
    if (drop && count > 0) {
      await this.client.query(
        `/* UploadStaging.dropDuplicates */
         DELETE FROM ${table} t USING (
           SELECT row FROM (SELECT row, first_value(row) OVER (PARTITION BY ${key} ORDER BY row) AS earlier FROM ${table}) d WHERE row <> earlier
         ) dup WHERE t.row = dup.row`,
      );
    }
    return { count, first: rows.map((r) => ({ row: Number(r.row), earlier: Number(r.earlier) })) };
  }

  /** Stays: the distinct persons of the staged rows in batches of `size` (the first row's name for each), by id hash. */
  async *persons(size: number): AsyncGenerator<StagedPerson[]> {
    let after: Buffer | null = null;
    for (;;) {
      const { rows }: { rows: { id_hash: Buffer; name: string; home_code: string }[] } = await this.client.query(
        `/* UploadStaging.persons */
         SELECT DISTINCT ON (id_hash) id_hash, name, home_code FROM pg_temp.ingest_rows
          WHERE $1::bytea IS NULL OR id_hash > $1 ORDER BY id_hash, row LIMIT $2`,
        [after, size],
      );
      if (rows.length === 0) return;
      yield rows.map((r) => ({ idHash: r.id_hash, name: r.name, homeCode: r.home_code }));
      after = rows[rows.length - 1].id_hash;
    }
  }

  /** Stays: the case datasource's person id of each id hash. */
  async assignPersons(pairs: readonly { idHash: Buffer; id: string }[]): Promise<void> {
    await this.client.query(
      `/* UploadStaging.assignPersons */ INSERT INTO pg_temp.ingest_persons SELECT * FROM unnest($1::bytea[], $2::uuid[])`,
      [pairs.map((p) => p.idHash), pairs.map((p) => p.id)],
    );
  }

  /**
   * Flows: applies the staged rows numbered after `afterRow` — one segment of the upload
   * (services/ingestion/segments.ts) — to mobility.flows. The operator's rows of the segment's days
   * that no earlier segment met are deleted first, so that the operator's day ends up as the file
   * has it; then the segment is inserted in primary-key order, so the B-tree fills left to right.
   * A row whose key an earlier row of the file already has (a duplicate) is left out and counted
   * in `conflicts`: the insert runs in a savepoint and, when a key repeats, again with ON CONFLICT
   * DO NOTHING, which keeps the earlier row (earlier segment, or lower row number within one).
   * The first call takes the lock per (operator, kind) that serialises two uploads of one operator.
   */
  async applyFlowSegment(operator: string, afterRow: number): Promise<{ lastRow: number; applied: number; replaced: number; conflicts: number }> {
    const q = this.client;
    if (!this.locked) {
      await this.lock(operator);
      this.locked = true;
    }
    const { rows: [span] } = await q.query<{ dates: string[] | null; lo: string | null; hi: string | null; last: string | null; n: string }>(
      `/* UploadStaging.flowSegment */
       SELECT array_agg(DISTINCT date ORDER BY date)::text[] AS dates, min(date)::text AS lo, max(date)::text AS hi, max(row) AS last, count(*) AS n
         FROM pg_temp.ingest_rows WHERE row > $1`,
      [afterRow],
    );
    const rows = Number(span.n);
    if (rows === 0) return { lastRow: afterRow, applied: 0, replaced: 0, conflicts: 0 };
    const fresh = (span.dates ?? []).filter((d) => !this.replacedDays.has(d));
    let replaced = 0;
    if (fresh.length > 0) {
      await q.query('/* UploadStaging.partitions */ SELECT mobility.ensure_month_partitions($1, $2)', [span.lo, span.hi]);
      const deleted = await q.query('/* UploadStaging.deleteFlows */ DELETE FROM mobility.flows WHERE operator = $1 AND date = ANY($2::date[])', [operator, fresh]);
      replaced = deleted.rowCount ?? 0;
      for (const d of fresh) this.replacedDays.add(d);
    }
    const insert = (onConflict: string) =>
      q.query(
        `/* UploadStaging.insertFlows */
         INSERT INTO mobility.flows (date, origin_code, dest_code, trips, operator, mode)
         SELECT date, origin_code, dest_code, trips, $1, mode FROM pg_temp.ingest_rows WHERE row > $2
          ORDER BY dest_code, date, origin_code, mode, row ${onConflict}`,
        [operator, afterRow],
      );
    let inserted: pg.QueryResult;
    await q.query('/* UploadStaging.savepoint */ SAVEPOINT flow_segment');
    try {
      inserted = await insert('');
      await q.query('/* UploadStaging.release */ RELEASE SAVEPOINT flow_segment');
    } catch (err) {
      if ((err as { code?: string }).code !== UNIQUE_VIOLATION) throw err;
      await q.query('/* UploadStaging.rollbackSegment */ ROLLBACK TO SAVEPOINT flow_segment');
      inserted = await insert('ON CONFLICT DO NOTHING');
    }
    const applied = inserted.rowCount ?? 0;
    return { lastRow: Number(span.last), applied, replaced, conflicts: rows - applied };
  }

  /** The days whose rows of the operator `applyFlowSegment` replaced, in order. */
  flowDays(): string[] {
    return [...this.replacedDays].sort();
  }

  /**
   * Stays: replaces the operator's stays that began on the staged days (Asia/Shanghai) with the
   * staged rows, under the lock per (operator, kind), so each day ends up as one upload sent it.
   */
  async replaceStays(operator: string): Promise<{ applied: number; replaced: number; dates: string[] }> {
    const q = this.client;
    await this.lock(operator);
    const { rows: [span] } = await q.query<{ dates: string[] | null; lo: string | null; hi: string | null }>(
      `/* UploadStaging.stayDays */
       SELECT array_agg(DISTINCT (arrived_at AT TIME ZONE 'Asia/Shanghai')::date ORDER BY (arrived_at AT TIME ZONE 'Asia/Shanghai')::date)::text[] AS dates,
              (min(left_at) AT TIME ZONE 'Asia/Shanghai')::date::text AS lo, (max(left_at) AT TIME ZONE 'Asia/Shanghai')::date::text AS hi
         FROM pg_temp.ingest_rows`,
    );
    const dates = span.dates ?? [];
    if (dates.length === 0) return { applied: 0, replaced: 0, dates };
    await q.query('/* UploadStaging.partitions */ SELECT mobility.ensure_month_partitions($1, $2)', [span.lo, span.hi]);
    const deleted = await q.query(
      `/* UploadStaging.deleteStays */
       DELETE FROM mobility.stays s USING unnest($2::date[]) AS d(day)
        WHERE s.operator = $1
          AND s.arrived_at >= (d.day::timestamp AT TIME ZONE 'Asia/Shanghai')
          AND s.arrived_at < ((d.day + 1)::timestamp AT TIME ZONE 'Asia/Shanghai')`,
      [operator, dates],
    );
    const inserted = await q.query(
      `/* UploadStaging.insertStays */
       INSERT INTO mobility.stays (person_id, region_code, arrived_at, left_at, operator, source)
       SELECT p.person_id, r.region_code, r.arrived_at, r.left_at, $1, r.source
         FROM pg_temp.ingest_rows r JOIN pg_temp.ingest_persons p USING (id_hash)
        ORDER BY r.row`,
      [operator],
    );
    return { applied: inserted.rowCount ?? 0, replaced: deleted.rowCount ?? 0, dates };
  }

  private async lock(operator: string): Promise<void> {
    await this.client.query(`/* UploadStaging.lock */ SELECT pg_advisory_xact_lock(hashtextextended('mobility.ingest:' || $1 || ':' || $2, 0))`, [operator, this.kind]);
  }

  async commit(): Promise<void> {
    try {
      await this.client.query('/* UploadStaging.commit */ COMMIT');
    } finally {
      this.released = true;
      this.client.release();
    }
  }

  /**
   * Discards the connection, which rolls the transaction back on the server: the connection may be
   * mid-COPY (a failed transfer), where a ROLLBACK would wait behind the COPY for ever.
   */
  abandon(): void {
    if (this.released) return;
    this.released = true;
    this.client.release(true);
  }
}

/**
 * What one upload reads and writes outside its staging table, over the process's pools (an upload
 * is not a GraphQL request): its job record, the county codes its rows are checked against, the
 * persons its stays name, and the case data version that keys cached import-risk answers.
 */
export function uploadStores(pools: Pools) {
  const recorder = new SqlRecorder();
  const cases = new Sql(pools.cases, 'cases', recorder);
  return {
    jobs: new IngestJobStore(new Sql(pools.mobility, 'mobility', recorder)),
    countyCodes: () => countyCodes(new Sql(pools.region, 'region', recorder)),
    registerPersons: (batch: Parameters<typeof registerPersons>[1]) => registerPersons(cases, batch),
    bumpDataVersion: () => bumpDataVersion(cases),
  };
}
