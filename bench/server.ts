import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
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
  stop(): Promise<void>;
}

/** `entry`: the script and its arguments (default the single server; the federated stack for issue 9). */
export async function startBenchServer(env: Record<string, string>, port: number, entry: string[] = ['src/main.ts']): Promise<BenchServer> {
  const root = path.resolve(__dirname, '..');
  // BENCH_CPU_PROF=<dir>: each server writes a V8 CPU profile there when it exits (docs/benchmarks.md, Profiling).
  const profile = process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [];
  const child = spawn(process.execPath, [...profile, '--import', 'tsx', path.join(root, entry[0]), ...entry.slice(1)], {
    cwd: root,
    env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 180_000; // a first run may seed the embedded database
  for (;;) {
    if (child.exitCode != null) throw new Error(`server exited with code ${child.exitCode}`);
    const ready = await fetch(`${url}/readyz`).then((r) => r.ok, () => false);
    if (ready) break;
    if (Date.now() > deadline) throw new Error('server did not become ready in 180 s');
    await new Promise((r) => setTimeout(r, 500));
  }
  return {
    url,
    child,
    rssMb() {
      const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
      const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
      return Math.round(kb / 1024);
    },
    stop: () =>
      new Promise((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
