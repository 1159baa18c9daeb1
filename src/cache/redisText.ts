import Redis from 'ioredis';
import type { Logger } from 'pino';

/**
 * The Redis client of an instance (REDIS_URL), shared by the rate limits and the caches. A command
 * waits at most a second, also while the client reconnects: the caches then answer a miss instead of
 * holding requests for as long as Redis is away (the rate limits fail the request, as before).
 */
export function connectRedis(url: string): Redis {
  const redis = new Redis(url, { maxRetriesPerRequest: 2, commandTimeout: 1000 });
  // Without a listener ioredis prints "Unhandled error event" with a stack on every reconnect attempt
  // during an outage. The failures are reported where they matter: the caches warn once a minute
  // (RedisTextStore) and the rate limiter answers SERVICE_UNAVAILABLE.
  redis.on('error', () => {});
  return redis;
}

/** At most one warning per this interval per store: a Redis outage would otherwise log every request. */
const WARN_INTERVAL_MS = 60_000;

/**
 * Text values in Redis for caches shared by instances (APQ documents, response texts). A cache must
 * never fail a request: a Redis error reads as a miss and a write that fails is skipped, with one
 * warning per minute naming how many operations failed since the last one.
 */
export class RedisTextStore {
  private failed = 0;
  private lastWarnedAt = -Infinity;

  constructor(
    private readonly redis: Redis,
    /** Prepended to every key: REDIS_KEY_PREFIX plus the cache's own namespace. */
    private readonly prefix: string,
    private readonly logger: Pick<Logger, 'warn'> | null = null,
  ) {}

  async get(key: string): Promise<string | undefined> {
    return this.attempt('get', async (redis) => (await redis.get(this.prefix + key)) ?? undefined, undefined);
  }

  /** Stores `value` for `ttlSeconds` (whole seconds, at least 1). */
  async set(key: string, value: string, ttlSeconds: number): Promise<void> {
    await this.attempt('set', async (redis) => void (await redis.set(this.prefix + key, value, 'EX', Math.max(1, Math.ceil(ttlSeconds)))), undefined);
  }

  async delete(key: string): Promise<boolean> {
    return this.attempt('delete', async (redis) => (await redis.del(this.prefix + key)) > 0, false);
  }

  /**
   * Runs a command, or gives `fallback` at once while the client is not connected: a queued command
   * would wait up to its timeout, and every cacheable request would be that much slower while Redis is away.
   */
  private async attempt<T>(operation: string, command: (redis: Redis) => Promise<T>, fallback: T): Promise<T> {
    if (this.redis.status !== 'ready') {
      this.failure(new Error(`Redis connection is ${this.redis.status}`), operation);
      return fallback;
    }
    try {
      return await command(this.redis);
    } catch (err) {
      this.failure(err, operation);
      return fallback;
    }
  }

  private failure(err: unknown, operation: string): void {
    this.failed++;
    const now = Date.now();
    if (now - this.lastWarnedAt < WARN_INTERVAL_MS) return;
    this.lastWarnedAt = now;
    const fields = { err, operation, prefix: this.prefix, failedSinceLastWarning: this.failed };
    this.failed = 0;
    const message = 'Redis cache unavailable: treated as a miss';
    if (this.logger) this.logger.warn(fields, message);
    else process.emitWarning(`${message} (${operation} ${this.prefix}…: ${err instanceof Error ? err.message : String(err)})`);
  }
}
