import { randomBytes } from 'node:crypto';
import { closePools, type Pools } from '../../src/db/pools';
import { generateRegions, seedDatabase } from '../../src/seed';
import { loadRegion } from '../../src/seed/load';
import { ensureDemoKeys } from '../../datasources/apiKeys';
import { openTestCluster, migrated, type TestCluster } from './testDatabase';
import { poolsFor } from './pools';
import { TEST_ID_HASH_SECRET } from './secrets';
import { redisMissingInCi, redisSkipNote } from './redis';
import { adminQuery, createScratchDatabase } from './scratchDatabase';
import { installSharedSeedGuard } from './sharedSeedGuard';

declare global {
  // eslint-disable-next-line no-var
  var __changxingTest: { cluster: TestCluster; urls: string[]; runTag: string } | undefined;
}

async function withPools(url: string, work: (pools: Pools) => Promise<unknown>): Promise<void> {
  const pools = poolsFor(url);
  try {
    await work(pools);
  } finally {
    await closePools(pools);
  }
}

/**
 * Once per `npm test`:
 * - a regions-only template (migrated, every region, the demo API keys) and a copy of it seeded at
 *   scale small, also kept as a template: tests/helpers/fixtures.ts copies them for suites that write;
 * - the shared seeds every reading suite uses, read-only (sharedSeedGuard.ts): a copy of the small
 *   seed (every county), and one holding only 50 counties, so that round-trip tests can show that
 *   counts do not grow with data.
 */
export default async function globalSetup(): Promise<void> {
  const missing = redisMissingInCi();
  if (missing) throw missing;
  const started = Date.now();
  const cluster = await openTestCluster();
  const runTag = `changxing_test_${randomBytes(4).toString('hex')}`;
  const template = await cluster.createDatabase(`${runTag}_regions`);
  const urls = [template];
  globalThis.__changxingTest = { cluster, urls, runTag };
  await migrated(template);
  await withPools(template, async (pools) => {
    await loadRegion(pools.region, { regions: generateRegions() });
    await ensureDemoKeys(pools.access);
  });
  const copy = async (from: string, label: string) => {
    const made = await createScratchDatabase(`${runTag}_${label}`, { template: new URL(from).pathname.slice(1), on: from });
    urls.push(made.url);
    return made.url;
  };
  // both seeds start from the template (no second migration); the 50-county one loads its own regions
  const seeded = await copy(template, 'seeded');
  const fifty = await copy(template, 'test50');
  for (const [url, limitCounties] of [[seeded, undefined], [fifty, 50]] as const) {
    await withPools(url, (pools) => seedDatabase(pools, { scale: 'small', idHashSecret: TEST_ID_HASH_SECRET, limitCounties }));
  }
  const full = await copy(seeded, 'test');
  for (const url of [full, fifty]) await installSharedSeedGuard(url);
  // No session may connect to a template while it is copied; nothing needs to.
  for (const url of [template, seeded]) await adminQuery(`ALTER DATABASE ${new URL(url).pathname.slice(1)} ALLOW_CONNECTIONS false`, url);

  process.env.TEST_DATABASE_URL = full;
  process.env.TEST_DATABASE_URL_50 = fifty;
  process.env.TEST_TEMPLATE_DATABASE = new URL(template).pathname.slice(1);
  process.env.TEST_SEEDED_TEMPLATE_DATABASE = new URL(seeded).pathname.slice(1);
  process.env.TEST_RUN_TAG = runTag;
  process.env.ID_HASH_SECRET = TEST_ID_HASH_SECRET;
  process.stderr.write(`\ntest databases ready in ${((Date.now() - started) / 1000).toFixed(1)} s\n${redisSkipNote() ?? ''}`);
}
