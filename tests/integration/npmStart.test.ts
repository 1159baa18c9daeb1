import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { removeEmbeddedCluster } from '../../src/db/embedded';
import { freePort, listening, processTree, stillRunning, waitFor } from '../helpers/processes';

/**
 * `npm start` as a process manager (docker stop, systemd, a terminal's Ctrl-C) runs it: npm →
 * node (compiled code) → PostgreSQL. A signal sent to any of the three stops all of them, and no
 * process and no listening port is left. The embedded PostgreSQL's data lives under a `mktemp -d`
 * folder (mode 700): as root, out of reach of the postgres user, so its cluster is relocated.
 */
const ROOT = path.resolve(__dirname, '../..');
const scratch = mkdtempSync(path.join(tmpdir(), 'changxing-npm-start-'));
const dataDir = path.join(scratch, 'data');

interface Started {
  npm: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
  port: number;
  pgPort: number;
  tree: { pid: number; command: string }[];
}

async function npmStart(): Promise<Started> {
  const [port, pgPort] = [await freePort(), await freePort()];
  const env: NodeJS.ProcessEnv = { ...process.env, NODE_ENV: 'development', DATA_DIR: dataDir, PORT: String(port), HOST: '127.0.0.1', EMBEDDED_PG_PORT: String(pgPort), SEED_ON_START: 'never', LOG_LEVEL: 'info' };
  for (const name of ['DATABASE_URL', 'REDIS_URL', 'NODE_OPTIONS', 'HEAP_LIMIT_MB']) delete env[name];
  const npm = spawn('npm', ['start'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  npm.stdout!.on('data', (d) => (output += d));
  npm.stderr!.on('data', (d) => (output += d));
  const exited = new Promise<number | null>((resolve) => npm.once('exit', (code) => resolve(code)));
  // prestart builds dist/ first when the sources changed since the last build
  await waitFor(async () => npm.exitCode !== null || (await fetch(`http://127.0.0.1:${port}/readyz`).then((r) => r.ok, () => false)), 120_000, `npm start to be ready:\n${output}`);
  if (npm.exitCode !== null) throw new Error(`npm start exited with ${npm.exitCode}:\n${output}`);
  return { npm, output: () => output, exited, port, pgPort, tree: processTree(npm.pid!) };
}

const find = (s: Started, pattern: RegExp) => {
  const found = s.tree.find((p) => pattern.test(p.command));
  if (!found) throw new Error(`no process matching ${pattern} in ${JSON.stringify(s.tree, null, 1)}`);
  return found.pid;
};
const SERVER = /node .*dist\/src\/main\.js/;
const POSTMASTER = /bin\/postgres -D/;

async function expectAllGone(s: Started): Promise<void> {
  const pids = s.tree.map((p) => p.pid);
  await waitFor(() => stillRunning(pids).length === 0, 20_000, `every process of npm start to exit (left: ${JSON.stringify(s.tree.filter((p) => stillRunning(pids).includes(p.pid)))})`);
  expect(await listening(s.port)).toBe(false);
  expect(await listening(s.pgPort)).toBe(false);
}

afterAll(() => {
  removeEmbeddedCluster(dataDir);
  rmSync(scratch, { recursive: true, force: true });
});

describe('npm start', () => {
  it('runs the compiled server with plain node on the Node.js 24 runtime, its PostgreSQL below it', async () => {
    const s = await npmStart();
    try {
      expect(s.tree[0].command).toMatch(/npm/);
      // npm → node: the script execs node, so no shell stands between npm and the server
      const server = find(s, SERVER);
      expect(s.tree.find((p) => p.pid === server)?.command).not.toMatch(/tsx|--import/);
      // with a heap limit (HEAP_LIMIT_MB, default 768 MB of old generation), which the start line reports
      expect(s.tree.find((p) => p.pid === server)?.command).toMatch(/ --max-old-space-size=768 dist\/src\/main\.js/);
      expect(s.output()).toMatch(/"heapLimitMb":9\d\d\b/);
      expect(s.tree.filter((p) => /(^|\/)sh -c/.test(p.command))).toEqual([]);
      find(s, POSTMASTER);
      expect(s.output()).toMatch(/"node":"v24\./);
      // the embedded default: the server logs in as changxing_app, which owns nothing (docs/operations.md, "Database roles")
      const secrets = JSON.parse(readFileSync(path.join(dataDir, 'secrets.json'), 'utf8')) as { embeddedPgPassword: string; embeddedAppPassword: string };
      const connect = async (user: string, password: string) => {
        const client = new pg.Client({ host: '127.0.0.1', port: s.pgPort, database: 'changxing', user, password });
        await client.connect();
        return client;
      };
      const superuser = await connect('postgres', secrets.embeddedPgPassword);
      const app = await connect('changxing_app', secrets.embeddedAppPassword);
      try {
        const users = await superuser.query(`SELECT DISTINCT usename FROM pg_stat_activity WHERE application_name LIKE 'changxing%'`);
        expect(users.rows.map((r) => r.usename)).toEqual(['changxing_app']);
        await expect(app.query('ALTER TABLE access.audit_log DISABLE TRIGGER audit_log_no_update_delete')).rejects.toMatchObject({ code: '42501' });
        await expect(app.query('ALTER TABLE region.regions ADD COLUMN x int')).rejects.toMatchObject({ code: '42501' });
      } finally {
        await Promise.all([superuser.end(), app.end()]);
      }
    } finally {
      s.npm.kill('SIGTERM');
      await expectAllGone(s);
    }
  }, 180_000);

  it('stops every process on SIGTERM sent to npm (docker stop, process managers), exiting 0', async () => {
    const s = await npmStart();
    s.npm.kill('SIGTERM');
    await expectAllGone(s);
    expect(await s.exited).toBe(0);
    expect(s.output()).toMatch(/"reason":"SIGTERM".*shutting down/);
  }, 180_000);

  it('stops every process on SIGINT sent to the server itself', async () => {
    const s = await npmStart();
    process.kill(find(s, SERVER), 'SIGINT');
    await expectAllGone(s);
    expect(s.output()).toMatch(/"reason":"SIGINT"/);
  }, 180_000);

  it('stops every process on SIGTERM sent to its PostgreSQL, saying why', async () => {
    const s = await npmStart();
    process.kill(find(s, POSTMASTER), 'SIGTERM');
    await expectAllGone(s);
    expect(s.output()).toMatch(/PostgreSQL received a smart shutdown request/);
  }, 180_000);

  // Not as root, PostgreSQL runs as this user, who reaches DATA_DIR: nothing is relocated.
  (process.getuid?.() === 0 ? it : it.skip)('as root, kept the cluster of a mode-700 DATA_DIR where the postgres user reaches it', () => {
    expect(statSync(scratch).mode & 0o777).toBe(0o700);
    expect(readFileSync(path.join(dataDir, 'pg.location'), 'utf8')).toMatch(/^\/var\/tmp\/changxing-postgres\/clusters\/[0-9a-f]{16}\/pg\n$/);
  });
});
