/**
 * Holds an embedded PostgreSQL in a process of its own, for tests of what happens to a cluster
 * whose owner is alive or was killed (tests/integration/embeddedPostgres.test.ts).
 * argv: dataDir port. Prints {"ready":url} once PostgreSQL is up; stops it on SIGTERM.
 */
import { startEmbeddedPostgres } from '../../src/db/embedded';

async function main(): Promise<void> {
  const [dataDir, port] = process.argv.slice(2);
  const db = await startEmbeddedPostgres({ dataDir, port: Number(port), password: 'changxing-embedded-test' });
  process.stdout.write(`${JSON.stringify({ ready: db.url })}\n`);
  process.on('SIGTERM', () => void db.stop().then(() => process.exit(0)));
}

main().catch((err) => {
  process.stdout.write(`${JSON.stringify({ error: (err as Error).message })}\n`);
  process.exit(1);
});
