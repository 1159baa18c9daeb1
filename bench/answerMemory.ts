/**
 * `npx tsx bench/answerMemory.ts --days 180 [--project <dir>] [--database <url>]`: the issue-15 query
 * (every county's daily figures over `--days` days, as PUBLIC) sent once to a production server
 * (`node dist/src/main.js`, NODE_ENV=production) started from `--project` (default: this checkout;
 * give a build of another commit to compare), and reports the answer's status, code and bytes, the
 * seconds it took, and the server's peak RSS (VmHWM of /proc, Linux). One query per fresh process,
 * so the peak is that query's. `--database`: a seeded database (default DATABASE_URL; e.g.
 * `createdb x && DATABASE_URL=…/x npm run migrate && DATABASE_URL=…/x npm run seed -- --scale small`).
 * Build first (`npm run build`); the project's own dist/ is what runs.
 */
import { spawn } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { todayCst } from '../src/clock';
import { addDays } from '../src/risk/dates';

const { values } = parseArgs({
  options: { days: { type: 'string', default: '180' }, project: { type: 'string', default: path.resolve(__dirname, '..') }, database: { type: 'string' } },
});
const database = values.database ?? process.env.DATABASE_URL;
if (!database) throw new Error('give --database <url> of a seeded database (or set DATABASE_URL)');

const QUERY =
  'query($f: Date!, $t: Date!) { regions(level: COUNTY, first: 5000) { nodes { daily(from: $f, to: $t) { date newConfirmed newAsymptomatic newSuspected newRecovered newDeaths cumulativeConfirmed newConfirmedPer100k } } } }';

async function main() {
  // a port the system has just given out, so that readiness is this server's and no other's
  const port = await new Promise<number>((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port: free } = probe.address() as AddressInfo;
      probe.close(() => resolve(free));
    });
  });
  const pem = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const server = spawn(process.execPath, ['dist/src/main.js'], {
    cwd: values.project,
    env: { ...process.env, NODE_ENV: 'production', PORT: String(port), HOST: '127.0.0.1', DATABASE_URL: database, ID_HASH_SECRET: 'bench-'.repeat(8), PASS_SIGNING_KEY: pem, LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const memory = () => Object.fromEntries(readFileSync(`/proc/${server.pid}/status`, 'utf8').split('\n').filter((l) => /^Vm(HWM|RSS):/.test(l)).map((l) => l.split(/:\s+/)));
  try {
    for (let i = 0; !(await fetch(`http://127.0.0.1:${port}/readyz`).then((r) => r.ok, () => false)); i++) {
      if (i > 600 || server.exitCode !== null) throw new Error('the server did not become ready');
      await new Promise((r) => setTimeout(r, 100));
    }
    const idle = memory();
    const today = todayCst();
    const started = performance.now();
    const res = await fetch(`http://127.0.0.1:${port}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: QUERY, variables: { f: addDays(today, -(Number(values.days) - 1)), t: today } }),
    });
    const text = await res.text();
    const seconds = (performance.now() - started) / 1000;
    const code = res.ok ? null : ((JSON.parse(text) as { errors?: { extensions?: { code?: string } }[] }).errors?.[0]?.extensions?.code ?? null);
    const peak = memory();
    process.stdout.write(
      `${JSON.stringify({ project: values.project, days: Number(values.days), status: res.status, code, answerBytes: Buffer.byteLength(text), seconds: Math.round(seconds * 100) / 100, idleRss: idle.VmRSS, peakRss: peak.VmHWM })}\n`,
    );
  } finally {
    server.kill('SIGTERM');
    await new Promise((r) => server.once('exit', r));
  }
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack ?? err}\n`);
  process.exitCode = 1;
});
