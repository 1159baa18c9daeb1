import { ErrorCode } from '../errors';
import { GraphQLError } from 'graphql';
import type { ApolloServerPlugin } from '@apollo/server';
import type { Role } from '../auth/viewer';
import type { Context } from '../context';
import type Redis from 'ioredis';
import type { Logger } from 'pino';
import { LRUCache } from 'lru-cache';
import { RedisTextStore } from '../cache/redisText';

/**
 * Code of a request refused because its document is not in the trusted-documents manifest. Sent with
 * HTTP 403: the caller is known, and is not allowed to run documents of its own.
 */
export const PERSISTED_QUERY_NOT_ALLOWED = ErrorCode.PERSISTED_QUERY_NOT_ALLOWED;

/** Apollo prefixes the keys of its persisted query cache with this (requestPipeline APQ_CACHE_PREFIX). */
const APQ_PREFIX = 'apq:';

export interface PersistedQueryCacheOptions {
  /** Registered documents go here (shared by every instance on it) instead of process memory. */
  redis?: Redis | null;
  /** REDIS_KEY_PREFIX: keys are `${keyPrefix}apq:<sha256>`. */
  keyPrefix?: string;
  /** In-memory store only: least recently used documents past this many are dropped. */
  maxEntries?: number;
  /** In-memory store only: bytes of document text kept (2 per character); a document over a sixteenth of it is not kept. */
  maxBytes?: number;
  /** Redis only: how long a registered document is kept (a client whose hash is gone re-registers it). */
  ttlSeconds?: number;
  /** Where a Redis failure is reported (once a minute); default: a process warning. */
  logger?: Pick<Logger, 'warn'> | null;
}

/**
 * The automatic persisted query (APQ) cache: the trusted documents first, so that a client may send
 * only `extensions.persistedQuery.sha256Hash` of a manifest document without registering it; then
 * documents registered by clients at run time — in Redis when one is given, so that a document
 * registered through one instance is known to all, else in memory, bounded by `maxEntries` and by
 * `maxBytes` of text (a request body may hold a 1 MB document: 10,000 of them would be 20 GB),
 * least recently used out first. A document that is not kept is simply unknown next time: the
 * client sends its text again. A Redis failure is a miss too, never a failed request.
 * Shaped as Apollo's KeyValueCache (get/set/delete); the Hive gateway uses it too.
 */
export class PersistedQueryCache {
  private readonly registered: LRUCache<string, string>;
  private readonly shared: RedisTextStore | null;
  private readonly ttlSeconds: number;

  constructor(
    private readonly trusted: ReadonlyMap<string, string>,
    { redis = null, keyPrefix = 'cx:', maxEntries = 10_000, maxBytes = 32 * 1024 * 1024, ttlSeconds = 86_400, logger = null }: PersistedQueryCacheOptions = {},
  ) {
    this.shared = redis ? new RedisTextStore(redis, `${keyPrefix}${APQ_PREFIX}`, logger) : null;
    this.registered = new LRUCache({ max: maxEntries, maxSize: maxBytes, maxEntrySize: Math.floor(maxBytes / 16), sizeCalculation: (text) => 2 * text.length });
    this.ttlSeconds = ttlSeconds;
  }

  async get(key: string): Promise<string | undefined> {
    const hash = hashOf(key);
    return this.trusted.get(hash) ?? (this.shared ? await this.shared.get(hash) : this.registered.get(hash));
  }

  /** `options.ttl` is Apollo's `persistedQueries.ttl` when set (seconds; null: ours). */
  async set(key: string, value: string, options?: { ttl?: number | null }): Promise<void> {
    const hash = hashOf(key);
    if (this.shared) return this.shared.set(hash, value, options?.ttl ?? this.ttlSeconds);
    this.registered.set(hash, value);
  }

  /** Documents and bytes of text held in memory (tests). */
  get held(): { entries: number; bytes: number } {
    return { entries: this.registered.size, bytes: this.registered.calculatedSize };
  }

  async delete(key: string): Promise<boolean> {
    const hash = hashOf(key);
    return this.shared ? this.shared.delete(hash) : this.registered.delete(hash);
  }
}

/** Apollo's keys carry `apq:`; the hash alone is accepted too. */
function hashOf(key: string): string {
  return key.startsWith(APQ_PREFIX) ? key.slice(APQ_PREFIX.length) : key;
}

/**
 * Trusted-documents mode for the configured roles: they may run only documents whose SHA-256 is in
 * the manifest, sent by hash (APQ) or as full text. Checked in `didResolveOperation`, where Apollo
 * lets a plugin refuse a request with its own error, and before an APQ registration is written, so a
 * refused document is never cached. `queryHash` is the SHA-256 of the text received (or the hash sent).
 */
export function trustedDocumentsPlugin(trusted: ReadonlyMap<string, string>, roles: ReadonlySet<Role>): ApolloServerPlugin<Context> {
  return {
    async requestDidStart({ contextValue }) {
      if (!roles.has(contextValue.viewer.role)) return;
      return {
        async didResolveOperation({ queryHash }) {
          if (trusted.has(queryHash)) return;
          throw new GraphQLError(
            `Role ${contextValue.viewer.role} may run only trusted documents: send one of documents/manifest.json, ` +
              'as its exact text or as extensions.persistedQuery.sha256Hash.',
            { extensions: { code: PERSISTED_QUERY_NOT_ALLOWED, http: { status: 403 } } },
          );
        },
      };
    },
  };
}
