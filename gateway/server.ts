import http from 'node:http';
import { readFileSync } from 'node:fs';
import { GraphQLError, type ExecutionResult } from 'graphql';
import { createGatewayRuntime, usePrometheus } from '@graphql-hive/gateway';
import { unifiedGraphHandler as rustQueryPlanner } from '@graphql-hive/router-runtime';
import { passthroughRoutes } from './passthrough';
import { FastPath } from './fastPath';
import { singleSubgraphOperations, supergraphSchema } from './singleSubgraph';
import { CLIENT_ADDRESS_HEADER, DEADLINE_HEADER, REQUEST_CLASS_HEADER, SUBGRAPH_NAMES, SUBGRAPH_SECRET_HEADER, SUPERGRAPH_PATH, type SubgraphName } from '../src/federation/names';
import { DEFAULT_MANIFEST_PATH, documentsById, readManifest } from '../src/documents/manifest';
import { createAuthenticator, createPersistedQueries } from './serverModules';
import type { Logger } from 'pino';
import { connectRedis } from '../src/cache/redisText';
import { createPools } from '../src/db/pools';
import { createMetrics } from '../src/observability/metrics';
import type { GatewayConfig } from './config';
import { callerAddress, forwardedClass, useClientContract } from './contract';
import { Admission } from '../src/limits/admission';
import { eventLoopLag } from '../src/limits/load';
import { trustFunction } from '../src/http/clientAddress';
import { useRequestLog } from './observability';
import { GatewayResponseCache } from './responseCache';
import { CaseDataVersionReads } from '../datasources/dataVersion';
import { withoutSuggestions } from '../src/errors';
import { createHttpServer } from '../src/http/server';

export interface GatewayOptions {
  /** Where each subgraph listens, e.g. http://127.0.0.1:4102/graphql. */
  urls: Record<SubgraphName, string>;
  /** Sent to every subgraph in SUBGRAPH_SECRET_HEADER. */
  secret: string;
  isProduction: boolean;
  /** Hive's log level, or false for none. */
  logging?: false | 'debug' | 'info' | 'warn' | 'error';
  /** The supergraph SDL (default: the committed supergraph.graphql). */
  supergraph?: string;
  /** Limits, trusted documents and the key database, from the environment of `npm start` (gateway/config.ts). */
  config: GatewayConfig;
  /** Where the per-request lines go (`npm start`'s format). */
  logger: Logger;
}

/** The supergraph with each `@join__graph(name:, url:)` pointing at the given URL. */
export function withSubgraphUrls(supergraph: string, urls: Record<SubgraphName, string>): string {
  let sdl = supergraph;
  for (const name of SUBGRAPH_NAMES) {
    const pattern = new RegExp(`(@join__graph\\(name: "${name}", url: ")[^"]*(")`);
    if (!pattern.test(sdl)) throw new Error(`supergraph has no subgraph ${name}: run npm run compose`);
    sdl = sdl.replace(pattern, `$1${urls[name]}$2`);
  }
  return sdl;
}

/**
 * The HTTP status `npm start` gives errors raised in resolvers, whose `extensions.http` a subgraph
 * does not send on (Apollo strips it): the gateway sees their codes only.
 * - UNAUTHENTICATED: a key the gateway accepted but a subgraph refused (revoked within the gateway's
 *   key cache TTL) fails the whole request with 401, instead of a partial result;
 * - RATE_LIMITED: 429 with Retry-After (self-service lookups, counted per caller by the subgraph);
 * - no data and nothing but SERVICE_UNAVAILABLE: 503 with Retry-After 2, so clients retry.
 */
const statusOfSubgraphErrors = {
  onExecutionResult({ result, setResult }: { result: unknown; setResult: (r: ExecutionResult) => void }) {
    const single = result as ExecutionResult | null;
    const errors = single?.errors;
    if (!single || !errors?.length) return;
    const bad = errors.find((e) => e.extensions?.code === 'UNAUTHENTICATED');
    if (bad) {
      setResult({
        errors: [new GraphQLError(bad.message, { extensions: { code: 'UNAUTHENTICATED' } })],
        extensions: { http: { status: 401, headers: { 'www-authenticate': 'Bearer realm="changxing"' } } },
      });
      return;
    }
    const limited = errors.find((e) => e.extensions?.code === 'RATE_LIMITED');
    const retryAfter = Number(limited?.extensions?.retryAfterSeconds);
    if (limited) {
      setResult({ ...single, extensions: { ...single.extensions, http: { status: 429, headers: Number.isFinite(retryAfter) ? { 'retry-after': String(retryAfter) } : {} } } });
    } else if (single.data == null && errors.every((e) => e.extensions?.code === 'SERVICE_UNAVAILABLE')) {
      // a bulkhead's refusal names its own wait (src/limits/admission.ts); a database outage 2 s
      const said = Number(errors[0].extensions?.retryAfterSeconds);
      setResult({ ...single, extensions: { ...single.extensions, http: { status: 503, headers: { 'retry-after': Number.isFinite(said) ? String(said) : '2' } } } });
    }
  },
};

/** REQUEST_CLASS_HEADER and DEADLINE_HEADER of a client request whose class is known (gateway/contract.ts). */
function forwardedHeaders(request: Request): Record<string, string> {
  const forwarded = forwardedClass(request);
  return forwarded ? { [REQUEST_CLASS_HEADER]: forwarded.requestClass, [DEADLINE_HEADER]: String(forwarded.deadlineMs) } : {};
}

/**
 * Production: no "Did you mean …?" in any error (src/errors.ts withoutSuggestions, as on `npm start`):
 * the supergraph's names of HEALTH-only fields and types must not be listed to PUBLIC callers.
 */
const noSuggestions = {
  onResultProcess({ result }: { result: unknown }) {
    const results = (Array.isArray(result) ? result : [result]) as (ExecutionResult | null)[];
    for (const error of results.flatMap((r) => (r && typeof r === 'object' && 'errors' in r ? (r.errors ?? []) : []))) {
      (error as { message: string }).message = withoutSuggestions(error.message);
    }
  },
};

/**
 * Hive's Prometheus metrics kept at the gateway's /metrics: requests, errors, HTTP duration, and the
 * duration (by subgraph) and errors of each subgraph call. `metrics: {}` meant Hive's defaults, 15
 * metrics, several of them per-request work for figures nobody reads here: a walk of every document
 * for deprecated fields, a t-digest summary beside the duration histogram, one histogram per phase
 * (parse, validate, context, execute, subscribe) and a subgraph-execute histogram that repeats
 * graphql_gateway_fetch_duration (kept: docs/federation.md documents it and the federation tests count
 * subgraph fetches with it). They showed in CPU profiles of the gateway under the pass-check
 * workload (bench/gateway.ts; figures in docs/benchmarks.md).
 */
const GATEWAY_METRICS = {
  graphql_envelop_deprecated_field: false,
  graphql_envelop_request_time_summary: false,
  graphql_envelop_request_duration: false,
  graphql_envelop_phase_parse: false,
  graphql_envelop_phase_validate: false,
  graphql_envelop_phase_context: false,
  graphql_envelop_phase_execute: false,
  graphql_envelop_phase_subscribe: false,
  graphql_gateway_subgraph_execute_duration: false,
} as const;

/**
 * The Hive gateway over the four subgraphs, with the endpoints of `npm start`: /graphql, /healthz,
 * /readyz and /metrics. It authenticates the caller and enforces `npm start`'s limits, APQ and
 * trusted documents itself (gateway/contract.ts), then forwards the caller's Authorization (every
 * subgraph authenticates the key and enforces @auth again), address and x-request-id (Hive's
 * request-id plugin), and adds the secret.
 */
export function createGatewayServer(options: GatewayOptions): http.Server {
  const { config } = options;
  const supergraph = withSubgraphUrls(options.supergraph ?? readFileSync(SUPERGRAPH_PATH, 'utf8'), options.urls);
  const url = config.accessDatabaseUrl;
  // a few connections: a key is looked up once per API_KEY_CACHE_TTL_MS and process, the data
  // version once per cacheable request (a primary-key read)
  const pools = createPools({
    urls: { region: url, cases: config.caseDatabaseUrl, mobility: url, access: url },
    sources: ['access', 'cases'],
    max: 4,
    statementTimeoutMs: config.pgStatementTimeoutMs,
    connectionTimeoutMs: config.pgConnectionTimeoutMs,
    applicationName: 'changxing-gateway',
  });
  // npm start's changxing_* series (and its access pool's gauges), in the registry Hive's /metrics serves
  const metrics = createMetrics(pools);
  // the gateway's own bulkheads (docs/limits.md, "Bulkheads and load shedding"): its event loop, its turns per class
  const lag = eventLoopLag();
  const admission = new Admission(config.classLimits, { lag, onRefused: metrics.observeRefused });
  metrics.watchAdmission(admission, lag);
  const authenticator = createAuthenticator(pools.access, { cacheTtlMs: config.apiKeyCacheTtlMs, isProduction: config.isProduction });
  const redis = config.redisUrl ? connectRedis(config.redisUrl) : null;
  const trusted = documentsById(readManifest(config.trustedDocuments.manifestPath ?? DEFAULT_MANIFEST_PATH));
  const graphqlEndpoint = '/graphql';
  // aggregate answers kept as sent, keyed by the case data version; compression, ETag and 304 for every answer (gateway/responseCache.ts)
  // GATEWAY_RESPONSE_CACHE=off: no lookups either (each would read the data version for nothing)
  const responseCache = new GatewayResponseCache({ ...config.responseCache, enabled: config.responseCache.enabled && config.answerCache, versions: new CaseDataVersionReads(pools) });
  metrics.watchResponseCache(responseCache.answers);
  const trustProxy = trustFunction(config.trustProxy);
  const gateway = createGatewayRuntime({
    supergraph,
    // GATEWAY_QUERY_PLANNER (gateway/config.ts): Hive Router's planner and executor, or Hive Gateway's own
    ...(config.queryPlanner === 'rust' ? { unifiedGraphHandler: rustQueryPlanner } : {}),
    graphqlEndpoint,
    healthCheckEndpoint: '/healthz',
    readinessCheckEndpoint: '/readyz',
    landingPage: false,
    graphiql: false,
    logging: options.logging ?? 'info',
    // subgraph errors are already public (formatError in each subgraph): pass them on as they are.
    maskedErrors: false,
    disableIntrospection: options.isProduction ? { disableIf: () => true } : undefined,
    // Hive deduplicates identical in-flight subgraph requests by default: 200 partners checking the
    // same pass at once became 8 subgraph requests and 8 audit rows. Every read of personal data is
    // audited, so each client request must reach the subgraph (test: federation.test.ts, audit).
    transportEntries: { '*.http': { options: { deduplicateInflightRequests: false } } },
    propagateHeaders: {
      fromClientToSubgraphs: ({ request, context }) => ({
        authorization: request.headers.get('authorization'),
        [SUBGRAPH_SECRET_HEADER]: options.secret,
        // PUBLIC self-service lookups are rate-limited per address; the subgraph sees only the gateway's
        [CLIENT_ADDRESS_HEADER]: callerAddress(context, trustProxy),
        // the client request's class and time left: the subgraph runs the fetch in that class's pools, by then
        ...forwardedHeaders(request),
      }),
    },
    plugins: (ctx) => [
      usePrometheus({ ...ctx, endpoint: '/metrics', metrics: GATEWAY_METRICS, registry: metrics.registry }),
      useRequestLog(options.logger, metrics, graphqlEndpoint),
      useClientContract({
        limits: config.limits,
        authenticator,
        trusted,
        trustedRoles: new Set(config.trustedDocuments.roles),
        persistedQueries: createPersistedQueries(trusted, redis && { redis, keyPrefix: config.redisKeyPrefix, ttlSeconds: config.apqTtlSeconds, logger: options.logger }),
        graphqlEndpoint,
        trustProxy,
        onUnsizedLists: (problems) => options.logger.error({ problems }, 'supergraph has list fields without @listSize in schema/: every operation is refused'),
        admission,
        classLimits: config.classLimits,
        responseCache,
      }),
      // on unless GATEWAY_RESPONSE_CACHE=off
      ...(config.answerCache ? [responseCache.plugin(graphqlEndpoint)] : []),
      statusOfSubgraphErrors,
      ...(options.isProduction ? [noSuggestions] : []),
    ],
  });
  // the JWKS, the CSV export and the pages come from the subgraph that serves them (gateway/passthrough.ts)
  const passthrough = passthroughRoutes(options.urls);
  // trusted operations one subgraph answers whole, forwarded without Hive's pipeline (gateway/fastPath.ts)
  const schema = supergraphSchema(supergraph);
  const fastPath = config.fastPath
    ? new FastPath({
        operations: singleSubgraphOperations(trusted, schema, config.limits),
        supergraph: schema,
        urls: options.urls,
        secret: options.secret,
        graphqlEndpoint,
        limits: config.limits,
        authenticator,
        admission,
        classLimits: config.classLimits,
        trustProxy,
        metrics,
        logger: options.logger,
      })
    : null;
  const hive = (req: http.IncomingMessage, res: http.ServerResponse) => void gateway(req, res);
  const server = createHttpServer((req, res) => {
    if (!passthrough(req, res) && !fastPath?.handle(req, res, hive)) hive(req, res);
  }, config.httpTimeouts);
  server.on('close', () => {
    void gateway.dispose();
    void pools.access.end();
    void pools.cases.end();
    redis?.disconnect();
  });
  return server;
}
