import type { Pool, PoolClient } from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import type { Readable } from 'node:stream';
import type { RegionLevel } from './region';
import { addDays } from '../src/risk/dates';
import { CN_2020_WINDOW_DAYS, type CountyRiskInputs } from '../src/risk';

/** A region as the export needs it (the whole list is 3,352 rows: held in memory, mapped onto case rows). */
export interface ExportRegion {
  code: string;
  name: string;
  level: RegionLevel;
  parentCode: string | null;
  provinceCode: string;
  population: number;
}

/** One county and day, with the CN_2020_COUNTY inputs of that day (window: the 14 days ending on it). */
export interface CountyDay extends Omit<CountyRiskInputs, 'asOf'> {
  regionCode: string;
  date: string;
  newConfirmed: number;
}

/** Every region, from the region source. */
export async function exportRegions(pool: Pool): Promise<ExportRegion[]> {
  const { rows } = await pool.query<{ code: string; name: string; level: RegionLevel; parent_code: string | null; province_code: string; population: number }>(
    '/* ExportSource.regions */ SELECT code, name, level, parent_code, province_code, population FROM region.regions ORDER BY code',
  );
  return rows.map((r) => ({ code: r.code, name: r.name, level: r.level, parentCode: r.parent_code, provinceCode: r.province_code, population: r.population }));
}

const CODE = /^[0-9]{6}$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

/**
 * Streams one row per county and day of [from, to], ordered by date then county, from the case
 * source with COPY (no result set is held: memory stays flat however many rows there are). Every day
 * of the range is present, with 0 new cases on days without a report; the window sums come from
 * window functions over a calendar that starts 13 days before `from`, and the running totals start
 * from the last report before it, so the figures equal the API's for any day.
 *
 * COPY takes no bind parameters: the county codes and dates are checked against their shapes
 * here and inlined as literals. The statement runs in a transaction with its own timeout (an export
 * legitimately outlasts the API's statement_timeout), on a connection held until the stream ends.
 */
export async function* streamCountyDays(
  pool: Pool,
  counties: readonly string[],
  range: { from: string; to: string },
  options: { statementTimeoutMs: number; signal?: AbortSignal },
): AsyncGenerator<CountyDay> {
  if (!counties.every((c) => CODE.test(c)) || !DATE.test(range.from) || !DATE.test(range.to)) {
    throw new Error('streamCountyDays: county codes must be six digits and dates YYYY-MM-DD');
  }
  const start = addDays(range.from, -(CN_2020_WINDOW_DAYS - 1));
  const lit = (s: string) => `'${s}'`; // shapes checked above: no quote can occur
  const codes = `${lit(`{${counties.join(',')}}`)}::text[]`;
  const text = `/* ExportSource.countyDays */ COPY (
    WITH c AS (SELECT unnest(${codes}) AS region_code),
    base AS MATERIALIZED (
      SELECT c.region_code, coalesce(b.cumulative_confirmed, 0) AS cum0, b.last_confirmed_on AS last0,
             (SELECT max(x.detected_on) FROM cases.clusters x WHERE x.region_code = c.region_code AND x.detected_on < ${lit(start)}::date) AS cluster0
        FROM c LEFT JOIN LATERAL (
          SELECT d.cumulative_confirmed, d.last_confirmed_on FROM cases.daily_reports d
           WHERE d.region_code = c.region_code AND d.date < ${lit(start)}::date ORDER BY d.date DESC LIMIT 1
        ) b ON true
    ),
    cl AS (
      SELECT region_code, detected_on, count(*) AS n FROM cases.clusters
       WHERE region_code = ANY(${codes}) AND detected_on BETWEEN ${lit(start)}::date AND ${lit(range.to)}::date
       GROUP BY region_code, detected_on
    ),
    grid AS (
      SELECT b.region_code, g.date, coalesce(r.new_confirmed, 0) AS new_confirmed, coalesce(cl.n, 0) AS clusters, b.cum0, b.last0, b.cluster0
        FROM base b
       CROSS JOIN LATERAL (SELECT d::date AS date FROM generate_series(${lit(start)}::date, ${lit(range.to)}::date, interval '1 day') d) g
        LEFT JOIN cases.daily_reports r ON r.region_code = b.region_code AND r.date = g.date
        LEFT JOIN cl ON cl.region_code = b.region_code AND cl.detected_on = g.date
    ),
    w AS (
      SELECT region_code, date, new_confirmed,
             cum0 + sum(new_confirmed) OVER run AS cumulative_confirmed,
             sum(new_confirmed) OVER win AS new_in_window,
             coalesce(max(CASE WHEN new_confirmed > 0 THEN date END) OVER run, last0) AS last_confirmed_on,
             sum(clusters) OVER win AS clusters_in_window,
             coalesce(max(CASE WHEN clusters > 0 THEN date END) OVER run, cluster0) AS last_cluster_on
        FROM grid
      WINDOW run AS (PARTITION BY region_code ORDER BY date ROWS UNBOUNDED PRECEDING),
             win AS (PARTITION BY region_code ORDER BY date ROWS ${CN_2020_WINDOW_DAYS - 1} PRECEDING)
    )
    SELECT region_code, date, new_confirmed, cumulative_confirmed, new_in_window, last_confirmed_on, clusters_in_window, last_cluster_on
      FROM w WHERE date >= ${lit(range.from)}::date ORDER BY date, region_code
  ) TO STDOUT`;

  const client: PoolClient = await pool.connect();
  let failed: Error | undefined;
  let stream: Readable | undefined;
  const abort = () => {
    if (!stream || stream.readableEnded) return;
    stream.destroy(new Error('export cancelled: the client went away'));
    // Stop the statement too: a backend busy sending COPY data reads nothing until it is done, so
    // closing our end alone would let it run the whole export for no one.
    const pid = (client as PoolClient & { processID?: number }).processID;
    if (pid) pool.query('/* ExportSource.cancel */ SELECT pg_cancel_backend($1)', [pid]).catch(() => undefined);
  };
  options.signal?.addEventListener('abort', abort);
  try {
    await client.query('/* ExportSource.countyDays */ BEGIN READ ONLY');
    await client.query(`SET LOCAL statement_timeout = ${Math.max(0, Math.floor(options.statementTimeoutMs))}`);
    stream = client.query(copyTo(text));
    if (options.signal?.aborted) abort();
    for await (const line of lines(stream)) {
      const f = line.split('\t');
      yield {
        regionCode: f[0],
        date: f[1],
        newConfirmed: Number(f[2]),
        cumulativeConfirmed: Number(f[3]),
        newConfirmedInWindow: Number(f[4]),
        lastConfirmedOn: f[5] === '\\N' ? null : f[5],
        clustersInWindow: Number(f[6]),
        lastClusterOn: f[7] === '\\N' ? null : f[7],
      };
    }
    await client.query('COMMIT');
  } catch (err) {
    failed = err instanceof Error ? err : new Error(String(err));
    throw err;
  } finally {
    options.signal?.removeEventListener('abort', abort);
    // A COPY stopped half-way (client gone, consumer stopped early) leaves the connection mid-protocol: discard it.
    const finished = stream?.readableEnded === true && !failed;
    client.release(finished ? undefined : (failed ?? new Error('export stopped before the end')));
  }
}

/** The lines of COPY's text output (the columns here are codes, numbers and dates: nothing is escaped). */
async function* lines(stream: Readable): AsyncGenerator<string> {
  let rest = '';
  for await (const chunk of stream) {
    const text = rest + (chunk as Buffer).toString('utf8');
    const parts = text.split('\n');
    rest = parts.pop() ?? '';
    for (const p of parts) yield p;
  }
  if (rest) yield rest;
}
