import { spawn } from 'node:child_process';
import path from 'node:path';
import { operation } from '../helpers/operations';
import { TEST_ID_HASH_SECRET } from '../helpers/secrets';
import { freePort } from '../helpers/processes';
import { seededCopy, type OwnDatabase } from '../helpers/fixtures';

const root = path.resolve(__dirname, '../..');
// a port the system just gave out: a fixed one could be held by a server another suite left stopping
let port = 0;
let url = '';
// npm start runs the retention purge, which deletes the seed's oldest stays: a copy of the suite's own
let db: OwnDatabase;
beforeAll(async () => {
  db = await seededCopy('shutdown');
});
afterAll(async () => {
  await db?.drop();
});

async function waitReady(deadline: number): Promise<void> {
  while (Date.now() < deadline) {
    if (await fetch(`${url}/readyz`).then((r) => r.ok, () => false)) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error('server did not become ready');
}

describe('graceful shutdown (npm start = src/main.ts)', () => {
  it('on SIGTERM finishes the request in flight, refuses new ones, closes the pools and exits 0', async () => {
    port = await freePort();
    url = `http://127.0.0.1:${port}`;
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      cwd: root,
      // NODE_ENV=development as with npm start (Apollo installs its own signal handlers outside 'test').
      env: { ...process.env, NODE_ENV: 'development', DATABASE_URL: db.url, PORT: String(port), HOST: '127.0.0.1', SEED_ON_START: 'never', LOG_LEVEL: 'silent', ID_HASH_SECRET: TEST_ID_HASH_SECRET },
      stdio: 'ignore',
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      await waitReady(Date.now() + 30_000);
      const inFlight = fetch(`${url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: operation('NationalRiskMap'), variables: {} }),
      });
      await new Promise((r) => setTimeout(r, 20)); // the request has reached the server
      child.kill('SIGTERM');
      const res = await inFlight;
      expect(res.status).toBe(200);
      const body = (await res.json()) as { data?: { counties: { totalCount: number } } };
      expect(body.data?.counties.totalCount).toBeGreaterThan(2900);
      expect(await exited).toBe(0);
      await expect(fetch(`${url}/healthz`)).rejects.toThrow();
    } finally {
      if (child.exitCode == null) child.kill('SIGKILL');
    }
  });
});
