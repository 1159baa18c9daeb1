import pg from 'pg';
import { startEmbeddedPostgres, type EmbeddedDatabase } from './embedded';
import type { Logger } from 'pino';

/**
 * Where scratch databases are made (tests, the backtest): on the PostgreSQL server of an admin URL
 * when there is one, else on an embedded PostgreSQL of their own. Database names are the caller's
 * (letters, digits, underscores: they are interpolated into DDL).
 */
export interface DatabaseCluster {
  /** 'on the server in DATABASE_URL' or 'embedded PostgreSQL', for log lines. */
  kind: string;
  /** Creates the database (dropping one of that name first) and returns its URL. */
  createDatabase(name: string): Promise<string>;
  dropDatabase(name: string): Promise<void>;
  stop(): Promise<void>;
}

const SAFE_NAME = /^[a-z_][a-z0-9_]*$/;

export async function openDatabaseCluster(
  adminUrl: string | null,
  embedded: { dataDir: string; port: number; password: string; logger?: Logger },
): Promise<DatabaseCluster> {
  const checked = (name: string) => {
    if (!SAFE_NAME.test(name)) throw new Error(`openDatabaseCluster: "${name}" is not a plain database name`);
    return name;
  };
  if (adminUrl) {
    const admin = async (sql: string) => {
      const client = new pg.Client({ connectionString: adminUrl });
      await client.connect();
      try {
        await client.query(sql);
      } finally {
        await client.end();
      }
    };
    const drop = (name: string) => admin(`DROP DATABASE IF EXISTS ${checked(name)} WITH (FORCE)`);
    return {
      kind: 'on the server in DATABASE_URL',
      async createDatabase(name) {
        await drop(name);
        await admin(`CREATE DATABASE ${checked(name)}`);
        const url = new URL(adminUrl);
        url.pathname = `/${name}`;
        return url.toString();
      },
      dropDatabase: drop,
      stop: async () => undefined,
    };
  }
  const cluster: EmbeddedDatabase = await startEmbeddedPostgres({ ...embedded, database: 'postgres' });
  return {
    kind: 'embedded PostgreSQL',
    async createDatabase(name) {
      await cluster.dropDatabase(checked(name)).catch(() => undefined);
      return cluster.createDatabase(name);
    },
    dropDatabase: (name) => cluster.dropDatabase(checked(name)),
    stop: () => cluster.stop(),
  };
}
