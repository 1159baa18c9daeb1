import path from 'node:path';
import { freePort, waitFor } from '../helpers/processes';
import { runEntryPoint } from '../helpers/entryPoints';
import { operation } from '../helpers/operations';
import { TEST_ID_HASH_SECRET } from '../helpers/secrets';
import { TEST_BULKHEADS } from '../helpers/bulkheads';
import { seededCopy, type OwnDatabase } from '../helpers/fixtures';

/**
 * npm start's answer to errors nobody caught (src/startup.ts, handleProcessFaults), on the real
 * server process: a fault is injected with SIGUSR2 (tests/helpers/injectFault.mjs) once it serves.
 */
const ROOT = path.resolve(__dirname, '../..');
// npm start runs the retention purge, which deletes the seed's oldest stays: a copy of the suite's own
let db: OwnDatabase;
beforeAll(async () => {
  db = await seededCopy('process_faults');
});
afterAll(async () => {
  await db?.drop();
});

async function startServer(fault: 'rejection' | 'exception') {
  const port = await freePort();
  // the bulkheads lifted as in the other suites: on a busy machine the in-flight map would be shed
  const env = { ...process.env, ...TEST_BULKHEADS, NODE_ENV: 'development', DATABASE_URL: db.url, PORT: String(port), HOST: '127.0.0.1', SEED_ON_START: 'never', LOG_LEVEL: 'info', ID_HASH_SECRET: TEST_ID_HASH_SECRET, INJECT_FAULT: fault };
  const running = runEntryPoint('src/main.ts', [], env, ['--import', path.join(ROOT, 'tests/helpers/injectFault.mjs')]);
  const url = `http://127.0.0.1:${port}`;
  await waitFor(async () => running.child.exitCode !== null || (await fetch(`${url}/readyz`).then((r) => r.ok, () => false)), 60_000, 'the server to be ready');
  const logLines = () =>
    running
      .output()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, any>);
  return { child: running.child, url, exited: running.exited, logLines, output: running.output };
}

const post = (url: string, query: string) =>
  fetch(`${url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query, variables: {} }) });

describe('errors nobody caught, in the server process', () => {
  it('an unhandled rejection is logged with its error and counted, and the server goes on serving', async () => {
    const s = await startServer('rejection');
    try {
      s.child.kill('SIGUSR2');
      await waitFor(() => s.logLines().some((l) => l.fault === 'unhandled_rejection'), 10_000, `the rejection's log line in:\n${s.output()}`);
      const line = s.logLines().find((l) => l.fault === 'unhandled_rejection')!;
      expect([line.level, line.err.message, line.msg]).toEqual([50, 'injected rejection', expect.stringMatching(/goes on serving/)]);
      expect(line.err.stack).toMatch(/injectFault\.mjs/);
      expect((await fetch(`${s.url}/readyz`)).status).toBe(200);
      const answer = await post(s.url, '{ region(code: "420106") { name } }');
      expect([answer.status, await answer.json()]).toEqual([200, { data: { region: { name: '武昌区' } }, extensions: expect.anything() }]);
      expect(await (await fetch(`${s.url}/metrics`)).text()).toMatch(/^changxing_process_faults_total\{kind="unhandled_rejection"\} 1$/m);
      expect(s.child.exitCode).toBeNull();
    } finally {
      s.child.kill('SIGTERM');
    }
    expect(await s.exited).toBe(0);
  });

  it('an uncaught exception is logged as fatal, the request in flight still answers, and the server stops with exit code 1', async () => {
    const s = await startServer('exception');
    try {
      const inFlight = post(s.url, operation('NationalRiskMap'));
      await new Promise((r) => setTimeout(r, 20)); // the request has reached the server
      s.child.kill('SIGUSR2');
      const res = await inFlight;
      expect(res.status).toBe(200);
      expect(((await res.json()) as { data: { counties: { totalCount: number } } }).data.counties.totalCount).toBeGreaterThan(2900);
      expect(await s.exited).toBe(1);
      const fatal = s.logLines().find((l) => l.fault === 'uncaught_exception');
      expect([fatal?.level, fatal?.err.message, fatal?.origin]).toEqual([60, 'injected exception', 'uncaughtException']);
      // the graceful stop ran: its lines follow the fatal one
      expect(s.logLines().map((l) => l.msg)).toEqual(expect.arrayContaining(['shutting down: no new connections, finishing in-flight requests', 'stopped']));
      await expect(fetch(`${s.url}/healthz`)).rejects.toThrow();
    } finally {
      if (s.child.exitCode === null) s.child.kill('SIGKILL');
    }
  });
});
