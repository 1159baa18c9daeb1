import { createPools, type Pools } from '../../src/db/pools';

/** Pools for all three datasources over one test database. */
export function poolsFor(url: string, max = 4): Pools {
  return createPools({ urls: { region: url, cases: url, mobility: url, access: url }, max, statementTimeoutMs: 30000, applicationName: 'changxing-test' });
}
