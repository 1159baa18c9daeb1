import { classPoolSettings, createPools, type Pools } from '../../src/db/pools';
import { loadConfig } from '../../src/config';
import { TEST_BULKHEADS } from './bulkheads';

/** Pools for all datasources over one test database, with the request classes' pools at the test servers' deadlines. */
export function poolsFor(url: string, max = 4): Pools {
  const { classLimits } = loadConfig({ DATABASE_URL: url, ...TEST_BULKHEADS });
  return createPools({
    urls: { region: url, cases: url, mobility: url, access: url },
    max,
    statementTimeoutMs: 30000,
    applicationName: 'changxing-test',
    classes: classPoolSettings(max, 30000, classLimits),
  });
}
