import { parseTrustProxy, type TrustProxy } from './http/clientAddress';
import { z } from 'zod';
import type { ExecutorName } from './executor';
import type { SourceName } from './db/pools';
import { ROLES, type Role } from './auth/viewer';
import { DEFAULT_LIMITS, type OperationLimits } from './limits';
import type { IngestLimits } from '../services/ingestion/upload';
import { DEFAULT_EXECUTION_SLICE_MS } from './limits/slices';
import { DEFAULT_SHARED_STATEMENTS } from './db/statementShare';
import { DEFAULT_CLASS_LIMITS, REQUEST_CLASSES, type ClassLimits, type RequestClass } from './limits/requestClass';
import type { SingleFlightLimits } from './cache/singleFlight';

/** "public=4000,official=30000": a value per request class (docs/limits.md, "Bulkheads and load shedding"); `none` where allowed. */
const perClass = (none: boolean) =>
  z
    .string()
    .regex(
      new RegExp(`^\\s*$|^\\s*(pass|self|official|public)=(\\d+${none ? '|none' : ''})\\s*(,\\s*(pass|self|official|public)=(\\d+${none ? '|none' : ''})\\s*)*$`),
      `expected class=value pairs, e.g. "public=4000,official=30000" (classes: ${REQUEST_CLASSES.join(', ')}${none ? '; a value may be none' : ''})`,
    )
    .default('');

/**
 * The environment, parsed once at start-up. Every variable is documented in
 * docs/configuration.md (tests/unit/docs.test.ts checks); a bad value stops start-up with a message naming the variable.
 */
const Env = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  PORT: z.coerce.number().int().min(0).max(65535).default(4000),
  HOST: z.string().min(1).default('0.0.0.0'),
  DATABASE_URL: z.url().optional(),
  REGION_DATABASE_URL: z.url().optional(),
  CASE_DATABASE_URL: z.url().optional(),
  MOBILITY_DATABASE_URL: z.url().optional(),
  ACCESS_DATABASE_URL: z.url().optional(),
  // read replicas (docs/federation.md, "Read replicas"): unset → reads go to the primary
  READ_DATABASE_URL: z.url().optional(),
  REGION_READ_DATABASE_URL: z.url().optional(),
  CASE_READ_DATABASE_URL: z.url().optional(),
  MOBILITY_READ_DATABASE_URL: z.url().optional(),
  ACCESS_READ_DATABASE_URL: z.url().optional(),
  // the owner's credentials for migrations and the demo seed, on each source's database (docs/operations.md, "Database roles")
  MIGRATION_DATABASE_USER: z.string().min(1).optional(),
  MIGRATION_DATABASE_PASSWORD: z.string().optional(),
  DATA_DIR: z.string().min(1).default('.data'),
  EMBEDDED_PG_PORT: z.coerce.number().int().min(1024).max(65535).default(54329),
  SEED_ON_START: z.enum(['auto', 'always', 'never']).default('auto'),
  SEED_SCALE: z.enum(['small', 'medium', 'large']).default('small'),
  PG_POOL_MAX: z.coerce.number().int().min(1).max(500).default(10),
  PG_STATEMENT_TIMEOUT_MS: z.coerce.number().int().min(100).default(5000),
  PG_CONNECTION_TIMEOUT_MS: z.coerce.number().int().min(50).max(60_000).default(1000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  ID_HASH_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  PASS_SIGNING_KEY: z.string().min(1).optional(),
  SHUTDOWN_GRACE_MS: z.coerce.number().int().min(0).default(10000),
  RESPONSE_CACHE: z.enum(['on', 'off']).default('on'),
  RESPONSE_CACHE_MAX_ENTRIES: z.coerce.number().int().min(1).max(100_000).default(200),
  RESPONSE_CACHE_MAX_BYTES: z
    .string()
    .regex(/^\d+(kb|mb)?$/i, 'expected a size such as 67108864, 65536kb or 64mb')
    .default('64mb'),
  RESPONSE_CACHE_TTL_SECONDS: z.coerce.number().int().min(1).max(86_400).default(3600),
  RESPONSE_CACHE_COALESCE_KEYS: z.coerce.number().int().min(0).max(10_000).default(128),
  RESPONSE_CACHE_COALESCE_WAITERS: z.coerce.number().int().min(0).max(100_000).default(256),
  APQ_TTL_SECONDS: z.coerce.number().int().min(60).max(30 * 86_400).default(86_400),
  API_KEY_CACHE_TTL_MS: z.coerce.number().int().min(0).max(300_000).default(5000),
  TRUST_PROXY: z.string().optional(),
  PASS_CHECK_BATCH_WINDOW_MS: z.coerce.number().int().min(0).max(50).optional(),
  RETENTION_DAYS: z.coerce.number().int().min(14).max(3650).default(30),
  REDIS_URL: z.url().optional(),
  REDIS_KEY_PREFIX: z.string().max(64).default('cx:'),
  SELF_SERVICE_MAX_IDS_PER_DAY: z.coerce.number().int().min(1).default(3),
  SELF_SERVICE_RATE_PER_MINUTE: z.coerce.number().int().min(1).default(10),
  // operation limits and trusted documents (docs/api.md, "GraphQL over HTTP, APQ and trusted documents"; docs/limits.md)
  GRAPHQL_MAX_DEPTH: z.coerce.number().int().min(1).max(100).default(DEFAULT_LIMITS.maxDepth),
  GRAPHQL_MAX_ALIASES: z.coerce.number().int().min(0).max(1000).default(DEFAULT_LIMITS.maxAliases),
  GRAPHQL_MAX_DIRECTIVES: z.coerce.number().int().min(0).max(1000).default(DEFAULT_LIMITS.maxDirectives),
  GRAPHQL_MAX_TOKENS: z.coerce.number().int().min(100).max(1_000_000).default(DEFAULT_LIMITS.maxTokens),
  GRAPHQL_MAX_COST: z
    .string()
    .regex(/^\s*$|^(PUBLIC|PARTNER|GOV|HEALTH|CARRIER)=\d+(,(PUBLIC|PARTNER|GOV|HEALTH|CARRIER)=\d+)*$/, 'expected e.g. "PUBLIC=300000,GOV=5000000"')
    .default(''),
  GRAPHQL_MAX_RESPONSE_BYTES: z
    .string()
    .regex(/^\s*$|^(PUBLIC|PARTNER|GOV|HEALTH|CARRIER)=\d+(kb|mb)?(,(PUBLIC|PARTNER|GOV|HEALTH|CARRIER)=\d+(kb|mb)?)*$/i, 'expected e.g. "PUBLIC=4mb,GOV=8388608"')
    .default(''),
  GRAPHQL_BODY_LIMIT: z.string().regex(/^\d+(b|kb|mb)$/i, 'expected a size such as 100kb or 1mb').default(DEFAULT_LIMITS.bodyLimit),
  TRUSTED_DOCUMENTS_ROLES: z
    .string()
    .regex(/^\s*$|^(PUBLIC|PARTNER|GOV|HEALTH|CARRIER)(,(PUBLIC|PARTNER|GOV|HEALTH|CARRIER))*$/, 'expected a comma-separated list of roles, e.g. PARTNER, or empty')
    .default('PARTNER'),
  TRUSTED_DOCUMENTS_MANIFEST: z.string().min(1).optional(),
  // GraphiQL at /explorer (docs/pages.md, "Explorer"): on outside production unless set.
  EXPLORER: z.enum(['on', 'off']).optional(),
  // Bench only (`npm run bench`, the N+1 baseline): 1 turns DataLoader batching off. Never set it in a deployment.
  BENCH_DISABLE_BATCHING: z.enum(['0', '1']).default('0'),
  // bulkheads (docs/limits.md, "Bulkheads and load shedding"): per request class
  REQUEST_DEADLINE_MS: perClass(false),
  CLASS_CONCURRENCY: perClass(false),
  CALLER_CONCURRENCY: perClass(false),
  SHED_LAG_MS: perClass(true),
  SHED_BUSY_PERCENT: perClass(true),
  PG_POOL_SHARES: perClass(false),
  // answers of the expensive classes built at most this long per turn of the event loop (src/limits/slices.ts)
  EXECUTION_SLICE_MS: z
    .string()
    .regex(/^\s*$|^none$|^([1-9]\d{0,2}|1000)$/, 'expected milliseconds from 1 to 1000, or none')
    .default(''),
  // where pass checks are served (docs/scaling.md, "Pass checks on instances of their own"): beside everything (shared),
  // on this instance only (dedicated), or on dedicated instances over the same database (elsewhere)
  PASS_CHECKS: z.enum(['shared', 'dedicated', 'elsewhere']).default('shared'),
  // while pass checks are served, statements each expensive class (official, public) has in flight at once (src/db/statementShare.ts)
  SHARED_STATEMENTS: z
    .string()
    .regex(/^\s*$|^none$|^([1-9]\d{0,2})$/, 'expected a count from 1 to 999, or none')
    .default(''),
  // instances starting together wait this long for another one's migrations (or demo seed) of the same database
  MIGRATION_LOCK_TIMEOUT_MS: z.coerce.number().int().min(1000).max(3_600_000).default(120_000),
  // slow clients (docs/operations.md): a request's headers, and the whole request, must arrive within these
  HTTP_HEADERS_TIMEOUT_MS: z.coerce.number().int().min(100).max(300_000).default(10_000),
  HTTP_REQUEST_TIMEOUT_MS: z.coerce.number().int().min(100).max(300_000).default(30_000),
  // processes serving the port (src/workers.ts, docs/scaling.md): a count, or auto (one per core)
  WORKERS: z
    .string()
    .regex(/^(auto|[1-9]\d{0,2})$/, 'expected a process count from 1 to 999, or auto (one per core)')
    .default('1'),
  // the engine that executes operations (src/executor.ts): graphql-jit, or graphql-js's interpreter
  // trusted by default: the trusted documents (the national map among them) compiled by graphql-jit, in about two thirds of
  // graphql-js's time (docs/benchmarks.md, "W1 uncached"), any other document on graphql-js; compiled code calls the
  // same wrapped resolvers, so answers are sliced as under js (tests/integration/bulkheads.test.ts)
  GRAPHQL_EXECUTOR: z.enum(['trusted', 'jit', 'js']).default('trusted'),
  // bulk export (docs/api.md, "Bulk export")
  EXPORT_STATEMENT_TIMEOUT_MS: z.coerce.number().int().min(1000).max(3_600_000).default(600_000),
  // carriers' uploads (docs/ingestion.md, "Limits")
  INGEST_MAX_BYTES: z
    .string()
    .regex(/^\d+(kb|mb)?$/i, 'expected a size such as 268435456, 262144kb or 256mb')
    .default('256mb'),
  INGEST_MAX_ROWS: z.coerce.number().int().min(1).max(50_000_000).default(2_000_000),
  INGEST_MAX_ERRORS: z.coerce.number().int().min(1).max(10_000).default(100),
  INGEST_TIMEOUT_MS: z.coerce.number().int().min(1000).max(3_600_000).default(600_000),
  INGEST_MIN_BYTES_PER_SECOND: z.coerce.number().int().min(0).max(100_000_000).default(65_536),
  INGEST_RATE_GRACE_MS: z.coerce.number().int().min(100).max(600_000).default(10_000),
  // a segment is also what waits in memory while the one before is inserted (≈ 40 bytes a row):
  // at most 1,000,000 rows ≈ 40 MB; each segment scans the upload's staged rows once, so few rows
  // per segment would make a large upload quadratic
  INGEST_SEGMENT_ROWS: z.coerce.number().int().min(1_000).max(1_000_000).default(50_000),
});

export interface Config {
  env: 'development' | 'production' | 'test';
  isProduction: boolean;
  port: number;
  host: string;
  /** Explicit database URLs per source; null when the embedded PostgreSQL is to be used. */
  databaseUrls: Record<SourceName, string> | null;
  /** Read-replica URL of each source that has one (empty: every read goes to the primary). */
  readDatabaseUrls: Partial<Record<SourceName, string>>;
  /**
   * The owner's credentials: migrations (and the demo seed, key management) connect to each source's
   * database as this role, the API as the role of its URL (src/db/roles.ts). null: the URLs' own.
   */
  migrationCredentials: { user: string; password: string | null } | null;
  dataDir: string;
  embeddedPgPort: number;
  seedOnStart: 'auto' | 'always' | 'never';
  seedScale: 'small' | 'medium' | 'large';
  pgPoolMax: number;
  pgStatementTimeoutMs: number;
  /** How long a query waits for a pool connection before SERVICE_UNAVAILABLE (fail fast when exhausted or down). */
  pgConnectionTimeoutMs: number;
  logLevel: string;
  /** null outside production when unset: generated and kept under DATA_DIR (see src/secrets.ts). */
  idHashSecret: string | null;
  passSigningKey: string | null;
  shutdownGraceMs: number;
  /**
   * Whole-response cache of aggregate queries, keyed by the case data version (src/cache): entries
   * per process, how long an answer is kept in Redis when REDIS_URL is set, and the bounds of the
   * requests waiting for an answer being computed (src/cache/singleFlight.ts).
   */
  responseCache: { enabled: boolean; maxEntries: number; maxBytes: number; ttlSeconds: number; coalesce: SingleFlightLimits };
  /** How long a document registered by automatic persisted queries is kept in Redis (REDIS_URL). */
  apqTtlSeconds: number;
  /** How long a successful API key lookup is cached (0: not at all); revocation takes effect within it. */
  apiKeyCacheTtlMs: number;
  /**
   * How long a shared pass-check batch waits for more checks (src/db/sharedBatch.ts); null: the
   * default of the deployment (0 on `npm start`, 1 ms in a subgraph: src/federation/subgraphServer.ts).
   */
  passCheckBatchWindowMs: number | null;
  /** Milliseconds of answer building per turn of the event loop for every class but pass checks (src/limits/slices.ts); null: not paced. */
  executionSliceMs: number | null;
  /**
   * Where pass checks are served: `shared` beside every other class; `dedicated` this instance serves
   * only them (others 421 MISDIRECTED_REQUEST); `elsewhere` dedicated instances serve them over the same
   * database, so the expensive classes' statements here always take turns (src/db/statementShare.ts).
   */
  passChecks: 'shared' | 'dedicated' | 'elsewhere';
  /** Statements each of official and public has in flight at once while pass checks are served (src/db/statementShare.ts); null: not held. */
  sharedStatements: number | null;
  /** Proxies believed in X-Forwarded-For (src/http/clientAddress.ts). */
  trustProxy: TrustProxy;
  /** Itinerary stays older than this are purged (at least 14: the pass rule looks back 14 days). */
  retentionDays: number;
  /** Shared store of rate limits, registered APQ documents and cached answers (null: each process its own). */
  redisUrl: string | null;
  /** Prefix of every Redis key, so that several deployments can share one Redis. */
  redisKeyPrefix: string;
  selfService: { maxIdsPerDay: number; requestsPerMinute: number };
  // operation limits and trusted documents
  limits: OperationLimits;
  /** Roles that may run only documents of the manifest (empty: none), and the manifest's path (null: the default). */
  trustedDocuments: { roles: Role[]; manifestPath: string | null };
  /** GraphiQL at /explorer (and browsers' GET /graphql redirected there): EXPLORER, default on outside production. */
  explorer: boolean;
  /** Bench only (BENCH_DISABLE_BATCHING=1): DataLoader batching off, for the N+1 baseline of `npm run bench`. */
  benchDisableBatching: boolean;
  /** WORKERS: processes serving the port through node:cluster (src/workers.ts); 1 = this process alone. */
  workers: number | 'auto';
  /** GRAPHQL_EXECUTOR: `trusted` (jit for the trusted documents, js for others), `jit` (every document compiled, src/executor.ts) or `js` (graphql-js). */
  executor: ExecutorName;
  /** Timeout of one /export/daily.csv COPY statement (longer than pgStatementTimeoutMs: exports are big). */
  exportStatementTimeoutMs: number;
  /** Per request class: deadline, concurrency, per-caller cap, shedding lag, pool share (src/limits/requestClass.ts). */
  classLimits: Record<RequestClass, ClassLimits>;
  /** How long start-up waits for another instance's migrations or demo seed of the same database (src/db/migrate.ts). */
  migrationLockTimeoutMs: number;
  /** How long a client may take to send a request's headers, and the whole request (src/http/server.ts). */
  httpTimeouts: HttpTimeouts;
  /** Bounds of one carrier upload (services/ingestion/upload.ts). */
  ingest: IngestLimits;
}

export interface HttpTimeouts {
  headersTimeoutMs: number;
  requestTimeoutMs: number;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const e = parseEnv(env);
  const isProduction = e.NODE_ENV === 'production';
  const { databaseUrls, readDatabaseUrls } = databaseUrlsOf(e);
  checkCombinations(e, databaseUrls !== null);
  return {
    env: e.NODE_ENV,
    isProduction,
    port: e.PORT,
    host: e.HOST,
    databaseUrls,
    readDatabaseUrls,
    migrationCredentials: e.MIGRATION_DATABASE_USER ? { user: e.MIGRATION_DATABASE_USER, password: e.MIGRATION_DATABASE_PASSWORD ?? null } : null,
    dataDir: e.DATA_DIR,
    embeddedPgPort: e.EMBEDDED_PG_PORT,
    seedOnStart: isProduction ? 'never' : e.SEED_ON_START,
    seedScale: e.SEED_SCALE,
    pgPoolMax: e.PG_POOL_MAX,
    pgStatementTimeoutMs: e.PG_STATEMENT_TIMEOUT_MS,
    pgConnectionTimeoutMs: e.PG_CONNECTION_TIMEOUT_MS,
    logLevel: e.LOG_LEVEL,
    idHashSecret: e.ID_HASH_SECRET ?? null,
    passSigningKey: e.PASS_SIGNING_KEY ?? null,
    shutdownGraceMs: e.SHUTDOWN_GRACE_MS,
    responseCache: responseCacheOf(e),
    apqTtlSeconds: e.APQ_TTL_SECONDS,
    apiKeyCacheTtlMs: e.API_KEY_CACHE_TTL_MS,
    passCheckBatchWindowMs: e.PASS_CHECK_BATCH_WINDOW_MS ?? null,
    executionSliceMs: e.EXECUTION_SLICE_MS === 'none' ? null : Number(e.EXECUTION_SLICE_MS.trim() || DEFAULT_EXECUTION_SLICE_MS),
    passChecks: e.PASS_CHECKS,
    sharedStatements: e.SHARED_STATEMENTS === 'none' ? null : Number(e.SHARED_STATEMENTS.trim() || DEFAULT_SHARED_STATEMENTS),
    trustProxy: trustProxyOf(e.TRUST_PROXY),
    retentionDays: e.RETENTION_DAYS,
    redisUrl: e.REDIS_URL ?? null,
    redisKeyPrefix: e.REDIS_KEY_PREFIX,
    selfService: { maxIdsPerDay: e.SELF_SERVICE_MAX_IDS_PER_DAY, requestsPerMinute: e.SELF_SERVICE_RATE_PER_MINUTE },
    // operation limits and trusted documents
    limits: operationLimitsOf(e),
    trustedDocuments: {
      roles: ROLES.filter((r) => e.TRUSTED_DOCUMENTS_ROLES.split(',').map((s) => s.trim()).includes(r)),
      manifestPath: e.TRUSTED_DOCUMENTS_MANIFEST ?? null,
    },
    explorer: e.EXPLORER ? e.EXPLORER === 'on' : !isProduction,
    benchDisableBatching: e.BENCH_DISABLE_BATCHING === '1',
    exportStatementTimeoutMs: e.EXPORT_STATEMENT_TIMEOUT_MS,
    executor: e.GRAPHQL_EXECUTOR,
    workers: e.WORKERS === 'auto' ? 'auto' : Number(e.WORKERS),
    classLimits: classLimitsOf(e),
    migrationLockTimeoutMs: e.MIGRATION_LOCK_TIMEOUT_MS,
    httpTimeouts: { headersTimeoutMs: e.HTTP_HEADERS_TIMEOUT_MS, requestTimeoutMs: e.HTTP_REQUEST_TIMEOUT_MS },
    ingest: ingestLimitsOf(e),
  };
}

type ParsedEnv = z.infer<typeof Env>;

function parseEnv(env: NodeJS.ProcessEnv): ParsedEnv {
  const parsed = Env.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`Invalid environment:\n${lines.join('\n')}`);
  }
  return parsed.data;
}

/** Each source's primary URL (null: all on the embedded PostgreSQL) and read replica URL. */
function databaseUrlsOf(e: ParsedEnv): Pick<Config, 'databaseUrls' | 'readDatabaseUrls'> {
  const base = e.DATABASE_URL;
  const perSource = {
    region: e.REGION_DATABASE_URL ?? base,
    cases: e.CASE_DATABASE_URL ?? base,
    mobility: e.MOBILITY_DATABASE_URL ?? base,
    // API keys, passes and the audit trail belong with the person data they guard.
    access: e.ACCESS_DATABASE_URL ?? base ?? e.CASE_DATABASE_URL,
  };
  const anySet = Object.values(perSource).some(Boolean);
  const allSet = Object.values(perSource).every(Boolean);
  if (anySet && !allSet) {
    throw new ConfigError(
      'Set DATABASE_URL, or all three of REGION_DATABASE_URL, CASE_DATABASE_URL and MOBILITY_DATABASE_URL: ' +
        'a source without a URL would silently fall back to nothing.',
    );
  }
  const readBase = e.READ_DATABASE_URL;
  const readPerSource = {
    region: e.REGION_READ_DATABASE_URL ?? readBase,
    cases: e.CASE_READ_DATABASE_URL ?? readBase,
    mobility: e.MOBILITY_READ_DATABASE_URL ?? readBase,
    access: e.ACCESS_READ_DATABASE_URL ?? readBase,
  };
  const readDatabaseUrls = Object.fromEntries(Object.entries(readPerSource).filter(([, url]) => url)) as Partial<Record<SourceName, string>>;
  if (!allSet && Object.keys(readDatabaseUrls).length > 0) {
    throw new ConfigError('*_READ_DATABASE_URL needs DATABASE_URL (or the per-source URLs): a replica of the embedded PostgreSQL does not exist.');
  }
  return { databaseUrls: allSet ? (perSource as Record<SourceName, string>) : null, readDatabaseUrls };
}

/** Variables valid one by one but not together; `external`: the databases are given by URL. */
function checkCombinations(e: ParsedEnv, external: boolean): void {
  if ((e.MIGRATION_DATABASE_USER || e.MIGRATION_DATABASE_PASSWORD) && !external) {
    throw new ConfigError('MIGRATION_DATABASE_USER and MIGRATION_DATABASE_PASSWORD go with DATABASE_URL (the embedded PostgreSQL makes its own owner and application roles).');
  }
  if (e.MIGRATION_DATABASE_PASSWORD && !e.MIGRATION_DATABASE_USER) {
    throw new ConfigError('MIGRATION_DATABASE_PASSWORD needs MIGRATION_DATABASE_USER: the role that owns the schemas.');
  }
  if (e.HTTP_HEADERS_TIMEOUT_MS > e.HTTP_REQUEST_TIMEOUT_MS) {
    throw new ConfigError(`HTTP_HEADERS_TIMEOUT_MS (${e.HTTP_HEADERS_TIMEOUT_MS}) must not exceed HTTP_REQUEST_TIMEOUT_MS (${e.HTTP_REQUEST_TIMEOUT_MS}): the headers are part of the request.`);
  }
  if (e.NODE_ENV === 'production') {
    const missing = [
      !external && 'DATABASE_URL (the embedded PostgreSQL is for development only)',
      !e.ID_HASH_SECRET && 'ID_HASH_SECRET (≥ 32 random characters; keys the hash of resident ID numbers)',
      !e.PASS_SIGNING_KEY && 'PASS_SIGNING_KEY (the private key that signs 畅行码 passes)',
    ].filter(Boolean);
    if (missing.length > 0) {
      throw new ConfigError(`NODE_ENV=production requires:\n  ${missing.join('\n  ')}`);
    }
  }
}

function responseCacheOf(e: ParsedEnv): Config['responseCache'] {
  return {
    enabled: e.RESPONSE_CACHE === 'on',
    maxEntries: e.RESPONSE_CACHE_MAX_ENTRIES,
    maxBytes: bytesOf(e.RESPONSE_CACHE_MAX_BYTES),
    ttlSeconds: e.RESPONSE_CACHE_TTL_SECONDS,
    coalesce: { maxKeys: e.RESPONSE_CACHE_COALESCE_KEYS, maxWaitersPerKey: e.RESPONSE_CACHE_COALESCE_WAITERS },
  };
}

function operationLimitsOf(e: ParsedEnv): OperationLimits {
  return {
    maxDepth: e.GRAPHQL_MAX_DEPTH,
    maxAliases: e.GRAPHQL_MAX_ALIASES,
    maxDirectives: e.GRAPHQL_MAX_DIRECTIVES,
    maxTokens: e.GRAPHQL_MAX_TOKENS,
    bodyLimit: e.GRAPHQL_BODY_LIMIT,
    maxCost: { ...DEFAULT_LIMITS.maxCost, ...perRole(e.GRAPHQL_MAX_COST, Number) },
    maxResponseBytes: { ...DEFAULT_LIMITS.maxResponseBytes, ...perRole(e.GRAPHQL_MAX_RESPONSE_BYTES, bytesOf) },
  };
}

function ingestLimitsOf(e: ParsedEnv): IngestLimits {
  return {
    maxBytes: bytesOf(e.INGEST_MAX_BYTES),
    maxRows: e.INGEST_MAX_ROWS,
    maxErrors: e.INGEST_MAX_ERRORS,
    timeoutMs: e.INGEST_TIMEOUT_MS,
    minBytesPerSecond: e.INGEST_MIN_BYTES_PER_SECOND,
    graceMs: e.INGEST_RATE_GRACE_MS,
    segmentRows: e.INGEST_SEGMENT_ROWS,
  };
}

/** The classes' limits: the defaults, with what REQUEST_DEADLINE_MS … PG_POOL_SHARES name. */
function classLimitsOf(e: ParsedEnv): Record<RequestClass, ClassLimits> {
  const limits = Object.fromEntries(REQUEST_CLASSES.map((c) => [c, { ...DEFAULT_CLASS_LIMITS[c] }])) as Record<RequestClass, ClassLimits>;
  const apply = (spec: string, variable: string, set: (l: ClassLimits, value: number | null) => void) => {
    for (const pair of spec.split(',').map((p) => p.trim()).filter(Boolean)) {
      const [name, value] = pair.split('=').map((x) => x.trim());
      const n = value === 'none' ? null : Number(value);
      if (n !== null && n < 1) throw new ConfigError(`${variable}: ${name}=${value} must be at least 1`);
      set(limits[name as RequestClass], n);
    }
  };
  apply(e.REQUEST_DEADLINE_MS, 'REQUEST_DEADLINE_MS', (l, n) => (l.deadlineMs = n!));
  apply(e.CLASS_CONCURRENCY, 'CLASS_CONCURRENCY', (l, n) => (l.concurrency = n!));
  apply(e.CALLER_CONCURRENCY, 'CALLER_CONCURRENCY', (l, n) => (l.perCaller = n!));
  apply(e.SHED_LAG_MS, 'SHED_LAG_MS', (l, n) => (l.shedLagMs = n));
  apply(e.SHED_BUSY_PERCENT, 'SHED_BUSY_PERCENT', (l, n) => (l.shedBusyPercent = n));
  apply(e.PG_POOL_SHARES, 'PG_POOL_SHARES', (l, n) => (l.poolShare = n!));
  return limits;
}

/** "PUBLIC=300000,GOV=5000000" → { PUBLIC: 300000, GOV: 5000000 } (validated by the Env schema). */
function perRole(spec: string, parse: (value: string) => number): Partial<Record<Role, number>> {
  const out: Partial<Record<Role, number>> = {};
  for (const pair of spec.split(',').map((p) => p.trim()).filter(Boolean)) {
    const [role, value] = pair.split('=');
    out[role as Role] = parse(value);
  }
  return out;
}

/** "4mb" → 4194304, "512kb" → 524288, "1000" → 1000 (validated by the Env schema). */
function bytesOf(size: string): number {
  const match = /^(\d+)(kb|mb)?$/i.exec(size.trim())!;
  const unit = match[2]?.toLowerCase();
  return Number(match[1]) * (unit === 'mb' ? 1024 * 1024 : unit === 'kb' ? 1024 : 1);
}

function trustProxyOf(value: string | undefined): TrustProxy {
  try {
    return parseTrustProxy(value);
  } catch (err) {
    throw new ConfigError(`TRUST_PROXY: ${(err as Error).message} (expected false, a hop count, or addresses/subnets such as loopback,10.0.0.0/8)`);
  }
}
