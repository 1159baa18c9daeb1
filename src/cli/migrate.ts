import { bootstrap } from '../bootstrap';
import { pendingMigrations } from '../db/migrationStatus';

/** `npm run migrate`: applies pending migrations of every datasource (bootstrap runs them) and reports. */
async function main() {
  const rt = await bootstrap({ applicationName: 'changxing-migrate' });
  try {
    const pending = await pendingMigrations(rt.db.pools);
    process.stdout.write(pending.length === 0 ? 'migrations: all applied\n' : `migrations pending: ${pending.join(', ')}\n`);
  } finally {
    await rt.db.close();
  }
}

main().catch((err) => {
  process.stderr.write(`migrate failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
