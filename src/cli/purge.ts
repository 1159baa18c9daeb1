import { bootstrap } from '../bootstrap';
import { describePurge, purgeExpiredStays } from '../retention';

/**
 * `npm run purge`: drops the monthly partitions of itinerary stays older than RETENTION_DAYS and
 * deletes the older stays of the partition straddling the cutoff (the server also does this daily).
 */
async function main() {
  const rt = await bootstrap({ applicationName: 'changxing-purge' });
  try {
    const started = performance.now();
    const result = await purgeExpiredStays(rt.db.pools, rt.config.retentionDays);
    process.stdout.write(`${describePurge(result, rt.config.retentionDays)} (${Math.round(performance.now() - started)} ms)\n`);
  } finally {
    await rt.db.close();
  }
}

main().catch((err) => {
  process.stderr.write(`purge failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
