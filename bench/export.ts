/**
 * `npx tsx bench/export.ts [--days 366] [--level COUNTY]`: exports the medium seed (`changxing_bench`,
 * see bench/setup.ts) through GET /export/daily.csv of an in-process server, reads the whole body,
 * and reports rows, rows/s, MB/s and the process's peak RSS (server and reader share the process,
 * so the peak bounds both). The point: memory stays flat however many rows stream through.
 */
import { parseArgs } from 'node:util';
import type { AddressInfo } from 'node:net';
import { openBenchDatabase } from './setup';
import { loadConfig } from '../src/config';
import { createLogger } from '../src/logger';
import { makeApp } from '../src/server';
import { closePools, createPools } from '../src/db/pools';
import { todayCst } from '../src/clock';
import { addDays } from '../src/risk/dates';
import { progressReporter } from '../src/cli/progress';

const { values } = parseArgs({ options: { days: { type: 'string', default: '366' }, level: { type: 'string' } } });
const log = (m: string) => process.stderr.write(`[bench:export] ${m}\n`);

async function main() {
  const db = await openBenchDatabase(log);
  const config = loadConfig({ NODE_ENV: 'development', DATABASE_URL: db.url, LOG_LEVEL: 'warn', SEED_ON_START: 'never' });
  const pools = createPools({ urls: config.databaseUrls!, max: 4, statementTimeoutMs: 30_000, applicationName: 'changxing-bench-export' });
  const app = makeApp({ config, pools, logger: createLogger('warn'), secrets: db.secrets });
  let peakRss = process.memoryUsage().rss;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 20);
  try {
    await app.start();
    await new Promise<void>((resolve) => app.httpServer.listen(0, '127.0.0.1', resolve));
    const to = todayCst();
    const from = addDays(to, -(Number(values.days) - 1));
    const params = new URLSearchParams({ from, to, ...(values.level ? { level: values.level } : {}) });
    const url = `http://127.0.0.1:${(app.httpServer.address() as AddressInfo).port}/export/daily.csv?${params}`;
    const rssBefore = process.memoryUsage().rss;
    const started = performance.now();
    const res = await fetch(url, { headers: { authorization: `Bearer ${db.keys.gov}` } });
    if (res.status !== 200 || !res.body) throw new Error(`export answered ${res.status}: ${await res.text()}`);
    let bytes = 0;
    let lines = 0;
    const progress = progressReporter();
    // the region list's sizes (3,352 regions), times days: an estimate for the bar
    const perDay: Record<string, number> = { PROVINCE: 32, CITY: 342, COUNTY: 2978 };
    const expectedRows = Number(values.days) * (values.level ? (perDay[values.level.toUpperCase()] ?? 3352) : 3352) + 1;
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      bytes += chunk.length;
      for (let i = 0; i < chunk.length; i++) if (chunk[i] === 10) lines++;
      progress({ phase: 'rows read', done: lines, total: expectedRows });
    }
    progress.stop();
    const seconds = (performance.now() - started) / 1000;
    const rows = lines - 1;
    const report = {
      url: url.replace(/^http:\/\/[^/]+/, ''),
      rows,
      megabytes: Math.round(bytes / 1e5) / 10,
      seconds: Math.round(seconds * 10) / 10,
      rowsPerSecond: Math.round(rows / seconds),
      megabytesPerSecond: Math.round(bytes / 1e6 / seconds * 10) / 10,
      rssBeforeMb: Math.round(rssBefore / 1e6),
      peakRssMb: Math.round(peakRss / 1e6),
    };
    console.log(JSON.stringify(report, null, 2));
  } finally {
    clearInterval(sampler);
    await app.stop();
    await closePools(pools);
    await db.close();
  }
}

main().catch((err) => {
  process.stderr.write(`bench export failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
