/**
 * `DATABASE_URL=… npx tsx bench/gateway.ts [--seconds 10] [--connections 64] [--runs 2] [--warmup 3]
 * [--only W3,W1] [--direct]`: W3 (and W1) through the federated stack alone (`src/federation/run.ts
 * --all`, same environment as `npm run bench`), after an untimed warm-up, printing one JSON line per
 * run: rps, p50/p99, the CPU of the gateway, the subgraphs' process, the bench database's PostgreSQL
 * backends, the load generator and the rest of the machine (`others`: a run with `others` well above
 * 0 was disturbed by something else), requests per shared pass-check statement, and the TCP
 * sockets the gateway holds to the subgraphs (keep-alive: ≈ one per connection, few TIME-WAIT).
 * `--direct`: the single server instead, same measures. `GW_SQL=1` prints the subgraphs' statement
 * counters. Issue 9 (gateway performance, /work/perf-report/REPORT.md).
 */
import { parseArgs } from 'node:util';
import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import autocannon from 'autocannon';
import { startBenchServer } from './server';
import { postLoad } from './load';
import { operationText } from './operations';
import { apiRoleEnv, BENCH_DB, openBenchDatabase } from './setup';
import { DEMO_PEOPLE } from '../src/seed/demoPeople';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '10' },
    connections: { type: 'string', default: '64' },
    runs: { type: 'string', default: '2' },
    only: { type: 'string', default: 'W3' },
    port: { type: 'string', default: '4420' },
    direct: { type: 'boolean', default: false },
    // untimed load first (JIT, pools, keep-alive sockets), as a service that has been running
    warmup: { type: 'string', default: '3' },
  },
});
const SECONDS = Number(values.seconds);
const log = (m: string) => process.stderr.write(`[gw] ${m}\n`);

const ticks = (pid: number) => {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const x = f.slice(f.lastIndexOf(')') + 2).split(' ');
  return Number(x[11]) + Number(x[12]);
};
const children = (pid: number): number[] => {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
};
/** Established + TIME_WAIT TCP sockets towards the subgraph ports (4101–4104). */
function subgraphSockets(): { established: number; timeWait: number } {
  const out = execFileSync('ss', ['-tan'], { encoding: 'utf8' });
  let established = 0;
  let timeWait = 0;
  for (const line of out.split('\n')) {
    const cols = line.trim().split(/\s+/);
    if (cols.length < 5 || !/:410[1-4]$/.test(cols[4])) continue;
    if (cols[0] === 'ESTAB') established++;
    if (cols[0] === 'TIME-WAIT') timeWait++;
  }
  return { established, timeWait };
}

/** Busy ticks of the whole machine (/proc/stat), and of every postgres process. */
function machineBusy(): number {
  const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  return cpu[0] + cpu[1] + cpu[2] + cpu[5] + cpu[6] + cpu[7]; // user nice system irq softirq steal
}
function postgresTicks(): number {
  let sum = 0;
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const f = readFileSync(`/proc/${d}/stat`, 'utf8');
      if (!f.includes('(postgres)')) continue;
      // backends of the bench database only (other databases on the server are someone else's load)
      if (!readFileSync(`/proc/${d}/cmdline`, 'utf8').includes(` ${BENCH_DB} `)) continue;
      const x = f.slice(f.lastIndexOf(')') + 2).split(' ');
      sum += Number(x[11]) + Number(x[12]);
    } catch {
      /* gone */
    }
  }
  return sum;
}
/** Requests and statements of the shared pass-check batches so far (the person subgraph's, or the single server's, /metrics). */
async function batchTotals(metricsUrl: string): Promise<{ requests: number; statements: number }> {
  const text = await fetch(metricsUrl).then((r) => r.text(), () => '');
  let requests = 0;
  let statements = 0;
  for (const m of text.matchAll(/^changxing_shared_batch_requests_(sum|count)\{[^}]*\}\s+(\S+)$/gm)) {
    if (m[1] === 'sum') requests += Number(m[2]);
    else statements += Number(m[2]);
  }
  return { requests, statements };
}

async function run(url: string, body: string, connections: number, headers: Record<string, string>, pids: Record<string, number>, metricsUrl: string) {
  const b0 = await batchTotals(metricsUrl);
  const t0 = Date.now();
  const c0 = Object.fromEntries(Object.entries(pids).map(([k, p]) => [k, ticks(p)]));
  const s0 = subgraphSockets();
  const m0 = machineBusy();
  const pg0 = postgresTicks();
  const self0 = process.cpuUsage();
  let peakEstab = s0.established;
  const timer = setInterval(() => (peakEstab = Math.max(peakEstab, subgraphSockets().established)), 1000);
  const { result: r, graphqlErrors, firstError } = await postLoad(url, body, connections, SECONDS, headers);
  clearInterval(timer);
  const wall = (Date.now() - t0) / 1000;
  const cpu: Record<string, number> = Object.fromEntries(Object.entries(pids).map(([k, p]) => [k, Math.round((ticks(p) - c0[k]) / wall)]));
  const s1 = subgraphSockets();
  const selfUs = process.cpuUsage(self0);
  cpu.postgres = Math.round((postgresTicks() - pg0) / wall);
  cpu.loadGenerator = Math.round((selfUs.user + selfUs.system) / 1e4 / wall);
  cpu.machine = Math.round((machineBusy() - m0) / wall);
  cpu.others = cpu.machine - Object.entries(cpu).filter(([k]) => k !== 'machine').reduce((a, [, v]) => a + v, 0);
  const b1 = await batchTotals(metricsUrl);
  return {
    rps: Math.round(r.requests.average),
    // requests served per shared pass-check statement (src/db/sharedBatch.ts)
    requestsPerBatch: b1.statements > b0.statements ? Math.round(((b1.requests - b0.requests) / (b1.statements - b0.statements)) * 10) / 10 : null,
    p50: r.latency.p50,
    p99: r.latency.p99,
    errors: r.errors + r.timeouts + graphqlErrors,
    firstError,
    cpuPct: cpu,
    subgraphSockets: { peakEstablished: peakEstab, timeWaitAfter: s1.timeWait },
  };
}

async function main() {
  const db = await openBenchDatabase(log);
  const env = {
    NODE_ENV: 'production',
    // production refuses an API role that could rewrite the audit trail (as in bench/run.ts)
    ...(await apiRoleEnv(db.url, `${BENCH_DB}_api`)),
    REDIS_KEY_PREFIX: 'cx-bench:',
    ID_HASH_SECRET: db.secrets.idHashSecret,
    PASS_SIGNING_KEY: db.secrets.passSigningKey,
    LOG_LEVEL: 'warn',
    SELF_SERVICE_MAX_IDS_PER_DAY: '100000000',
    SELF_SERVICE_RATE_PER_MINUTE: '100000000',
    SUBGRAPH_SECRET: randomBytes(24).toString('hex'),
    ...(process.env.GW_EXTRA_ENV ? (JSON.parse(process.env.GW_EXTRA_ENV) as Record<string, string>) : {}),
  };
  const port = Number(values.port);
  const fed = await startBenchServer(env, port, values.direct ? ['src/main.ts'] : ['src/federation/run.ts', '--all']);
  try {
    const pids: Record<string, number> = { subgraphs: fed.child.pid! };
    const gw = children(fed.child.pid!)[0];
    if (!values.direct && gw) pids.gateway = gw;
    const url = `${fed.url}/graphql`;
    const post = (b: object, h: Record<string, string> = {}) =>
      fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...h }, body: JSON.stringify(b) }).then((r) => r.json() as Promise<any>);
    const p = DEMO_PEOPLE[3];
    const issued = await post({ query: operationText('IssuePass'), variables: { name: p.name, idNumber: p.idNumber } });
    if (issued.errors) throw new Error(JSON.stringify(issued.errors));
    const partner = { authorization: `Bearer ${db.keys.partner}` };
    const W3 = JSON.stringify({ query: operationText('CheckPass'), variables: { token: issued.data.issuePass.pass.token } });
    const W1 = JSON.stringify({ query: operationText('NationalRiskMap'), variables: {} });
    const check = await post(JSON.parse(W3), partner);
    if (check.errors) throw new Error(JSON.stringify(check.errors));
    await post(JSON.parse(W1));
    const only = values.only!.split(',');
    if (Number(values.warmup) > 0 && only.includes('W3')) {
      await new Promise<void>((resolve, reject) =>
        autocannon({ url, method: 'POST', connections: Number(values.connections), duration: Number(values.warmup), headers: { 'content-type': 'application/json', ...partner }, body: W3 }, (err) => (err ? reject(err) : resolve())),
      );
    }
    const metricsUrl = values.direct ? `${fed.url}/metrics` : 'http://127.0.0.1:4104/metrics';
    for (let i = 0; i < Number(values.runs); i++) {
      if (only.includes('W3')) console.log(JSON.stringify({ run: i + 1, workload: 'W3', connections: Number(values.connections), ...(await run(url, W3, Number(values.connections), partner, pids, metricsUrl)) }));
      if (process.env.GW_SQL) {
        for (const port of [4101, 4102, 4103, 4104]) {
          const text = await fetch(`http://127.0.0.1:${port}/metrics`).then((r) => r.text(), () => '');
          const lines = text.split('\n').filter((l) => /^changxing_graphql_sql_statements_(sum|count)|^changxing_graphql_requests_total|^changxing_http_request_duration_seconds_count/.test(l));
          console.log(`SQL ${port}: ${lines.join(' | ')}`);
        }
      }
      if (only.includes('W1')) console.log(JSON.stringify({ run: i + 1, workload: 'W1', connections: 8, ...(await run(url, W1, 8, {}, pids, metricsUrl)) }));
    }
  } finally {
    await fed.stop();
    await db.close();
  }
}
main().catch((e) => {
  console.error(e);
  process.exit(1);
});
