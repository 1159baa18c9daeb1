import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { openSync, readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * Starts the real server (src/main.ts) as a child process for load tests, so that its CPU and
 * memory are its own and the load generator's are not counted.
 */
export interface BenchServer {
  url: string;
  child: ChildProcess;
  /** Resident set size of the server process in MB (from /proc). */
  rssMb(): number;
  /** The largest resident set size the process has had so far, in MB (VmHWM of /proc). */
  peakRssMb(): number;
  stop(): Promise<void>;
}

let built = false;

/**
 * The compiled entry point `npm start` runs (dist/…/*.js, built here when stale), not the TypeScript
 * sources through tsx: tsx compiles with esbuild's keepNames, which wraps every function expression
 * in a `__name(…)` call — for the response budget's per-field closures that was ≈ 6 % of the
 * uncached national map's CPU, a cost no deployment pays.
 */
function compiledEntry(root: string, entry: string): string {
  if (!built) {
    execFileSync(process.execPath, [path.join(root, 'scripts/build.mjs'), '--if-stale', '--only', 'server'], { cwd: root, stdio: 'inherit' });
    built = true;
  }
  return path.join(root, 'dist', entry.replace(/\.ts$/, '.js'));
}

/**
 * `entry`: the script and its arguments (default the single server; the federated stack for issue 9).
 * `nodeArgs`: node's own flags, e.g. npm start's `--max-old-space-size=768`; `output`: a file that
 * takes the server's stdout and stderr (default: this process's).
 */
export async function startBenchServer(
  env: Record<string, string>,
  port: number,
  entry: string[] = ['src/main.ts'],
  { nodeArgs = [], output }: { nodeArgs?: string[]; output?: string } = {},
): Promise<BenchServer> {
  const root = path.resolve(__dirname, '..');
  // BENCH_CPU_PROF=<dir>: each server writes a V8 CPU profile there when it exits (docs/benchmarks.md, Profiling).
  const profile = process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [];
  // BENCH_NODE_ARGS='--trace-gc': Node flags for every bench server (NODE_OPTIONS refuses some, and reaches the load generator too)
  if (process.env.BENCH_NODE_ARGS) profile.push(...process.env.BENCH_NODE_ARGS.split(/\s+/).filter(Boolean));
  const out = output ? openSync(output, 'a') : 'inherit';
  const child = spawn(process.execPath, [...nodeArgs, ...profile, compiledEntry(root, entry[0]), ...entry.slice(1)], {
    cwd: root,
    env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', out, out],
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 180_000; // a first run may seed the embedded database
  for (;;) {
    if (child.exitCode != null) throw new Error(`server exited with code ${child.exitCode}`);
    const ready = await fetch(`${url}/readyz`).then((r) => r.ok, () => false);
    // ready, and still running: a server of someone else's on that port answers /readyz too
    if (ready) {
      await new Promise((r) => setTimeout(r, 300));
      if (child.exitCode != null) throw new Error(`server exited with code ${child.exitCode} (is port ${port} another process's?)`);
      break;
    }
    if (Date.now() > deadline) throw new Error('server did not become ready in 180 s');
    await new Promise((r) => setTimeout(r, 500));
  }
  return {
    url,
    child,
    rssMb: () => statusMb(child.pid!, 'VmRSS'),
    peakRssMb: () => statusMb(child.pid!, 'VmHWM'),
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/** A memory line of /proc/<pid>/status (VmRSS, VmHWM), in MB. */
export function statusMb(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const kb = Number(new RegExp(`${field}:\\s+(\\d+)`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
  return Math.round(kb / 1024);
}

export const TICKS = 100; // USER_HZ on Linux
export function cpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]); // utime + stime (fields 14, 15)
}
/** Busy ticks of the whole machine (/proc/stat: user nice system irq softirq steal). */
export function machineTicks(): number {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  return f[0] + f[1] + f[2] + f[5] + f[6] + f[7];
}
