/**
 * The CSV export's store on the case source (GET /export/daily.csv): county days streamed with COPY.
 * The regions come from the region source (`exportRegions`, ./region.ts); services/dailyExport.ts
 * puts the two together.
 */
import type { Pool, PoolClient } from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import type { Readable } from 'node:stream';
import { addDays, isIsoDate } from '../src/risk/dates';
import { CN_2020_WINDOW_DAYS, type CountyRiskInputs } from '../src/risk';
import { isRegionCode } from '../src/regionCode';
import { countyRiskInputsByDaySql } from './countyRiskInputs';

/** One county and day, with the CN_2020_COUNTY inputs of that day (window: the 14 days ending on it). */
export interface CountyDay extends Omit<CountyRiskInputs, 'asOf'> {
  regionCode: string;
  date: string;
  newConfirmed: number;
}

/**
 * Streams one row per county and day of [from, to], ordered by date then county, from the case
 * source with COPY (no result set is held: memory stays flat however many rows there are). Every day
 * of the range is present, with 0 new cases on days without a report; the inputs of each day come
 * from the county-risk-inputs builder (./countyRiskInputs.ts), so the figures equal the API's.
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
  if (!counties.every(isRegionCode) || !isIsoDate(range.from) || !isIsoDate(range.to)) {
    throw new Error('streamCountyDays: county codes must be six digits and dates YYYY-MM-DD');
  }
  const lit = (s: string) => `'${s}'`; // shapes checked above: no quote can occur
  const date = (s: string) => `${lit(s)}::date`;
  const text = `/* ExportSource.countyDays */ COPY (${countyRiskInputsByDaySql({
    codes: `${lit(`{${counties.join(',')}}`)}::text[]`,
    start: date(addDays(range.from, -(CN_2020_WINDOW_DAYS - 1))),
    from: date(range.from),
    to: date(range.to),
    windowDays: CN_2020_WINDOW_DAYS,
  })}) TO STDOUT`;

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
