import type Redis from 'ioredis';
import type { Config } from '../config';
import type { Pools } from '../db/pools';
import type { Secrets } from '../secrets';
import type { AppServices } from '../context';
import type { Metrics } from '../observability/metrics';
import { createPassSigner } from '../pass/token';
import { SelfServiceLimiter } from '../auth/rateLimit';
import { CountyLevelCache } from '../cache/countyLevels';
import { RegionListGuesses } from '../cache/regionListGuesses';
import { createPassCheckBatches } from '../../services/passChecks';

/** The process-wide parts of every request context: keys, limiter, caches, shared batches. */
export async function createAppServices(
  config: Config,
  pools: Pools,
  secrets: Pick<Secrets, 'idHashSecret' | 'passSigningKey'>,
  redis: Redis | null,
  metrics: Metrics,
): Promise<AppServices> {
  return {
    idHashSecret: secrets.idHashSecret,
    signer: await createPassSigner(secrets.passSigningKey),
    limiter: new SelfServiceLimiter(config.selfService, redis, config.redisKeyPrefix),
    countyLevels: new CountyLevelCache(),
    regionListGuesses: new RegionListGuesses(),
    // the pass checks' statements, shared across requests, on the pass class's own connections
    passChecks: createPassCheckBatches(pools.classes?.pass ?? pools, metrics.observeSharedBatch, config.passCheckBatchWindowMs ?? 0),
  };
}
