import { GraphQLError } from 'graphql';
import type { Pool } from 'pg';
import { Sql, type SqlRecorder } from '../db/sql';
import { ErrorCode, isDatabaseUnavailable } from '../errors';
import { hashKey, isDemoKey, KeyStore, type KeyPrincipal } from '../../datasources/apiKeys';
import { PUBLIC_VIEWER, type Viewer } from './viewer';
import { publicCallerOf } from './caller';

export interface AuthenticatorOptions {
  /**
   * How long a successful key lookup is reused by this process (0: never). Revocation therefore
   * takes effect within this time. Unknown and revoked keys are never cached.
   */
  cacheTtlMs: number;
  /** In production the demo keys are refused whatever the table holds. */
  isProduction: boolean;
  /** Clock, for tests. */
  now?: () => number;
}

/** `Authorization: Bearer <key>`; the scheme is case-insensitive (RFC 9110 §11.1). Keys are token68 characters. */
const BEARER = /^Bearer +([A-Za-z0-9._~+/=-]{1,256}) *$/i;

/** At most this many keys are cached; more valid keys than this in one TTL just means more lookups. */
const MAX_CACHED_KEYS = 10_000;

function unauthenticated(message: string): GraphQLError {
  return new GraphQLError(message, {
    extensions: {
      code: ErrorCode.UNAUTHENTICATED,
      http: { status: 401, headers: new Map([['www-authenticate', 'Bearer realm="changxing"']]) },
    },
  });
}

/**
 * Resolves the caller of a request once, in the context function: no header → PUBLIC; a valid
 * key → its role; anything else fails the whole request with 401 UNAUTHENTICATED (a caller who
 * sent a key wants its role, so silently answering as PUBLIC would only hide the mistake).
 *
 * Partners call at thousands of requests per second, so successful lookups are cached in process
 * for `cacheTtlMs`, keyed by the key's SHA-256 (no plaintext is kept), and concurrent misses for
 * one key share one query. The lookup statement is counted in the request's SqlRecorder.
 */
export class Authenticator {
  private readonly cache = new Map<string, { principal: KeyPrincipal; expiresAt: number }>();
  private readonly inFlight = new Map<string, Promise<KeyPrincipal | null>>();
  private readonly now: () => number;

  constructor(
    private readonly pool: Pool,
    private readonly options: AuthenticatorOptions,
  ) {
    this.now = options.now ?? Date.now;
  }

  async viewerFor(authorization: string | undefined, clientAddress: string, recorder: SqlRecorder): Promise<Viewer> {
    // PUBLIC callers count by address, IPv6 ones by /64 (src/auth/caller.ts)
    if (authorization === undefined) return PUBLIC_VIEWER(publicCallerOf(clientAddress));
    const match = BEARER.exec(authorization);
    if (!match) {
      throw unauthenticated('The Authorization header must be "Bearer <API key>"; leave it out to call as PUBLIC.');
    }
    const key = match[1];
    // The demo keys' plaintext is public: in production they never authenticate, row or no row.
    const principal = this.options.isProduction && isDemoKey(key) ? null : await this.principalOf(key, recorder);
    if (!principal) throw unauthenticated('The API key is not valid: it is unknown or has been revoked.');
    return { role: principal.role, keyId: principal.id, keyName: principal.ownerName, clientId: principal.id };
  }

  /** Forgets every cached lookup (tests; or after revoking a key in this process). */
  clearCache(): void {
    this.cache.clear();
  }

  private async principalOf(key: string, recorder: SqlRecorder): Promise<KeyPrincipal | null> {
    const hash = hashKey(key);
    const cacheKey = hash.toString('base64');
    const now = this.now();
    const cached = this.cache.get(cacheKey);
    if (cached && cached.expiresAt > now) return cached.principal;

    let pending = this.inFlight.get(cacheKey);
    if (!pending) {
      pending = this.lookup(hash, recorder).finally(() => this.inFlight.delete(cacheKey));
      this.inFlight.set(cacheKey, pending);
    }
    const principal = await pending;
    if (principal && this.options.cacheTtlMs > 0) {
      if (this.cache.size >= MAX_CACHED_KEYS) this.evictExpired(now);
      this.cache.set(cacheKey, { principal, expiresAt: now + this.options.cacheTtlMs });
    } else if (!principal) {
      this.cache.delete(cacheKey);
    }
    return principal;
  }

  private async lookup(hash: Buffer, recorder: SqlRecorder): Promise<KeyPrincipal | null> {
    try {
      return await new KeyStore(new Sql(this.pool, 'access', recorder)).lookupHash(hash);
    } catch (err) {
      // Without the key table no caller can be identified: a retryable 503, not a 500.
      if (isDatabaseUnavailable(err)) {
        throw new GraphQLError('The key database is unavailable; retry shortly.', {
          extensions: { code: ErrorCode.SERVICE_UNAVAILABLE, http: { status: 503 } },
        });
      }
      throw err;
    }
  }

  private evictExpired(now: number): void {
    for (const [k, v] of this.cache) if (v.expiresAt <= now) this.cache.delete(k);
    if (this.cache.size >= MAX_CACHED_KEYS) this.cache.clear();
  }
}
