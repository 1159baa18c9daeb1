import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { createServer, type Server } from 'node:net';
import pg from 'pg';
import { EmbeddedPostgresError, removeEmbeddedCluster, startEmbeddedPostgres, type EmbeddedDatabase } from '../../src/db/embedded';
import { packagedNativeDir, RELOCATION_ROOT, runningPostmaster } from '../../src/db/embeddedPlacement';
import { freePort, stillRunning, waitFor } from '../helpers/processes';

/**
 * The embedded PostgreSQL started from wherever a newcomer's checkout is: as root from private
 * folders (binaries and cluster out of the postgres user's reach), next to a port that is taken,
 * after a crash that left a cluster running, and beside another process that holds the cluster.
 */
const ROOT = path.resolve(__dirname, '../..');
const PASSWORD = 'changxing-embedded-test';
const isRoot = process.getuid?.() === 0;
const scratch = mkdtempSync(path.join(tmpdir(), 'changxing-embedded-')); // mode 700
const started: EmbeddedDatabase[] = [];

afterAll(async () => {
  for (const db of started) await db.stop();
  for (const dir of ['a', 'b', 'c', 'gc']) removeEmbeddedCluster(path.join(scratch, dir));
  rmSync(scratch, { recursive: true, force: true });
});

async function start(dataDir: string, options: { nativeDir?: string; port?: number } = {}): Promise<EmbeddedDatabase> {
  const db = await startEmbeddedPostgres({ dataDir, port: options.port ?? (await freePort()), password: PASSWORD, nativeDir: options.nativeDir });
  started.push(db);
  return db;
}

async function answers(url: string): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<{ one: number }>('SELECT 1 AS one')).rows[0].one;
  } finally {
    await client.end();
  }
}

(isRoot ? describe : describe.skip)('as root, from folders the postgres user cannot reach (mode 700)', () => {
  it('copies the binaries and places the cluster where that user reaches them, and says where', async () => {
    const nativeDir = path.join(scratch, 'private-native');
    cpSync(packagedNativeDir().dir, nativeDir, { recursive: true, verbatimSymlinks: true });
    const db = await start(path.join(scratch, 'a'), { nativeDir });
    expect(await answers(db.url)).toBe(1);
    expect(db.clusterDir.startsWith(`${RELOCATION_ROOT}/clusters/`)).toBe(true);
    expect(readFileSync(path.join(scratch, 'a', 'pg.location'), 'utf8').trim()).toBe(db.clusterDir);
    expect(statSync(db.clusterDir).mode & 0o777).toBe(0o700);
    // the binaries that ran are the staged copy, not the private folder's
    const postmaster = runningPostmaster(db.clusterDir)!;
    expect(readFileSync(`/proc/${postmaster}/cmdline`, 'utf8')).toContain(`${RELOCATION_ROOT}/binaries/`);
    await db.stop();
    expect(stillRunning([postmaster])).toEqual([]);
  }, 60_000);

  it('removes a relocated cluster on request, and one whose DATA_DIR is gone at the next start', async () => {
    const gone = path.join(scratch, 'gc');
    const db = await start(gone);
    await db.stop();
    const abandoned = path.dirname(db.clusterDir);
    rmSync(gone, { recursive: true, force: true });
    const old = new Date(Date.now() - 120_000); // older than a cluster being placed right now
    utimesSync(abandoned, old, old);
    const other = await start(path.join(scratch, 'b'));
    expect(existsSync(abandoned)).toBe(false);
    await other.stop();
    removeEmbeddedCluster(path.join(scratch, 'b'));
    expect(existsSync(path.dirname(other.clusterDir))).toBe(false);
    expect(existsSync(path.join(scratch, 'b', 'pg.location'))).toBe(false);
  }, 60_000);
});

describe('a start that cannot succeed says what failed and what to do', () => {
  let taken: Server;
  afterAll(() => new Promise<void>((r) => taken.close(() => r())));

  it('a taken port names EMBEDDED_PG_PORT, and no PostgreSQL is left behind', async () => {
    taken = createServer();
    const port = await freePort();
    await new Promise<void>((r) => taken.listen(port, '127.0.0.1', r));
    const attempt = start(path.join(scratch, 'c'), { port });
    await expect(attempt).rejects.toBeInstanceOf(EmbeddedPostgresError);
    await expect(attempt).rejects.toThrow(/did not start.*\n[\s\S]*Address already in use[\s\S]*Port \d+ is taken.*EMBEDDED_PG_PORT/);
    expect(runningPostmaster(path.join(scratch, 'c', 'pg'))).toBeNull();
  }, 60_000);

  it('missing binaries name the folder and the way out', async () => {
    await expect(start(path.join(scratch, 'c'), { nativeDir: path.join(scratch, 'nowhere') })).rejects.toThrow(/binaries are missing from .*nowhere.*npm ci.*DATABASE_URL/);
  });
});

const holders: ChildProcess[] = [];
afterAll(() => holders.forEach((child) => child.kill('SIGKILL')));

/** An embedded PostgreSQL held by another process (tests/helpers/embeddedChild.ts). */
function holder(dataDir: string, port: number) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'tests/helpers/embeddedChild.ts', dataDir, String(port)], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  holders.push(child);
  const ready = new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const msg = JSON.parse(line) as { ready?: string; error?: string };
      if (msg.ready) resolve(msg.ready);
      else reject(new Error(msg.error));
    });
  });
  return { child, ready };
}

describe('a cluster another process started', () => {
  const dataDir = path.join(scratch, 'held');
  afterAll(() => removeEmbeddedCluster(dataDir));

  it('is refused while that process lives, naming it; once it was killed, its PostgreSQL is stopped and the cluster reused', async () => {
    const port = await freePort();
    const first = holder(dataDir, port);
    await first.ready;
    const clusterDir = existsSync(path.join(dataDir, 'pg.location')) ? readFileSync(path.join(dataDir, 'pg.location'), 'utf8').trim() : path.join(dataDir, 'pg');
    const orphan = runningPostmaster(clusterDir)!;
    expect(orphan).toBeGreaterThan(0);

    await expect(start(dataDir, { port: await freePort() })).rejects.toThrow(new RegExp(`in use by a PostgreSQL \\(pid ${orphan}\\) that process ${first.child.pid} \\(.*embeddedChild`));

    first.child.kill('SIGKILL'); // no exit hook runs: its PostgreSQL is left running, parent gone
    await waitFor(() => stillRunning([first.child.pid!]).length === 0, 10_000, 'the holder to die');
    expect(stillRunning([orphan])).toEqual([orphan]);

    const db = await start(dataDir, { port });
    expect(await answers(db.url)).toBe(1);
    expect(stillRunning([orphan])).toEqual([]);
    await db.stop();
  }, 90_000);
});
