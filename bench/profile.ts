/**
 * `npx tsx --cpu-prof --cpu-prof-dir=/tmp/prof bench/profile.ts <W1|W3|W4> [requests] [concurrency]`:
 * an in-process production server on the bench database, driven by fetch, for CPU profiles of one
 * workload (docs/benchmarks.md, "Profiling"). Prints the wall time and the process's CPU time per
 * request. `PROFILE_BUILD=dist` runs the production build (`npm run build`) instead of the sources
 * through tsx, whose transform adds its own cost to every function. `PROFILE_HEAP=<file>` also
 * writes the allocations of the timed requests by stack (sampleAllocations, below).
 */
import path from 'node:path';
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import type * as Bootstrap from '../src/bootstrap';
import type * as Server from '../src/server';
import { apiRoleEnv, BENCH_DB, inProcessServerEnv, openBenchDatabase, ROOT } from './setup';
import { operationText } from './operations';
import { DEMO_PEOPLE } from '../src/seed/demoPeople';

async function main() {
  const [which = 'W4', n = '50', conc = '1'] = process.argv.slice(2);
  const built = process.env.PROFILE_BUILD === 'dist';
  const { bootstrap }: typeof Bootstrap = await import(built ? '../dist/src/bootstrap.js' : '../src/bootstrap');
  const { makeApp }: typeof Server = await import(built ? '../dist/src/server.js' : '../src/server');
  const db = await openBenchDatabase((m) => process.stderr.write(`[profile] ${m}\n`));
  // production refuses a superuser: the API logs in as a role of its own, as the bench's servers do
  const roleEnv = await apiRoleEnv(db.url, `${BENCH_DB}_api`);
  const rt = await bootstrap({
    applicationName: 'changxing-profile',
    env: inProcessServerEnv(db, {
      ...roleEnv,
      NODE_ENV: 'production',
      LOG_LEVEL: 'warn',
      SELF_SERVICE_MAX_IDS_PER_DAY: '100000000',
      SELF_SERVICE_RATE_PER_MINUTE: '100000000',
      // no shedding: this server shares the profiler's loop (its client), which lags right after start-up
      SHED_LAG_MS: 'pass=none,self=none,official=none,public=none',
      SHED_BUSY_PERCENT: 'pass=none,self=none,official=none,public=none',
      DATA_DIR: path.join(ROOT, '.data/bench-profile'),
    }),
  });
  const app = makeApp({ config: rt.config, pools: rt.db.pools, logger: rt.logger, secrets: rt.secrets });
  await app.start();
  await new Promise<void>((r) => app.httpServer.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(app.httpServer.address() as { port: number }).port}/graphql`;
  const post = (body: object, key?: string) =>
    fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) }, body: JSON.stringify(body) }).then(
      (r) => r.json() as Promise<any>,
    );
  const tokens: string[] = [];
  for (const p of DEMO_PEOPLE) tokens.push((await post({ query: operationText('IssuePass'), variables: { name: p.name, idNumber: p.idNumber } })).data.issuePass.pass.token);
  const bodies: Record<string, [object, string?]> = {
    W1: [{ query: operationText('NationalRiskMap'), variables: {} }],
    W3: [{ query: operationText('CheckPass'), variables: { token: tokens[3] } }, db.keys.partner],
    W4: [{ query: operationText('CheckPasses'), variables: { tokens: Array.from({ length: 1000 }, (_, i) => tokens[i % tokens.length]) } }, db.keys.partner],
  };
  const [body, key] = bodies[which];
  const first = await post(body, key);
  if (first.errors) throw new Error(JSON.stringify(first.errors));
  const heap = process.env.PROFILE_HEAP ? await sampleAllocations() : null;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let left = Number(n);
  await Promise.all(
    Array.from({ length: Number(conc) }, async () => {
      while (left-- > 0) {
        // an error answer is fast and would pass for a fast request
        const answer = await post(body, key);
        if (answer.errors) throw new Error(JSON.stringify(answer.errors).slice(0, 500));
      }
    }),
  );
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  console.log(
    `${which}: ${n} requests, concurrency ${conc}: ${(ms / Number(n)).toFixed(1)} ms/request wall, ${((cpu.user + cpu.system) / 1000 / Number(n)).toFixed(1)} ms/request CPU (client included), ${((Number(n) / ms) * 1000).toFixed(0)} rps`,
  );
  if (heap) await heap.stop(process.env.PROFILE_HEAP!);
  await app.stop();
  await rt.db.close();
  await db.close();
}
/**
 * PROFILE_HEAP=<file>: V8's sampling heap profiler over the timed requests, counting also what the
 * garbage collector has since freed — every allocation by its stack, a `.heapprofile` for Chrome
 * DevTools (the client's allocations, node:internal/deps/undici, are in it too).
 */
async function sampleAllocations(): Promise<{ stop(file: string): Promise<void> }> {
  const session = new Session();
  session.connect();
  const post = <T>(method: string, params?: object) => new Promise<T>((resolve, reject) => session.post(method, params, (err, res) => (err ? reject(err) : resolve(res as T))));
  await post('HeapProfiler.startSampling', { samplingInterval: 4096, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
  return {
    async stop(file) {
      const { profile } = await post<{ profile: unknown }>('HeapProfiler.stopSampling');
      writeFileSync(file, JSON.stringify(profile));
      session.disconnect();
    },
  };
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
