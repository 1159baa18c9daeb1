/**
 * `npm run bench -- --attack [--quiet-seconds 30] [--attack-seconds 60] [--pass-rate 100] [--attack-rate 100] [--scale 1]`, or
 * `npx tsx bench/attack.ts …`:
 * issue 15, item 8, "proof under attack" (BENCHMARKS.md, "Under attack").
 *
 * A production server (NODE_ENV=production, npm start's heap limit) over the medium seed
 * (BENCH_DATABASE, bench/setup.ts) — started together with a second instance, as two replicas
 * rolling out at once. A legitimate mix arrives at a steady rate (open loop: each request is sent at
 * its time whatever the server does, and its latency counts from that time): the cached national
 * map and province drill-downs from dashboards, single pass checks from a partner's key. It is
 * measured quiet, then again while an attacking mix runs in a process of its own (so that its
 * client work does not delay the legitimate requests' clock), ignoring Retry-After, at `--attack-rate`
 * requests per second in all (each the most expensive it can be: the issue's attacks are costly
 * requests, not many; a volumetric flood is the network edge's to stop), or with `--attack-rate 0`
 * every worker back to back, as fast as the server answers:
 * - the cases of issue 15: every county's daily figures over 180 days with distinct ranges; nested
 *   `children` sized by a variable's default; NationalDaily over 366 days (PUBLIC, PARTNER, GOV); a
 *   personal lookup over GET; self-service lookups of made-up ID numbers;
 * - generated worst-case operations at the edge of each role's cost budget, within and just over
 *   (bench/edgeOperations.ts), with distinct variables so that the response cache cannot serve them;
 * - from one caller and from many: PUBLIC from one address and from 200 (the server believes no
 *   X-Forwarded-For by default, TRUST_PROXY; callers are told apart by the socket's address, so the
 *   client binds 127.0.0.x source addresses), PARTNER and GOV with one key and with several.
 * The server's RSS and peak (VmRSS, VmHWM) are sampled every 250 ms. Results go under `attack` in
 * bench/results/latest.json (the other keys kept), a table to stdout.
 */
import { fork, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { cpuTicks, machineTicks, startBenchServer, TICKS, type BenchServer } from './server';
import { apiRoleEnv, BENCH_DB, openBenchDatabase, ROOT, type BenchDatabase } from './setup';
import { operationText } from './operations';
import { edgeOperations } from './edgeOperations';
import { DEMO_PEOPLE } from '../src/seed/demoPeople';
import { todayCst } from '../src/clock';
import { addDays } from '../src/risk/dates';
import { buildSchema } from '../src/schema';
import { declaredListSizes } from '../src/limits/listSize';
import { loadConfig, type Config } from '../src/config';
import { readManifest } from '../src/documents/manifest';
import { residentIdCheckChar } from '../src/privacy/residentId';
import { KeyStore } from '../datasources/apiKeys';
import type { Role } from '../src/auth/viewer';

const log = (m: string) => process.stderr.write(`[attack] ${m}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ---- one request, classified -------------------------------------------------------------------

export interface Sent {
  /** `ok`; `partial:<code>` (data and errors); the error code (`SERVICE_UNAVAILABLE:<reason>`, `QUERY_TOO_COMPLEX:<limit>`); `HTTP <status>`; `network:<error>`. */
  outcome: string;
  status: number;
  ms: number;
  bytes: number;
  /** The whole answer, when asked for. */
  text?: string;
}

interface RequestSpec {
  method?: 'GET' | 'POST';
  /** POST body, or GET query string (without `?`). */
  body: string;
  headers?: Record<string, string>;
  /** Source address (127.0.0.0/8): another caller to the server. */
  from?: string;
}

/**
 * One keep-alive agent per caller (source address): callers are separate clients, so one caller's
 * slow answers must not hold the sockets another's requests wait for (with one shared agent, pass
 * checks queued in the load generator behind the partner's own slow checks and the dashboards'
 * cached maps behind both, measuring the client's queue instead of the server).
 */
const agents = new Map<string, http.Agent>();
const agentFor = (from: string | undefined): http.Agent => {
  const key = from ?? '';
  let agent = agents.get(key);
  if (!agent) agents.set(key, (agent = new http.Agent({ keepAlive: true, maxSockets: 64 })));
  return agent;
};

/** Sends one request and classifies its answer from the first bytes (Apollo writes `errors` before `data`). */
export function send(base: string, spec: RequestSpec, timeoutMs = 60_000, keepBody = false): Promise<Sent> {
  const started = performance.now();
  const method = spec.method ?? 'POST';
  const target = method === 'GET' ? `${base}/graphql?${spec.body}` : `${base}/graphql`;
  const attempt = (retried: boolean): Promise<Sent> =>
    new Promise((resolve) => {
      let text = '';
      const done = (outcome: string, status: number, bytes: number) => resolve({ outcome, status, bytes, ms: performance.now() - started, ...(keepBody ? { text } : {}) });
      const req = http.request(
        target,
        {
          method,
          agent: agentFor(spec.from),
          localAddress: spec.from,
          timeout: timeoutMs,
          headers: method === 'POST' ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(spec.body), ...spec.headers } : { 'apollo-require-preflight': 'true', ...spec.headers },
        },
        (res) => {
          let head = '';
          let bytes = 0;
          res.on('data', (chunk: Buffer) => {
            bytes += chunk.length;
            if (keepBody) text += chunk.toString('utf8');
            if (head.length < 4096) head += chunk.toString('utf8', 0, Math.min(chunk.length, 4096));
          });
          res.on('end', () => done(classify(res.statusCode ?? 0, head), res.statusCode ?? 0, bytes));
          res.on('error', (err: NodeJS.ErrnoException) => done(`network:${err.code ?? err.message}`, res.statusCode ?? 0, bytes));
        },
      );
      req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'TIMEOUT' })));
      req.on('error', (err: NodeJS.ErrnoException) => {
        // A kept-alive socket the server closed as idle just as the request went out (Node's
        // documented race; browsers resend then too): sent again once, on a new socket, its time
        // counted from the first try. A reset of a fresh socket is the server's and is counted.
        if (!retried && req.reusedSocket && err.code === 'ECONNRESET') resolve(attempt(true));
        else done(`network:${err.code ?? err.message}`, 0, 0);
      });
      req.end(method === 'POST' ? spec.body : undefined);
    });
  return attempt(false);
}

export function classify(status: number, head: string): string {
  const errors = /^\s*\{\s*"errors"/.test(head);
  if (status === 200 && !errors) return 'ok';
  const code = /"code"\s*:\s*"([A-Z_]+)"/.exec(head)?.[1];
  if (!code) return `HTTP ${status}`;
  // which bulkhead refused (reason), which limit (cost, depth, …)
  const detail = code === 'SERVICE_UNAVAILABLE' ? /"reason"\s*:\s*"([a-z_]+)"/.exec(head)?.[1] : code === 'QUERY_TOO_COMPLEX' ? /"limit"\s*:\s*"([a-z_]+)"/.exec(head)?.[1] : undefined;
  const named = detail ? `${code}:${detail}` : code;
  return status === 200 && /"data"\s*:\s*\{/.test(head) ? `partial:${named}` : named;
}

// ---- legitimate mix: steady arrival rate --------------------------------------------------------

interface Legit {
  name: string;
  /** Requests per second. */
  rate: number;
  spec: (i: number) => RequestSpec;
  /** Sent here instead of the attacked instance (`--pass-instance`: the pass checks' own instance). */
  base?: string;
}

interface LegitResult {
  requests: number;
  ok: number;
  errors: number;
  /** Outcomes other than ok, counted. */
  errorKinds: Record<string, number>;
  offeredRps: number;
  /** ok answers per second over the run (until the last answer came). */
  throughputRps: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** The seconds of the run with the slowest answers (second from the start, answers, p50, max): stalls or a spread tail. */
  slowestSeconds: { second: number; n: number; p50Ms: number; maxMs: number }[];
}

function percentile(sorted: number[], q: number): number {
  if (sorted.length === 0) return 0;
  return Math.round(sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] * 10) / 10;
}

/** Sends `w` at its rate for `seconds`; each latency counts from the request's scheduled time (no coordinated omission). */
async function steady(base: string, w: Legit, seconds: number): Promise<LegitResult> {
  const n = Math.max(1, Math.round(w.rate * seconds));
  const start = performance.now();
  const times: number[] = [];
  const bySecond = new Map<number, number[]>();
  const errorKinds: Record<string, number> = {};
  let ok = 0;
  const pending: Promise<void>[] = [];
  for (let i = 0; i < n; i++) {
    const at = start + (i * 1000) / w.rate;
    const wait = at - performance.now();
    if (wait > 1) await sleep(wait);
    pending.push(
      send(base, w.spec(i), 30_000).then((r) => {
        const ms = performance.now() - at;
        times.push(ms);
        const second = Math.floor((at - start) / 1000);
        bySecond.set(second, [...(bySecond.get(second) ?? []), ms]);
        if (r.outcome === 'ok') ok++;
        else errorKinds[r.outcome] = (errorKinds[r.outcome] ?? 0) + 1;
      }),
    );
  }
  await Promise.all(pending);
  const wall = (performance.now() - start) / 1000;
  times.sort((a, b) => a - b);
  return {
    requests: n,
    ok,
    errors: n - ok,
    errorKinds,
    offeredRps: w.rate,
    throughputRps: Math.round((ok / Math.max(wall, seconds)) * 10) / 10,
    p50Ms: percentile(times, 0.5),
    p99Ms: percentile(times, 0.99),
    maxMs: Math.round((times[times.length - 1] ?? 0) * 10) / 10,
    slowestSeconds: [...bySecond]
      .map(([second, ms]) => {
        ms.sort((a, b) => a - b);
        return { second, n: ms.length, p50Ms: percentile(ms, 0.5), maxMs: Math.round(ms[ms.length - 1] * 10) / 10 };
      })
      .sort((a, b) => b.maxMs - a.maxMs)
      .slice(0, 8),
  };
}

async function legitMix(base: string, mix: Legit[], seconds: number): Promise<Record<string, LegitResult>> {
  const results = await Promise.all(mix.map((w) => steady(w.base ?? base, w, seconds)));
  return Object.fromEntries(mix.map((w, i) => [w.name, results[i]]));
}

// ---- attacking mix (its own process) ------------------------------------------------------------

interface AttackPlan {
  base: string;
  seconds: number;
  today: string;
  /** Workers per caller group (each sends back to back). */
  workers: Record<string, number>;
  /** Attack requests per second in all (paced across the workers); 0: unbounded, each worker sends as soon as it has its answer. */
  rate: number;
  keys: { partner: string[]; gov: string[] };
  budgets: Record<Role, number>;
  maxDepth: number;
  trustedRoles: Role[];
  /** `--skip`: attack kinds matching this pattern are left out (finding which attack costs what). */
  skip: string | null;
}

interface AttackOp {
  kind: string;
  spec: (i: number, from: string | undefined) => RequestSpec;
}

interface AttackReport {
  requests: number;
  byKind: Record<string, Record<string, number>>;
  byCaller: Record<string, Record<string, number>>;
  /** Latency of answers by outcome: how long a refusal takes. */
  msByOutcome: Record<string, { n: number; p50: number; p99: number }>;
  edgeOperations: { role: Role; shape: string; edge: string; k: number; cost: number; budget: number; trusted: boolean }[];
}

const QUERY_COUNTY_DAILY =
  'query($f: Date!, $t: Date!) { regions(level: COUNTY, first: 5000) { nodes { daily(from: $f, to: $t) { date newConfirmed newAsymptomatic newSuspected newRecovered newDeaths cumulativeConfirmed newConfirmedPer100k } } } }';
const QUERY_DEFAULT_VARIABLES = 'query($n: Int = 500) { regions(level: PROVINCE, first: $n) { nodes { children(first: $n) { nodes { children(first: $n) { nodes { code } } } } } } }';

/** A valid ID number (check digit right) that belongs to nobody, the i-th of a series. */
function madeUpIdNumber(i: number): string {
  const first17 = `110105${1950 + (i % 50)}0${1 + (i % 9)}1${i % 10}${String(i % 1000).padStart(3, '0')}`;
  return first17 + residentIdCheckChar(first17);
}

function attackOps(plan: AttackPlan): { ops: Record<'PUBLIC' | 'PARTNER' | 'GOV', AttackOp[]>; edges: AttackReport['edgeOperations'] } {
  const schema = buildSchema();
  const sizes = declaredListSizes();
  const manifest = readManifest().operations;
  const json = (query: string, variables: Record<string, unknown>) => JSON.stringify({ query, variables });
  const range = (i: number, days: number) => ({ f: addDays(plan.today, -(days - 1) - (i % 365)), t: addDays(plan.today, -(i % 365)) });
  const nationalDaily = operationText('NationalDaily');
  const cases = (role: Role): AttackOp[] => [
    { kind: `${role} issue case: county daily × 180 days`, spec: (i) => ({ body: json(QUERY_COUNTY_DAILY, range(i, 180)) }) },
    { kind: `${role} issue case: nested children, first from a variable default`, spec: () => ({ body: json(QUERY_DEFAULT_VARIABLES, {}) }) },
    {
      kind: `${role} issue case: NationalDaily × 366 days`,
      spec: (i) => ({ body: json(nationalDaily, { from: addDays(plan.today, -365 - (i % 365)), to: addDays(plan.today, -(i % 365)) }) }),
    },
  ];
  const edges: AttackReport['edgeOperations'] = [];
  const edgeOps = (role: Role): AttackOp[] =>
    edgeOperations({ schema, sizes, role, budget: plan.budgets[role], maxDepth: plan.maxDepth, today: plan.today, manifest, trustedOnly: plan.trustedRoles.includes(role) }).map((op) => {
      edges.push({ role, shape: op.shape, edge: op.edge, k: op.k, cost: op.cost, budget: op.budget, trusted: op.trusted });
      return { kind: `${role} edge ${op.edge}: ${op.shape}`, spec: (i) => ({ body: json(op.query, op.variables(i)) }) };
    });
  const closeContact = operationText('CloseContactCheck');
  const PUBLIC: AttackOp[] = [
    ...cases('PUBLIC'),
    {
      kind: 'PUBLIC personal lookup over GET',
      spec: (i) => ({ method: 'GET', body: new URLSearchParams({ query: closeContact, variables: JSON.stringify({ name: '王红', idNumber: madeUpIdNumber(i) }) }).toString() }),
    },
    { kind: 'PUBLIC self-service lookups of made-up ID numbers', spec: (i) => ({ body: json(closeContact, { name: '张三', idNumber: madeUpIdNumber(i) }) }) },
    ...edgeOps('PUBLIC'),
  ];
  // documents a partner's budget lets through that are not in the manifest: refused as untrusted
  const untrusted = edgeOperations({ schema, sizes, role: 'PARTNER', budget: plan.budgets.PARTNER, maxDepth: plan.maxDepth, today: plan.today, manifest: [], trustedOnly: false }).filter((o) => o.edge === 'within');
  const PARTNER: AttackOp[] = [
    {
      kind: 'PARTNER issue case: NationalDaily × 366 days',
      spec: (i) => ({ body: json(nationalDaily, { from: addDays(plan.today, -365 - (i % 365)), to: addDays(plan.today, -(i % 365)) }) }),
    },
    ...edgeOps('PARTNER'),
    ...untrusted.slice(0, 2).map((op) => ({ kind: `PARTNER untrusted document: ${op.shape}`, spec: (i: number) => ({ body: json(op.query, op.variables(i)) }) })),
  ];
  const GOV: AttackOp[] = [...cases('GOV'), ...edgeOps('GOV')];
  return { ops: { PUBLIC, PARTNER, GOV }, edges };
}

/** The caller groups: who sends, from where, with which key. */
function callerGroups(plan: AttackPlan): { name: string; role: 'PUBLIC' | 'PARTNER' | 'GOV'; workers: number; caller: (n: number) => { from?: string; headers?: Record<string, string> } }[] {
  const bearer = (key: string) => ({ authorization: `Bearer ${key}` });
  return [
    { name: 'PUBLIC, one address', role: 'PUBLIC', workers: plan.workers.publicOne, caller: () => ({ from: '127.0.0.250' }) },
    { name: 'PUBLIC, 200 addresses', role: 'PUBLIC', workers: plan.workers.publicMany, caller: (n) => ({ from: `127.0.1.${1 + (n % 200)}` }) },
    { name: 'PARTNER, one key', role: 'PARTNER', workers: plan.workers.partnerOne, caller: () => ({ headers: bearer(plan.keys.partner[0]) }) },
    { name: `PARTNER, ${plan.keys.partner.length - 1} keys`, role: 'PARTNER', workers: plan.workers.partnerMany, caller: (n) => ({ headers: bearer(plan.keys.partner[1 + (n % (plan.keys.partner.length - 1))]) }) },
    { name: 'GOV, one key', role: 'GOV', workers: plan.workers.govOne, caller: () => ({ headers: bearer(plan.keys.gov[0]) }) },
    { name: `GOV, ${plan.keys.gov.length - 1} keys`, role: 'GOV', workers: plan.workers.govMany, caller: (n) => ({ headers: bearer(plan.keys.gov[1 + (n % (plan.keys.gov.length - 1))]) }) },
  ];
}

/** The attacker process: every group's workers send back to back until the time is up. */
async function runAttacker(plan: AttackPlan): Promise<AttackReport> {
  const { ops: all, edges } = attackOps(plan);
  const skip = plan.skip ? new RegExp(plan.skip) : null;
  const ops = skip ? (Object.fromEntries(Object.entries(all).map(([role, list]) => [role, list.filter((op) => !skip.test(op.kind))])) as typeof all) : all;
  const byKind: AttackReport['byKind'] = {};
  const byCaller: AttackReport['byCaller'] = {};
  const ms: Record<string, number[]> = {};
  let requests = 0;
  const count = (table: Record<string, Record<string, number>>, key: string, outcome: string) => {
    const row = (table[key] ??= {});
    row[outcome] = (row[outcome] ?? 0) + 1;
  };
  const until = Date.now() + plan.seconds * 1000;
  const workers: Promise<void>[] = [];
  let sent = 0;
  // pacing: each request takes the next slot of 1/rate s, whichever worker sends it
  let nextSlot = performance.now();
  const pace = async () => {
    if (plan.rate <= 0) return;
    const at = Math.max(nextSlot, performance.now());
    nextSlot = at + 1000 / plan.rate;
    const wait = at - performance.now();
    if (wait > 0) await sleep(wait);
  };
  for (const group of callerGroups(plan)) {
    const list = ops[group.role];
    for (let w = 0; w < group.workers; w++) {
      workers.push(
        (async () => {
          for (let i = w; Date.now() < until; i += group.workers) {
            await pace();
            if (Date.now() >= until) break;
            const op = list[i % list.length];
            const n = sent++;
            const caller = group.caller(n);
            const spec = op.spec(n, caller.from);
            const r = await send(plan.base, { ...spec, from: caller.from, headers: { ...spec.headers, ...caller.headers } });
            requests++;
            count(byKind, op.kind, r.outcome);
            count(byCaller, group.name, r.outcome);
            (ms[r.outcome] ??= []).push(r.ms);
            // a connection refused (server gone): do not spin
            if (r.outcome.startsWith('network:ECONNREFUSED')) await sleep(100);
          }
        })(),
      );
    }
  }
  await Promise.all(workers);
  const msByOutcome = Object.fromEntries(
    Object.entries(ms).map(([o, list]) => {
      const sorted = list.sort((a, b) => a - b);
      return [o, { n: sorted.length, p50: percentile(sorted, 0.5), p99: percentile(sorted, 0.99) }];
    }),
  );
  return { requests, byKind, byCaller, msByOutcome, edgeOperations: edges };
}

function startAttacker(plan: AttackPlan): { child: ChildProcess; report: Promise<AttackReport> } {
  const child = fork(__filename, ['--attacker'], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const report = new Promise<AttackReport>((resolve, reject) => {
    // first 'ready' (it listens), then its report
    child.on('message', (m) => (m === 'ready' ? child.send(plan) : resolve(m as AttackReport)));
    child.once('exit', (code) => reject(new Error(`the attacker process exited (${code}) without a report`)));
  });
  // awaited once the legitimate mix has been measured; a failure before then is not unhandled
  report.catch(() => undefined);
  return { child, report };
}

// ---- the server: memory, /metrics ---------------------------------------------------------------

interface ServerSample {
  peakRssMb: number;
  vmHwmMb: number;
  serverCpuPercent: number;
  machineCpuPercent: number;
}

/** The server's RSS (every 250 ms) and peak, and its CPU and the machine's over the same time (% of one core). */
function sampleServer(server: BenchServer): { stop(): ServerSample } {
  const pid = server.child.pid!;
  const t0 = performance.now();
  const c0 = cpuTicks(pid);
  const m0 = machineTicks();
  let peak = 0;
  let hwm = 0;
  let cpu = c0;
  const read = () => {
    try {
      peak = Math.max(peak, server.rssMb());
      hwm = Math.max(hwm, server.peakRssMb());
      cpu = cpuTicks(pid);
    } catch {
      // the process is gone
    }
  };
  read();
  const timer = setInterval(read, 250);
  return {
    stop() {
      clearInterval(timer);
      read();
      const seconds = (performance.now() - t0) / 1000;
      const percent = (ticks: number) => Math.round((ticks / TICKS / seconds) * 1000) / 10;
      return { peakRssMb: peak, vmHwmMb: hwm, serverCpuPercent: percent(cpu - c0), machineCpuPercent: percent(machineTicks() - m0) };
    },
  };
}

interface ServerCounters {
  refused: Record<string, number>;
  processFaults: Record<string, number>;
  eventLoopLagSeconds: number | null;
}

/** Counters of /metrics by their labels: refusals by class and reason, process faults by kind. */
async function serverCounters(base: string): Promise<ServerCounters | null> {
  try {
    const text = await (await fetch(`${base}/metrics`)).text();
    const refused: Record<string, number> = {};
    for (const m of text.matchAll(/^changxing_requests_refused_total\{class="([^"]+)",reason="([^"]+)"\} (\S+)$/gm)) refused[`${m[1]}/${m[2]}`] = Number(m[3]);
    const processFaults: Record<string, number> = {};
    for (const m of text.matchAll(/^changxing_process_faults_total\{kind="([^"]+)"\} (\S+)$/gm)) processFaults[m[1]] = Number(m[2]);
    const lag = /^changxing_event_loop_lag_seconds (\S+)$/m.exec(text);
    return { refused, processFaults, eventLoopLagSeconds: lag ? Number(lag[1]) : null };
  } catch {
    return null;
  }
}

// ---- main ---------------------------------------------------------------------------------------

/** A TCP port the system has just given out. */
function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

export async function runAttackBench(argv: string[] = process.argv.slice(2)): Promise<void> {
  const run = await prepareAttack(await attackOptions(argv));
  try {
    const { server, passServer, instances } = await startInstances(run);
    const base = server.url;
    const keys = await attackerKeys(run);
    const { mix, passCheck, cachedBodies } = await legitimateMix(run, base, passServer?.url);
    await warmUp(base, mix, cachedBodies);
    const quiet = await measureQuiet(server, base, mix, run.options.quietSeconds);
    const attack = await measureUnderAttack(run, server, base, mix, keys);
    const afterwards = await checkAfterwards(base, passCheck, passServer?.url);
    writeAttackReport(run, { server, instances, mix, ...quiet, ...attack, ...afterwards });
  } finally {
    run.attacker?.kill('SIGTERM');
    for (const s of run.servers) await s.stop().catch(() => {});
    await run.keysPool.end();
    await run.db.close();
  }
}

/** The command line of `--attack`. */
interface AttackOptions {
  quietSeconds: number;
  attackSeconds: number;
  passRate: number;
  attackRate: number;
  ports: number[];
  scale: number;
  skip: string | null;
  /** The second instance stays up serving only pass checks (PASS_CHECKS=dedicated), the attacked one PASS_CHECKS=elsewhere. */
  passInstance: boolean;
}

async function attackOptions(argv: string[]): Promise<AttackOptions> {
  const { values } = parseArgs({
    args: argv,
    strict: false,
    options: {
      'quiet-seconds': { type: 'string', default: '30' },
      'attack-seconds': { type: 'string', default: '60' },
      'pass-rate': { type: 'string', default: '100' },
      // attack requests per second in all; 0: every worker back to back (a volumetric flood)
      'attack-rate': { type: 'string', default: '100' },
      // default: ports the system gives out now (a fixed one may be another engineer's server, whose /readyz would answer)
      port: { type: 'string' },
      // workers per caller group (× this)
      scale: { type: 'string', default: '1' },
      // a pattern of attack kinds to leave out, e.g. --skip 'CheckPasses' (diagnosis; the proof runs them all)
      skip: { type: 'string' },
      // pass checks on an instance of their own (docs/scaling.md, "Pass checks on instances of their own")
      'pass-instance': { type: 'boolean', default: false },
    },
  });
  return {
    quietSeconds: Number(values['quiet-seconds']),
    attackSeconds: Number(values['attack-seconds']),
    passRate: Number(values['pass-rate']),
    attackRate: Number(values['attack-rate']),
    ports: values.port ? [Number(values.port), Number(values.port) + 1] : [await freePort(), await freePort()],
    scale: Number(values.scale),
    skip: typeof values.skip === 'string' ? values.skip : null,
    passInstance: values['pass-instance'] === true,
  };
}

/** What the phases of one attack bench share. `servers`, `attacker` and the pools are closed whatever happens. */
interface AttackRun {
  options: AttackOptions;
  t0: number;
  loadBefore: number[];
  db: BenchDatabase;
  today: string;
  serverEnv: Record<string, string>;
  config: Config;
  logFile: string;
  secondLog: string;
  nodeArgs: string[];
  servers: BenchServer[];
  keysPool: pg.Pool;
  attacker: ChildProcess | null;
}

async function prepareAttack(options: AttackOptions): Promise<AttackRun> {
  const t0 = Date.now();
  const loadBefore = loadavg();
  // self-service limits are per address in this process (a Redis of another run keeps its counts for a day)
  delete process.env.REDIS_URL;
  const db = await openBenchDatabase(log);
  const today = todayCst();
  const serverEnv: Record<string, string> = {
    NODE_ENV: 'production',
    ...(await apiRoleEnv(db.url, `${BENCH_DB}_api`)),
    ID_HASH_SECRET: db.secrets.idHashSecret,
    PASS_SIGNING_KEY: db.secrets.passSigningKey,
    // BENCH_SERVER_LOG_LEVEL=info: every request's log line (timings per phase) in the server log
    LOG_LEVEL: process.env.BENCH_SERVER_LOG_LEVEL ?? 'warn',
  };
  const config = loadConfig({ ...process.env, ...serverEnv });
  // each instance's output in a file of its own (bench/results, git-ignored)
  const logFile = path.join(ROOT, 'bench/results/attack-server.log');
  const secondLog = path.join(ROOT, 'bench/results/attack-server-2.log');
  mkdirSync(path.dirname(logFile), { recursive: true });
  for (const f of [logFile, secondLog]) writeFileSync(f, '');
  // npm start's heap limit (package.json)
  const nodeArgs = [`--max-old-space-size=${process.env.HEAP_LIMIT_MB ?? 768}`];
  const keysPool = new pg.Pool({ connectionString: db.url, max: 1 });
  return { options, t0, loadBefore, db, today, serverEnv, config, logFile, secondLog, nodeArgs, servers: [], keysPool, attacker: null };
}

interface Instances {
  startedTogether: number;
  ready: number;
  errors: string[];
}

/**
 * Two instances started at once; the first is the one attacked, the second stopped once it has shown
 * it starts — or, with `--pass-instance`, kept serving the partner's pass checks only.
 */
async function startInstances(run: AttackRun): Promise<{ server: BenchServer; passServer: BenchServer | null; instances: Instances }> {
  const { serverEnv, options, nodeArgs, logFile, secondLog, servers } = run;
  // issue 15: "starting two instances at once, the second died with Another migration is already running"
  log(`two production instances started at once${options.passInstance ? ' (the second serving pass checks only)' : ''}`);
  const firstEnv = options.passInstance ? { ...serverEnv, PASS_CHECKS: 'elsewhere' } : serverEnv;
  const secondEnv = options.passInstance ? { ...serverEnv, PASS_CHECKS: 'dedicated' } : serverEnv;
  const started = await Promise.allSettled([startBenchServer(firstEnv, options.ports[0], undefined, { nodeArgs, output: logFile }), startBenchServer(secondEnv, options.ports[1], undefined, { nodeArgs, output: secondLog })]);
  for (const s of started) if (s.status === 'fulfilled') servers.push(s.value);
  // a failed instance's error with the last lines it wrote
  const failure = (s: PromiseSettledResult<BenchServer>, file: string) =>
    s.status === 'rejected' ? `${String(s.reason)}: ${readFileSync(file, 'utf8').trim().split('\n').slice(-5).join(' | ').slice(0, 1500)}` : null;
  const instances = { startedTogether: 2, ready: servers.length, errors: [failure(started[0], logFile), failure(started[1], secondLog)].filter((e) => e !== null) };
  if (started[0].status === 'rejected') throw started[0].reason;
  const server = servers[0];
  if (options.passInstance) {
    if (started[1].status === 'rejected') throw started[1].reason;
    return { server, passServer: started[1].value, instances };
  }
  if (servers[1]) await servers[1].stop();
  return { server, passServer: null, instances };
}

/** API keys for the attacker: the first of each role is the one-key attacker, the others the many-keys attacker. */
async function attackerKeys(run: AttackRun): Promise<AttackPlan['keys']> {
  const store = KeyStore.over(run.keysPool);
  const newKeys = async (role: 'PARTNER' | 'GOV', n: number) =>
    Promise.all(Array.from({ length: n }, async () => (await store.create({ role, ownerName: 'bench attacker (npm run bench -- --attack)' })).key));
  return { partner: await newKeys('PARTNER', 9), gov: await newKeys('GOV', 5) };
}

/**
 * The legitimate mix; the partner's pass check it sends (sent once more after the attack); the
 * bodies the response cache answers.
 */
async function legitimateMix(run: AttackRun, base: string, passBase?: string): Promise<{ mix: Legit[]; passCheck: () => RequestSpec; cachedBodies: string[] }> {
  const partner = { authorization: `Bearer ${run.db.keys.partner}` };
  // passes for the partner's checks, each issued from an address of its own (3 ID numbers per address and day)
  const tokens: string[] = [];
  for (const [i, p] of DEMO_PEOPLE.entries()) {
    const r = await send(base, { body: JSON.stringify({ query: operationText('IssuePass'), variables: { name: p.name, idNumber: p.idNumber } }), from: `127.0.0.${100 + i}` }, 30_000, true);
    const token = (JSON.parse(r.text ?? '{}') as { data?: { issuePass?: { pass?: { token?: string } } } }).data?.issuePass?.pass?.token;
    if (!token) throw new Error(`IssuePass for ${p.name}: ${r.outcome} ${r.text?.slice(0, 300)}`);
    tokens.push(token);
  }
  const json = (query: string, variables: Record<string, unknown>) => JSON.stringify({ query, variables });
  const nationalMap = json(operationText('NationalRiskMap'), {});
  const provinces = ['420000', '440000', '510000', '110000'];
  const drilldowns = provinces.map((code) => json(operationText('ProvinceDrilldown'), { code, from: addDays(run.today, -29), to: run.today }));
  const check = json(operationText('CheckPass'), { token: tokens[3] });
  const passCheck = () => ({ body: check, headers: partner, from: '127.0.0.2' });
  // dashboards are a few dozen addresses; the partner's gates are one key
  const mix: Legit[] = [
    { name: 'passCheck', rate: run.options.passRate, spec: passCheck, ...(passBase ? { base: passBase } : {}) },
    { name: 'nationalMap', rate: 2, spec: (i) => ({ body: nationalMap, from: `127.0.2.${1 + (i % 50)}` }) },
    { name: 'drilldown', rate: 2, spec: (i) => ({ body: drilldowns[i % drilldowns.length], from: `127.0.3.${1 + (i % 50)}` }) },
  ];
  return { mix, passCheck, cachedBodies: [nationalMap, ...drilldowns] };
}

async function warmUp(base: string, mix: Legit[], cachedBodies: string[]): Promise<void> {
  // the response cache holds the map and the drill-downs, as in service after their first request
  for (const body of cachedBodies) await send(base, { body, from: '127.0.0.3' });
  log('warm-up: the legitimate mix for 5 s');
  await legitMix(base, mix, 5);
}
async function measureQuiet(server: BenchServer, base: string, mix: Legit[], seconds: number): Promise<{ quiet: Record<string, LegitResult>; quietRss: ServerSample }> {
  log(`quiet: the legitimate mix for ${seconds} s`);
  const quietMemory = sampleServer(server);
  const quiet = await legitMix(base, mix, seconds);
  return { quiet, quietRss: quietMemory.stop() };
}

interface UnderAttack {
  plan: AttackPlan;
  underAttack: Record<string, LegitResult>;
  attackReport: AttackReport;
  attackRss: ServerSample;
  exitedDuringAttack: boolean;
}

/** The attacker's process started; the legitimate mix measured while it runs; its report. */
async function measureUnderAttack(run: AttackRun, server: BenchServer, base: string, mix: Legit[], keys: AttackPlan['keys']): Promise<UnderAttack> {
  const { options, config } = run;
  const plan: AttackPlan = {
    base,
    seconds: options.attackSeconds + 4,
    today: run.today,
    workers: Object.fromEntries(Object.entries({ publicOne: 6, publicMany: 24, partnerOne: 4, partnerMany: 8, govOne: 4, govMany: 8 }).map(([k, v]) => [k, Math.max(1, Math.round(v * options.scale))])),
    rate: options.attackRate,
    keys,
    budgets: config.limits.maxCost,
    maxDepth: config.limits.maxDepth,
    trustedRoles: config.trustedDocuments.roles,
    skip: options.skip,
  };
  log(`under attack: ${Object.values(plan.workers).reduce((a, b) => a + b, 0)} attacking workers, the legitimate mix measured for ${options.attackSeconds} s`);
  const attackMemory = sampleServer(server);
  const started = startAttacker(plan);
  run.attacker = started.child;
  // the attack ramps up (its process loads the schema and generates its operations) before the measurement
  await sleep(3000);
  const underAttack = await legitMix(base, mix, options.attackSeconds);
  const attackReport = await started.report;
  run.attacker = null;
  const attackRss = attackMemory.stop();
  const exitedDuringAttack = server.child.exitCode !== null || server.child.signalCode !== null;
  return { plan, underAttack, attackReport, attackRss, exitedDuringAttack };
}

interface Afterwards {
  readyz: number | null;
  after: Sent;
  counters: ServerCounters | null;
  loadAfter: number[];
}

/** Afterwards: still up, still ready, still checking passes; the server's counters. */
async function checkAfterwards(base: string, passCheck: () => RequestSpec, passBase?: string): Promise<Afterwards> {
  await sleep(1000);
  const readyz = await fetch(`${base}/readyz`).then((r) => r.status, () => null);
  const after = await send(passBase ?? base, passCheck());
  const counters = await serverCounters(base);
  return { readyz, after, counters, loadAfter: loadavg() };
}

/** Everything measured by one run, for the report. */
interface Measured extends UnderAttack, Afterwards {
  server: BenchServer;
  instances: Instances;
  mix: Legit[];
  quiet: Record<string, LegitResult>;
  quietRss: ServerSample;
}

/** Each legitimate workload quiet and under attack, and how much of its quiet throughput and p99 it kept. */
function compareLegit(m: Measured) {
  const ratio = (a: number, b: number) => (b > 0 ? Math.round((a / b) * 100) / 100 : null);
  return Object.fromEntries(
    m.mix.map((w) => [
      w.name,
      {
        quiet: m.quiet[w.name],
        underAttack: m.underAttack[w.name],
        throughputRatio: ratio(m.underAttack[w.name].throughputRps, m.quiet[w.name].throughputRps),
        p99Ratio: ratio(m.underAttack[w.name].p99Ms, m.quiet[w.name].p99Ms),
      },
    ]),
  );
}

/** The attack requests by outcome, over every kind. */
function outcomeTotals(attackReport: AttackReport): Record<string, number> {
  const totals: Record<string, number> = {};
  for (const outcomes of Object.values(attackReport.byKind)) for (const [o, n] of Object.entries(outcomes)) totals[o] = (totals[o] ?? 0) + n;
  return totals;
}

/** The proof's targets (BENCHMARKS.md, "Under attack"), each true or false. */
function attackTargets(m: Measured, legit: ReturnType<typeof compareLegit>, totals: Record<string, number>) {
  const pass = legit.passCheck;
  return {
    'the server never exits': !m.exitedDuringAttack && m.server.child.exitCode === null,
    'RSS stays under 1 GB': Math.max(m.attackRss.peakRssMb, m.attackRss.vmHwmMb) < 1024,
    'pass checks keep ≥ 80 % of their quiet throughput': (pass.throughputRatio ?? 0) >= 0.8,
    'pass checks p99 ≤ 3× quiet': pass.underAttack.p99Ms <= 3 * pass.quiet.p99Ms,
    'pass checks without errors': pass.underAttack.errors === 0,
    'the national map keeps answering': legit.nationalMap.underAttack.ok > 0 && legit.nationalMap.underAttack.errors === 0,
    'every attack request refused with a code or answered (no network errors, no INTERNAL_SERVER_ERROR)': Object.keys(totals).every((o) => !o.startsWith('network:') && !o.includes('INTERNAL_SERVER_ERROR') && !o.startsWith('HTTP ')),
    'no unhandled rejection or uncaught exception': Object.values(m.counters?.processFaults ?? {}).every((n) => n === 0),
  };
}

/** The report under `attack` in bench/results/latest.json (the other keys kept), and its tables on stdout. */
function writeAttackReport(run: AttackRun, m: Measured): void {
  const legit = compareLegit(m);
  const totals = outcomeTotals(m.attackReport);
  const stayedUp = !m.exitedDuringAttack && m.readyz === 200 && m.after.outcome === 'ok';
  const targets = attackTargets(m, legit, totals);
  const report = attackReportJson(run, m, { legit, totals, stayedUp, targets });
  const out = path.join(ROOT, 'bench/results/latest.json');
  const previous = existsSync(out) ? (JSON.parse(readFileSync(out, 'utf8')) as Record<string, unknown>) : {};
  writeFileSync(out, JSON.stringify({ ...previous, attack: report }, null, 2));

  console.table(
    Object.entries(legit).flatMap(([name, r]) =>
      (['quiet', 'underAttack'] as const).map((phase) => ({ workload: name, phase, offered: r[phase].offeredRps, rps: r[phase].throughputRps, p50Ms: r[phase].p50Ms, p99Ms: r[phase].p99Ms, errors: r[phase].errors })),
    ),
  );
  console.table(Object.entries(totals).sort((a, b) => b[1] - a[1]).map(([outcome, n]) => ({ outcome, requests: n })));
  console.log('server', report.server.rssMb, report.server.cpuPercent, report.server.machineCpuPercent, { stayedUp, readyz: m.readyz, exitCode: m.server.child.exitCode });
  console.log('targets', targets);
  console.log(`written ${path.relative(process.cwd(), out)} (attack) in ${report.totalSeconds} s; server log: ${path.relative(process.cwd(), run.logFile)}`);
}

function attackReportJson(
  run: AttackRun,
  m: Measured,
  { legit, totals, stayedUp, targets }: { legit: ReturnType<typeof compareLegit>; totals: Record<string, number>; stayedUp: boolean; targets: ReturnType<typeof attackTargets> },
) {
  const { options: o, db } = run;
  const { attackReport, quietRss, attackRss, plan } = m;
  const refusedByKind = Object.fromEntries(Object.entries(attackReport.byKind).map(([kind, outcomes]) => [kind, outcomes]));
  return {
    when: new Date().toISOString(),
    command: `npm run bench -- --attack --quiet-seconds ${o.quietSeconds} --attack-seconds ${o.attackSeconds} --pass-rate ${o.passRate} --attack-rate ${o.attackRate} --scale ${o.scale}${o.passInstance ? ' --pass-instance' : ''}`,
    totalSeconds: Math.round((Date.now() - run.t0) / 1000),
    machine: {
      cpus: cpus().length,
      memoryGb: Math.round((totalmem() / 2 ** 30) * 10) / 10,
      node: process.version,
      loadAverageBefore: run.loadBefore.map((x) => Math.round(x * 100) / 100),
      loadAverageAfter: m.loadAfter.map((x) => Math.round(x * 100) / 100),
      note: 'a machine shared with other engineers\' work: the load averages say how busy it was',
    },
    dataset: { scale: 'medium', database: db.url.replace(/\/\/[^@]*@/, '//…@'), rows: db.rowCounts },
    server: {
      command: `node ${run.nodeArgs.join(' ')} dist/src/main.js (NODE_ENV=production)`,
      instances: m.instances,
      rssMb: { quietPeak: quietRss.peakRssMb, attackPeak: attackRss.peakRssMb, vmHwm: attackRss.vmHwmMb },
      // % of one core over each phase: the server's, and every process's on the machine (2 cores: 200 %)
      cpuPercent: { quiet: quietRss.serverCpuPercent, underAttack: attackRss.serverCpuPercent },
      machineCpuPercent: { quiet: quietRss.machineCpuPercent, underAttack: attackRss.machineCpuPercent },
      exitedDuringAttack: m.exitedDuringAttack,
      exitCode: m.server.child.exitCode,
      readyzAfter: m.readyz,
      passCheckAfter: m.after.outcome,
      stayedUp,
      metrics: m.counters,
    },
    settings: { quietSeconds: o.quietSeconds, attackSeconds: o.attackSeconds, passChecks: o.passInstance ? 'an instance of their own (PASS_CHECKS=dedicated; the attacked one PASS_CHECKS=elsewhere)' : 'on the attacked instance', legitimate: m.mix.map((w) => ({ name: w.name, rate: w.rate })), attackers: plan.workers, budgets: plan.budgets },
    legitimate: legit,
    attackRequests: { total: attackReport.requests, perSecond: Math.round(attackReport.requests / plan.seconds), byOutcome: totals, byKind: refusedByKind, byCaller: attackReport.byCaller, msByOutcome: attackReport.msByOutcome },
    edgeOperations: attackReport.edgeOperations,
    targets,
  };
}

if (process.argv.includes('--attacker')) {
  process.once('message', (plan) => {
    runAttacker(plan as AttackPlan).then(
      (report) => process.send!(report, () => process.exit(0)),
      (err) => {
        process.stderr.write(`[attacker] ${(err as Error).stack ?? err}\n`);
        process.exit(1);
      },
    );
  });
  process.send!('ready');
} else if (require.main === module) {
  runAttackBench().catch((err) => {
    process.stderr.write(`${(err as Error).stack ?? err}\n`);
    process.exit(1);
  });
}
