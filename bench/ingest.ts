/**
 * `npm run bench -- --ingest [--rows 1000000]`: carriers' uploads (docs/ingestion.md) into the
 * medium data set (bench/setup.ts) through POST /ingest/flows of an in-process server, end to end
 * (file read, HTTP, parse, checks, COPY, replace): one day of flows (11,000 rows, a medium day) and
 * a file of `--rows` rows (11,000 a day over as many days as it takes). Reports seconds, rows/s and
 * the process's peak RSS sampled every 20 ms (client and server share the process: the file is read
 * as a stream, so the peak bounds the server's). Rows are for the operator `bench-carrier`, removed
 * afterwards. The result goes to bench/results/latest.json under `ingest`.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, createWriteStream } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { once } from 'node:events';
import { BENCH_OPERATOR, openBenchDatabase, ROOT } from './setup';
import { loadConfig } from '../src/config';
import { createLogger } from '../src/logger';
import { makeApp } from '../src/server';
import { closePools, createPools } from '../src/db/pools';
import { progressReporter } from '../src/cli/progress';
import { uploadFile } from '../src/cli/uploadClient';
import { addDays } from '../src/risk/dates';
import { FLOW_COLUMNS } from '../services/ingestion/rows';

const log = (m: string) => process.stderr.write(`[bench:ingest] ${m}\n`);
/** Rows of one operator's day, about what the medium seed has per day. */
const DAY_ROWS = 11_000;
const FIRST_DAY = '2020-01-01';

/** Writes `rows` flow rows, DAY_ROWS a day from FIRST_DAY, each (day, origin, destination) once. */
async function writeFlows(file: string, codes: readonly string[], rows: number): Promise<void> {
  const out = createWriteStream(file);
  out.write(`${FLOW_COLUMNS.join(',')}\n`);
  const n = codes.length;
  let chunk = '';
  for (let i = 0; i < rows; i++) {
    const day = Math.floor(i / DAY_ROWS);
    const k = i % DAY_ROWS;
    // origin a, destination a + step (1 ≤ step < n): distinct pairs within a day
    const a = k % n;
    const step = 1 + Math.floor(k / n);
    chunk += `${addDays(FIRST_DAY, day)},${codes[a]},${codes[(a + step) % n]},${1 + ((i * 7919) % 500)},RAIL\n`;
    if (chunk.length > 1 << 16) {
      if (!out.write(chunk)) await once(out, 'drain');
      chunk = '';
    }
  }
  out.end(chunk);
  await once(out, 'finish');
}

export async function runIngestBench(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: { rows: { type: 'string', default: '1000000' } } });
  const bigRows = Number(values.rows);
  if (!Number.isInteger(bigRows) || bigRows < 1) throw new Error(`--rows must be a positive whole number, got ${values.rows}`);
  const db = await openBenchDatabase(log);
  const config = loadConfig({ NODE_ENV: 'development', DATABASE_URL: db.url, LOG_LEVEL: 'warn', SEED_ON_START: 'never', INGEST_MAX_BYTES: '512mb' });
  const pools = createPools({ urls: config.databaseUrls!, max: 4, statementTimeoutMs: 30_000, applicationName: 'changxing-bench-ingest' });
  const app = makeApp({ config, pools, logger: createLogger('warn'), secrets: db.secrets });
  const dir = mkdtempSync(path.join(tmpdir(), 'changxing-ingest-'));
  let peakRss = 0;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 20);
  try {
    await app.start();
    await new Promise<void>((resolve) => app.httpServer.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(app.httpServer.address() as AddressInfo).port}`;
    const codes = (await pools.region.query<{ code: string }>(`SELECT code FROM region.regions WHERE level = 'COUNTY' ORDER BY code`)).rows.map((r) => r.code);
    const runs: Record<string, unknown>[] = [];
    // Each run starts from the same table: an earlier run's removed rows, not yet vacuumed, would
    // make every insert's unique check visit them, and runs would slow down one after another.
    await removeBenchRows(pools);
    for (const [name, rows] of [['one medium day', DAY_ROWS], [`${bigRows.toLocaleString('en-US')} rows`, bigRows]] as const) {
      const file = path.join(dir, `flows-${rows}.csv`);
      log(`writing ${rows} rows to ${file}`);
      await writeFlows(file, codes, rows);
      const progress = progressReporter();
      global.gc?.();
      const rssBefore = process.memoryUsage().rss;
      peakRss = rssBefore;
      const started = performance.now();
      const answer = await uploadFile({ url, key: db.keys.carrier, kind: 'flows', path: file, onProgress: (sent, total) => progress({ phase: `upload ${name}`, done: sent, total }) });
      const seconds = (performance.now() - started) / 1000;
      progress.stop();
      if (answer.status !== 200) throw new Error(`upload answered ${answer.status}: ${JSON.stringify(answer.body).slice(0, 500)}`);
      const job = answer.body.job!;
      runs.push({
        name,
        rows: job.rowsApplied,
        megabytes: Math.round(statSync(file).size / 1e5) / 10,
        seconds: Math.round(seconds * 100) / 100,
        serverDurationMs: job.durationMs,
        rowsPerSecond: Math.round(Number(job.rowsApplied) / seconds),
        rssBeforeMb: Math.round(rssBefore / 1e6),
        peakRssMb: Math.round(peakRss / 1e6),
        peakRssGrowthMb: Math.round((peakRss - rssBefore) / 1e6),
      });
      rmSync(file);
    }
    const report = { ingest: { at: new Date().toISOString(), loadAverage: loadavg().map((l) => Math.round(l * 100) / 100), cpus: (await import('node:os')).cpus().length, runs } };
    console.log(JSON.stringify(report, null, 2));
    const out = path.join(ROOT, 'bench/results/latest.json');
    const previous = existsSync(out) ? (JSON.parse(readFileSync(out, 'utf8')) as Record<string, unknown>) : {};
    writeFileSync(out, JSON.stringify({ ...previous, ...report }, null, 2));
  } finally {
    clearInterval(sampler);
    rmSync(dir, { recursive: true, force: true });
    await removeBenchRows(pools).catch(() => undefined);
    await app.stop();
    await closePools(pools);
    await db.close();
  }
}

/** The bench operator's flows removed, and the table vacuumed so the next run meets no dead rows. */
async function removeBenchRows(pools: Awaited<ReturnType<typeof createPools>>): Promise<void> {
  await pools.mobility.query('DELETE FROM mobility.flows WHERE operator = $1', [BENCH_OPERATOR]);
  await pools.mobility.query('VACUUM (ANALYZE) mobility.flows');
}
