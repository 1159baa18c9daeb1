import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import Redis from 'ioredis';
import { freePort, waitFor } from '../helpers/processes';
import { runEntryPoint, type Running } from '../helpers/entryPoints';
import { createScratchDatabase } from '../helpers/scratchDatabase';
import { postGraphQL, testDatabaseUrl } from '../helpers/server';
import { operation } from '../helpers/operations';
import { DEMO_PEOPLE } from '../../src/seed/demoPeople';
import { migrationLockValue } from '../../src/db/migrate';
import { SOURCES } from '../../src/db/pools';

/**
 * Whole processes, as deployments start them: several `npm start` instances at once against one
 * fresh database (issue 15, 7), and `npm run start:federated` restarted with REDIS_URL (issue 15, 5).
 */
const scratch = mkdtempSync(path.join(tmpdir(), 'changxing-instances-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const MIGRATIONS = Object.fromEntries(SOURCES.map((s) => [s, readdirSync(path.resolve(__dirname, '../../migrations', s)).filter((f) => f.endsWith('.sql')).length]));

async function ready(port: number): Promise<boolean> {
  return fetch(`http://127.0.0.1:${port}/readyz`).then((r) => r.ok, () => false);
}

describe('three instances started at once against one fresh database', () => {
  it('wait for the migration lock another holds, then all come up: migrated once, seeded once', async () => {
    const db = await createScratchDatabase('changxing_instances');
    const holder = new pg.Client({ connectionString: db.url });
    const instances: Running[] = [];
    try {
      await holder.connect();
      // another instance is migrating the region source: node-pg-migrate's own lock for it
      await holder.query('SELECT pg_advisory_lock($1)', [migrationLockValue('region')]);
      const ports = [await freePort(), await freePort(), await freePort()];
      for (const port of ports) {
        instances.push(
          runEntryPoint('src/main.ts', [], {
            ...process.env,
            NODE_ENV: 'development',
            DATABASE_URL: db.url,
            PORT: String(port),
            HOST: '127.0.0.1',
            DATA_DIR: path.join(scratch, `instance-${port}`),
            // the demo seed too: the first instance loads it, the others find it current
            SEED_ON_START: 'auto',
            LOG_LEVEL: 'warn',
          }),
        );
      }
      // all three wait for that lock (before the fix, each died: "Another migration is already running")
      const waiting = async () =>
        (await holder.query(`SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`)).rows[0].n;
      await waitFor(async () => instances.some((i) => i.child.exitCode !== null) || (await waiting()) === 3, 60_000, 'three instances waiting for the migration lock');
      expect(instances.map((i) => i.child.exitCode)).toEqual([null, null, null]);
      await holder.query('SELECT pg_advisory_unlock($1)', [migrationLockValue('region')]);
      await waitFor(async () => instances.some((i) => i.child.exitCode !== null) || (await Promise.all(ports.map(ready))).every(Boolean), 120_000, 'all three /readyz');
      expect(instances.map((i) => i.child.exitCode)).toEqual([null, null, null]);

      for (const source of SOURCES) {
        const applied = await holder.query(`SELECT name, count(*)::int AS n FROM ${source === 'cases' ? 'cases' : source}.pgmigrations GROUP BY name`);
        expect(applied.rows.length).toBe(MIGRATIONS[source]);
        expect(applied.rows.every((r) => r.n === 1)).toBe(true);
      }
      // seeded once: the demo people once each, the four demo keys (partner, gov, health, carrier) once each
      const people = await holder.query('SELECT count(*)::int AS n FROM cases.persons WHERE name = $1', [DEMO_PEOPLE[0].name]);
      expect(people.rows[0].n).toBe(1);
      const keys = await holder.query("SELECT count(*)::int AS n FROM access.api_keys WHERE owner_name LIKE 'demo%'");
      expect(keys.rows[0].n).toBe(4);
      // and each serves
      for (const port of ports) {
        // an instance just up may still shed a public request for load (503 + Retry-After), as any client meets it
        let answer = await postGraphQL(`http://127.0.0.1:${port}`, '{ region(code: "420106") { name } }');
        for (let tries = 0; answer.status === 503 && tries < 20; tries++) {
          await new Promise((r) => setTimeout(r, 500));
          answer = await postGraphQL(`http://127.0.0.1:${port}`, '{ region(code: "420106") { name } }');
        }
        expect([answer.status, answer.body.errors ?? null, answer.body.data?.region?.name]).toEqual([200, null, '武昌区']);
      }
    } catch (err) {
      throw new Error(`${(err as Error).message}\n${instances.map((i, n) => `--- instance ${n}\n${i.output().slice(-2000)}`).join('\n')}`);
    } finally {
      await Promise.all(instances.map((i) => i.stop()));
      await holder.end().catch(() => undefined);
      await db.drop();
    }
  }, 240_000);
});

describe('an instance waiting for the migration lock', () => {
  it('gives up after MIGRATION_LOCK_TIMEOUT_MS and says what to do', async () => {
    const db = await createScratchDatabase('changxing_lockwait');
    const holder = new pg.Client({ connectionString: db.url });
    let instance: Running | null = null;
    try {
      await holder.connect();
      await holder.query('SELECT pg_advisory_lock($1)', [migrationLockValue('region')]);
      instance = runEntryPoint('src/main.ts', [], {
        ...process.env,
        NODE_ENV: 'development',
        DATABASE_URL: db.url,
        PORT: String(await freePort()),
        HOST: '127.0.0.1',
        DATA_DIR: path.join(scratch, 'lockwait'),
        SEED_ON_START: 'never',
        LOG_LEVEL: 'warn',
        MIGRATION_LOCK_TIMEOUT_MS: '1000',
      });
      expect(await instance.exited).toBe(1);
      expect(instance.output()).toMatch(/held the migration lock of the region source .* for more than 1000 ms \(MIGRATION_LOCK_TIMEOUT_MS\)/);
      expect(instance.output()).not.toMatch(/report it/);
    } finally {
      await instance?.stop();
      await holder.end().catch(() => undefined);
      await db.drop();
    }
  }, 60_000);
});

const redisUrl = process.env.REDIS_URL;
(redisUrl ? describe : describe.skip)('npm run start:federated with REDIS_URL, restarted', () => {
  it('keeps a client at its self-service limit: the person subgraph counts in Redis, not in memory', async () => {
    const prefix = `cx-restart-${process.pid}-${Date.now()}:`;
    const [port, ...subgraphPorts] = await Promise.all([freePort(), freePort(), freePort(), freePort(), freePort()]);
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      NODE_ENV: 'development',
      DATABASE_URL: testDatabaseUrl(),
      PORT: String(port),
      HOST: '127.0.0.1',
      DATA_DIR: path.join(scratch, 'federated'),
      SEED_ON_START: 'never',
      LOG_LEVEL: 'warn',
      REDIS_URL: redisUrl,
      REDIS_KEY_PREFIX: prefix,
      SELF_SERVICE_MAX_IDS_PER_DAY: '2',
      SELF_SERVICE_RATE_PER_MINUTE: '100',
      REGION_SUBGRAPH_PORT: String(subgraphPorts[0]),
      CASE_SUBGRAPH_PORT: String(subgraphPorts[1]),
      MOBILITY_SUBGRAPH_PORT: String(subgraphPorts[2]),
      PERSON_SUBGRAPH_PORT: String(subgraphPorts[3]),
    };
    const base = `http://127.0.0.1:${port}`;
    const lookup = (i: number) => postGraphQL(base, operation('CloseContactCheck'), { name: DEMO_PEOPLE[i].name, idNumber: DEMO_PEOPLE[i].idNumber });
    const codes = (r: Awaited<ReturnType<typeof lookup>>) => (r.body.errors ?? []).map((e) => e.extensions?.code);
    const start = async () => {
      const stack = runEntryPoint('src/federation/run.ts', ['--all'], env);
      await waitFor(async () => stack.child.exitCode !== null || (await ready(port)), 120_000, 'the federated stack');
      if (stack.child.exitCode !== null) throw new Error(`start:federated exited with ${stack.child.exitCode}:\n${stack.output()}`);
      return stack;
    };
    let stack = await start();
    try {
      for (const i of [0, 1]) expect(codes(await lookup(i))).toEqual([]);
      expect(codes(await lookup(2))).toEqual(['RATE_LIMITED']);
      expect(await stack.stop()).toBe(0);
      stack = await start();
      // a restart is no fresh start: still at the limit for a third ID, still allowed the two it used
      expect(codes(await lookup(2))).toEqual(['RATE_LIMITED']);
      expect(codes(await lookup(0))).toEqual([]);
    } finally {
      await stack.stop();
      const redis = new Redis(redisUrl!);
      const keys = await redis.keys(`${prefix}*`);
      if (keys.length > 0) await redis.del(...keys);
      await redis.quit();
    }
  }, 300_000);
});
