import { bootstrap } from '../bootstrap';
import { purgeExpiredStays } from '../retention';

/** `npm run purge`: deletes itinerary stays older than RETENTION_DAYS (the server also does this daily). */
async function main() {
  const rt = await bootstrap({ applicationName: 'changxing-purge' });
  try {
    const deleted = await purgeExpiredStays(rt.db.pools, rt.config.retentionDays);
    process.stdout.write(`purged ${deleted} stays that ended more than ${rt.config.retentionDays} days ago\n`);
  } finally {
    await rt.db.close();
  }
}

main().catch((err) => {
  process.stderr.write(`purge failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
