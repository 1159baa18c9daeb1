import http from 'node:http';
import { operation } from '../helpers/operations';
import { TEST_ID_HASH_SECRET } from '../helpers/secrets';
import { freePort, processTree, stillRunning } from '../helpers/processes';
import { runEntryPoint, type Running } from '../helpers/entryPoints';
import { TEST_BULKHEADS } from '../helpers/bulkheads';
import { seededCopy, type OwnDatabase } from '../helpers/fixtures';

/**
 * WORKERS=2 (src/workers.ts): `npm start` as a primary and two node:cluster workers on one port.
 * Which worker answered is read from /metrics, whose every series carries the worker's label.
 */

let port = 0;
let primary: Running;
// worker 0 runs the retention purge, which writes: a copy of the seed of this suite's own
let db: OwnDatabase;

/** A GET or POST on a connection of its own (no keep-alive), so that the primary deals it to the next worker. */
function request(path: string, body?: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port, path, method: body ? 'POST' : 'GET', agent: false, headers: body ? { 'content-type': 'application/json' } : {} },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** GraphQL requests each worker has counted, gathered from scrapes until every one of `workers` has counted some. */
async function requestsByWorker(workers: string[]): Promise<Map<string, number>> {
  const seen = new Map<string, number>();
  for (let i = 0; i < 60 && !workers.every((w) => seen.has(w)); i++) {
    const { text } = await request('/metrics');
    for (const m of text.matchAll(/^changxing_graphql_requests_total\{([^}]*)\} (\d+)$/gm)) {
      const worker = /worker="(\d+)"/.exec(m[1])?.[1];
      if (worker !== undefined) seen.set(worker, Math.max(seen.get(worker) ?? 0, Number(m[2])));
    }
  }
  return seen;
}

/** The workers: processes below the primary that run the same entry point (tsx's esbuild helpers aside). */
const workerPids = () =>
  processTree(primary.child.pid!)
    .slice(1)
    .filter((p) => p.command.includes('src/main.ts'))
    .map((p) => p.pid);

async function waitFor(what: string, ok: () => boolean | Promise<boolean>, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; output:\n${primary.output().slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

beforeAll(async () => {
  db = await seededCopy('workers');
  port = await freePort();
  primary = runEntryPoint('src/main.ts', [], {
    ...process.env,
    NODE_ENV: 'development',
    DATABASE_URL: db.url,
    PORT: String(port),
    HOST: '127.0.0.1',
    SEED_ON_START: 'never',
    LOG_LEVEL: 'info',
    ID_HASH_SECRET: TEST_ID_HASH_SECRET,
    ...TEST_BULKHEADS,
    WORKERS: '2',
    // a cached answer would not show which worker computed it
    RESPONSE_CACHE: 'off',
  });
  await waitFor('two workers listening', async () => workerPids().length === 2 && (await request('/readyz').then((r) => r.status === 200, () => false)));
}, 90_000);

afterAll(async () => {
  if (primary.child.exitCode === null) primary.child.kill('SIGKILL');
  for (const pid of stillRunning(workerPids())) process.kill(pid, 'SIGKILL');
  await db?.drop();
});

describe('WORKERS=2', () => {
  it('answers from both workers on one port', async () => {
    // a worker takes connections once it listens: the port answers as soon as the first one does,
    // so send until both have answered (at most 200 requests), each on a new connection
    let counted = new Map<string, number>();
    for (let i = 0; i < 200 && counted.size < 2; i++) {
      const res = await request('/graphql', JSON.stringify({ query: '{ apiInfo { version } }' }));
      expect(res.status).toBe(200);
      if (i >= 7) counted = await requestsByWorker(['0', '1']);
    }
    expect([...counted.keys()].sort()).toEqual(['0', '1']);
    // round robin: each worker took some of the eight
    expect(counted.get('0')).toBeGreaterThan(0);
    expect(counted.get('1')).toBeGreaterThan(0);
  }, 60_000);

  it('replaces a worker that was killed, with the same index', async () => {
    const [victim, survivor] = workerPids();
    process.kill(victim, 'SIGKILL');
    await waitFor('a new worker', () => workerPids().length === 2 && !workerPids().includes(victim));
    expect(workerPids()).toContain(survivor);
    await waitFor('the new worker to answer', async () => {
      for (let i = 0; i < 4; i++) await request('/graphql', JSON.stringify({ query: '{ apiInfo { version } }' }));
      return (await requestsByWorker(['0', '1'])).size === 2;
    });
    expect(primary.output()).toMatch(/worker exited; starting a new one/);
  }, 90_000);

  it('on SIGTERM finishes the requests in flight in every worker, then every process exits 0', async () => {
    const workers = workerPids();
    // two maps on connections of their own: one per worker, round robin
    const inFlight = [0, 1].map(() => request('/graphql', JSON.stringify({ query: operation('NationalRiskMap'), variables: {} })));
    await new Promise((r) => setTimeout(r, 50));
    primary.child.kill('SIGTERM');
    const answers = await Promise.all(inFlight);
    for (const a of answers) {
      expect(a.status).toBe(200);
      expect(JSON.parse(a.text).data.counties.totalCount).toBeGreaterThan(2900);
    }
    expect(await primary.exited).toBe(0);
    expect(stillRunning(workers)).toEqual([]);
  }, 90_000);
});
