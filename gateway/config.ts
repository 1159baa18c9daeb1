import { ConfigError, loadConfig, type Config } from '../src/config';

/** The parts of `npm start`'s configuration the gateway enforces itself (docs/federation.md). */
export interface GatewayConfig {
  isProduction: boolean;
  /** Where API keys are looked up: ACCESS_DATABASE_URL, else DATABASE_URL. */
  accessDatabaseUrl: string;
  /** Where the case data version is read for the response cache: CASE_DATABASE_URL, else DATABASE_URL. */
  caseDatabaseUrl: string;
  /** The response cache's switch and bounds, as on `npm start` (RESPONSE_CACHE, RESPONSE_CACHE_MAX_*). */
  responseCache: Config['responseCache'];
  /**
   * GATEWAY_RESPONSE_CACHE (`on`, the default, or `off`): the gateway keeps aggregate answers by the
   * case data version and compresses, tags and 304s its answers (gateway/responseCache.ts), as
   * `npm start` does. `off` leaves its answers as Hive writes them: uncompressed, no ETag.
   */
  answerCache: boolean;
  /**
   * GATEWAY_QUERY_PLANNER (`rust`, the default, or `js`): how the gateway plans and runs a client
   * operation over the subgraphs — Hive Router's query planner (Rust, a native addon of
   * @graphql-hive/router-runtime, with its executor) or Hive Gateway's own in JavaScript (the
   * stitching runtime). Both hold every federation test; `rust` took half the gateway's CPU per
   * uncached map (docs/benchmarks.md, "Through the federation gateway").
   */
  queryPlanner: 'rust' | 'js';
  /**
   * GATEWAY_FAST_PATH (`on`, the default, or `off`): a trusted operation that one subgraph answers
   * whole (a pass check, a holder's self-service) is forwarded to it as it is, past Hive's planner
   * and plugins, with the same checks (gateway/fastPath.ts). `off`: every operation takes Hive's path.
   */
  fastPath: boolean;
  limits: Config['limits'];
  trustedDocuments: Config['trustedDocuments'];
  apiKeyCacheTtlMs: number;
  pgStatementTimeoutMs: number;
  pgConnectionTimeoutMs: number;
  redisUrl: string | null;
  redisKeyPrefix: string;
  apqTtlSeconds: number;
  /** Proxies believed in X-Forwarded-For, as on `npm start` (TRUST_PROXY). */
  trustProxy: Config['trustProxy'];
  /** Slow clients are cut off as on `npm start` (HTTP_HEADERS_TIMEOUT_MS, HTTP_REQUEST_TIMEOUT_MS). */
  httpTimeouts: Config['httpTimeouts'];
  /** Bulkheads: the classes' deadlines, turns, per-caller caps and shedding lags, as on `npm start`. */
  classLimits: Config['classLimits'];
}

/**
 * Variables the gateway leaves to the subgraphs. loadConfig would require them in production
 * (every source's database, the ID hash key, the pass signing key), and the gateway reads none of
 * their data: it looks up API keys and reads the case data version, nothing else. It migrates
 * nothing either: the migration role that production's subgraphs need (MIGRATION_DATABASE_*) made
 * loadConfig refuse the gateway's environment once the database URLs were taken out of it.
 */
const SUBGRAPHS_ONLY = /^((REGION_|CASE_|MOBILITY_|ACCESS_)?(READ_)?DATABASE_URL|ID_HASH_SECRET|PASS_SIGNING_KEY|MIGRATION_DATABASE_(USER|PASSWORD))$/;

/**
 * Parsed by src/config.ts's own schema, so every variable means and is validated as on `npm start`
 * (GRAPHQL_MAX_*, GRAPHQL_BODY_LIMIT, TRUSTED_DOCUMENTS_*, API_KEY_CACHE_TTL_MS, REDIS_*, APQ_TTL_SECONDS, PG_*).
 */
export function loadGatewayConfig(env: NodeJS.ProcessEnv = process.env): GatewayConfig {
  const isProduction = env.NODE_ENV === 'production';
  const rest = Object.fromEntries(Object.entries(env).filter(([name]) => !SUBGRAPHS_ONLY.test(name)));
  // production's only other effects in loadConfig are on seeding and the explorer, which the gateway has neither of
  const config = loadConfig({ ...rest, NODE_ENV: isProduction ? 'development' : env.NODE_ENV });
  const accessDatabaseUrl = env.ACCESS_DATABASE_URL || env.DATABASE_URL;
  if (!accessDatabaseUrl) {
    throw new ConfigError('The gateway authenticates API keys itself: set ACCESS_DATABASE_URL (or DATABASE_URL) to the database of access.api_keys.');
  }
  const queryPlanner = env.GATEWAY_QUERY_PLANNER || 'rust';
  if (queryPlanner !== 'rust' && queryPlanner !== 'js') {
    throw new ConfigError(`GATEWAY_QUERY_PLANNER must be rust or js, not ${JSON.stringify(queryPlanner)}.`);
  }
  return {
    isProduction,
    accessDatabaseUrl,
    caseDatabaseUrl: env.CASE_DATABASE_URL || accessDatabaseUrl,
    responseCache: config.responseCache,
    answerCache: onOff('GATEWAY_RESPONSE_CACHE', env.GATEWAY_RESPONSE_CACHE),
    queryPlanner,
    fastPath: onOff('GATEWAY_FAST_PATH', env.GATEWAY_FAST_PATH),
    limits: config.limits,
    trustedDocuments: config.trustedDocuments,
    apiKeyCacheTtlMs: config.apiKeyCacheTtlMs,
    pgStatementTimeoutMs: config.pgStatementTimeoutMs,
    pgConnectionTimeoutMs: config.pgConnectionTimeoutMs,
    redisUrl: config.redisUrl,
    redisKeyPrefix: config.redisKeyPrefix,
    apqTtlSeconds: config.apqTtlSeconds,
    trustProxy: config.trustProxy,
    httpTimeouts: config.httpTimeouts,
    classLimits: config.classLimits,
  };
}

/** A switch that is `on` (the default) or `off`; `name` is the variable `value` was read from. */
function onOff(name: string, given: string | undefined): boolean {
  const value = given || 'on';
  if (value !== 'on' && value !== 'off') throw new ConfigError(`${name} must be on or off, not ${JSON.stringify(value)}.`);
  return value === 'on';
}
