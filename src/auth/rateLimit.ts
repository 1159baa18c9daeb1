import { GraphQLError } from 'graphql';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type Redis from 'ioredis';
import { ErrorCode } from '../errors';

/**
 * Limits on the self-service lookups by name + ID number (close-contact check, pass issue), which
 * could otherwise be used to find out who is in the data. Like the original service's "3 ID
 * numbers per phone": at most `maxIdsPerDay` distinct ID numbers per client per 24 hours, and at
 * most `requestsPerMinute` lookups per client. Memory store by default; Redis when REDIS_URL is set,
 * so that several instances share the counts.
 */
export interface SelfServiceLimits {
  maxIdsPerDay: number;
  requestsPerMinute: number;
  /** Window lengths in seconds: one minute and one day, shortened only by tests of the reset. */
  rateWindowSeconds?: number;
  idWindowSeconds?: number;
}

export class SelfServiceLimiter {
  private readonly rate: RateLimiterAbstract;
  private readonly distinctIds: RateLimiterAbstract;
  /** Remembers which (client, ID hash) pairs were already counted today. */
  private readonly seen: RateLimiterAbstract;

  constructor(limits: SelfServiceLimits, redis: Redis | null, redisKeyPrefix = 'cx:') {
    const make = (keyPrefix: string, points: number, duration: number) =>
      redis
        ? new RateLimiterRedis({ storeClient: redis, keyPrefix: `${redisKeyPrefix}${keyPrefix}`, points, duration })
        : new RateLimiterMemory({ keyPrefix, points, duration });
    const day = limits.idWindowSeconds ?? 86_400;
    this.rate = make('self-rate', limits.requestsPerMinute, limits.rateWindowSeconds ?? 60);
    this.distinctIds = make('self-ids', limits.maxIdsPerDay, day);
    this.seen = make('self-seen', 1, day);
  }

  /** Admits one lookup of `idHash` by `clientId`, or throws RATE_LIMITED with the retry time. */
  async admit(clientId: string, idHash: string): Promise<void> {
    try {
      await this.rate.consume(clientId);
    } catch (err) {
      throw rateLimited(err, 'Too many self-service lookups from this client');
    }
    const pair = `${clientId}:${idHash}`;
    const firstTimeToday = await this.seen.consume(pair).then(
      () => true,
      (err: unknown) => {
        if (err instanceof RateLimiterRes) return false;
        throw storeUnavailable(err);
      },
    );
    if (!firstTimeToday) return;
    try {
      await this.distinctIds.consume(clientId);
    } catch (err) {
      // Not admitted, so this ID must not count as "already seen" on the next try.
      await this.seen.delete(pair);
      throw rateLimited(err, 'This client has already looked up the maximum number of different ID numbers today');
    }
  }
}

function rateLimited(err: unknown, message: string): GraphQLError {
  // a store failure is not a rate limit, and must not let the lookup through either (fail closed)
  if (!(err instanceof RateLimiterRes)) throw storeUnavailable(err);
  const retryAfterSeconds = Math.max(1, Math.ceil(err.msBeforeNext / 1000));
  return new GraphQLError(`${message}; retry in ${retryAfterSeconds} s.`, {
    extensions: {
      code: ErrorCode.RATE_LIMITED,
      retryAfterSeconds,
      http: { status: 429, headers: new Map([['retry-after', String(retryAfterSeconds)]]) },
    },
  });
}

/**
 * The limit's store (Redis) failed: the lookup is refused as SERVICE_UNAVAILABLE (503, retry), not
 * admitted — an outage must not lift the limit on lookups of personal data.
 */
function storeUnavailable(err: unknown): GraphQLError {
  return new GraphQLError('The rate-limit store is unavailable; retry shortly.', {
    originalError: err instanceof Error ? err : undefined,
    extensions: { code: ErrorCode.SERVICE_UNAVAILABLE },
  });
}
