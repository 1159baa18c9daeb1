import type { Pool } from 'pg';
import type Redis from 'ioredis';
import type { Logger } from 'pino';
import type { Viewer } from '../src/auth/viewer';
import type { SqlRecorder } from '../src/db/sql';

/*
 * Server modules the gateway uses whose source does not type-check in the gateway's program: they
 * build errors with Apollo's `extensions.http.headers` (a Map), and Hive's GraphQL Yoga declares
 * that field as a plain object for every GraphQLError in the program. The server's program
 * (tsconfig.json) type-checks them; here they are loaded by `require`, typed by what the gateway calls.
 */

/** src/auth/authenticate.ts's Authenticator: the caller of a request, or a 401/503 GraphQLError. */
export interface KeyAuthenticator {
  viewerFor(authorization: string | undefined, clientAddress: string, recorder: SqlRecorder): Promise<Viewer>;
}

export function createAuthenticator(pool: Pool, options: { cacheTtlMs: number; isProduction: boolean }): KeyAuthenticator {
  const { Authenticator } = require('../src/auth/authenticate') as { Authenticator: new (pool: Pool, o: typeof options) => KeyAuthenticator };
  return new Authenticator(pool, options);
}

/** src/documents/trusted.ts's PersistedQueryCache (Apollo's APQ cache shape), seeded with the trusted documents. */
export interface PersistedQueries {
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string): Promise<void>;
}

/**
 * Registered documents in `shared.redis` when REDIS_URL is set, under the keys `npm start` uses
 * (REDIS_KEY_PREFIX + apq:<sha256>, for APQ_TTL_SECONDS): a document registered through any
 * instance or the gateway runs by hash on all of them. Else in this process's memory.
 */
export function createPersistedQueries(
  trusted: ReadonlyMap<string, string>,
  shared: { redis: Redis; keyPrefix: string; ttlSeconds: number; logger: Pick<Logger, 'warn'> } | null,
): PersistedQueries {
  const { PersistedQueryCache } = require('../src/documents/trusted') as {
    PersistedQueryCache: new (trusted: ReadonlyMap<string, string>, options?: NonNullable<typeof shared>) => PersistedQueries;
  };
  return new PersistedQueryCache(trusted, shared ?? undefined);
}
