import { closePools } from '../../src/db/pools';
import { generateRegions, seedDatabase } from '../../src/seed';
import { loadRegion } from '../../src/seed/load';
import { ensureDemoKeys } from '../../datasources/apiKeys';
import { openTestCluster, migrated, type TestCluster } from './testDatabase';
import { poolsFor } from './pools';
import { TEST_ID_HASH_SECRET } from './secrets';
import { redisMissingInCi, redisSkipNote } from './redis';


declare global {
  // eslint-disable-next-line no-var
  var __changxingTest: { cluster: TestCluster; urls: string[] } | undefined;
}

/**
 * Once per `npm test`: a fresh database seeded at scale small (every county), and a second one
 * holding only 50 counties, so that round-trip tests can show that counts do not grow with data.
 */
export default async function globalSetup(): Promise<void> {
  const missing = redisMissingInCi();
  if (missing) throw missing;
  const started = Date.now();
  const cluster = await openTestCluster();
  const full = await cluster.createDatabase('changxing_test');
  const fifty = await cluster.createDatabase('changxing_test50');
  const regionsOnly = await cluster.createDatabase('changxing_test_regions');
  globalThis.__changxingTest = { cluster, urls: [full, fifty, regionsOnly] };
  for (const [url, limitCounties] of [[full, undefined], [fifty, 50]] as const) {
    await migrated(url);
    const pools = poolsFor(url);
    try {
      await seedDatabase(pools, { scale: 'small', idHashSecret: TEST_ID_HASH_SECRET, limitCounties });
    } finally {
      await closePools(pools);
    }
  }
  // only the region list (and the demo keys to call the API with): the template of the databases that
  // tests fill through the public ingestion paths (tests/helpers/regionsOnly.ts)
  await migrated(regionsOnly);
  const pools = poolsFor(regionsOnly);
  try {
    await loadRegion(pools.region, generateRegions({}));
    await ensureDemoKeys(pools.access);
  } finally {
    await closePools(pools);
  }
  process.env.TEST_DATABASE_URL = full;
  process.env.TEST_REGIONS_TEMPLATE = new URL(regionsOnly).pathname.slice(1);
  process.env.TEST_DATABASE_URL_50 = fifty;
  process.env.ID_HASH_SECRET = TEST_ID_HASH_SECRET;
  process.stderr.write(`\ntest databases ready in ${((Date.now() - started) / 1000).toFixed(1)} s\n${redisSkipNote() ?? ''}`);
}
