import http from 'node:http';
import { randomUUID } from 'node:crypto';
import express from 'express';
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginInlineTraceDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { GraphQLError, type GraphQLFormattedError, type GraphQLSchema } from 'graphql';
import type { Logger } from 'pino';
import type { Config } from './config';
import type { Pools } from './db/pools';
import { buildSchema } from './schema';
import { createContext, type AppServices, type Context } from './context';
import type { Secrets } from './secrets';
import type Redis from 'ioredis';
import { createPassSigner, type PassSigner } from './pass/token';
import { SelfServiceLimiter } from './auth/rateLimit';
import { cacheHitOf, cachedAnswers as answerStore, responseCachePlugin, stringifyCachedResults } from './cache/responseCache';
import type { AnswerStore } from './cache/answerStore';
import { graphqlAnswers } from './http/graphqlAnswer';
import { cacheControlPlugin } from './http/cacheControlPlugin';
import { CountyLevelCache } from './cache/countyLevels';
import { createPassCheckBatches } from '../services/passChecks';
import { CaseDataVersionReads } from '../datasources/dataVersion';
import { healthRoutes } from './http/health';
import { securityHeaders, webRoutes } from './http/web';
import { ErrorCode, badInputFromDatabase, isDatabaseUnavailable, withoutSuggestions } from './errors';
import { SqlRecorder } from '../datasources';
import { Authenticator } from './auth/authenticate';
import { limitValidationRules, operationLimitsPlugin, responseBudgetFor } from './limits';
import { personalDataPlugin } from './privacy/transport';
import { Admission } from './limits/admission';
import { admissionPlugin } from './limits/admissionPlugin';
import { eventLoopLag, type LoadSignal } from './limits/load';
import { RequestLane, type DeadlineExceeded } from './db/lane';
import { classSaturated } from './db/pools';
import { DEFAULT_MANIFEST_PATH, documentsById, readManifest } from './documents/manifest';
import { PersistedQueryCache, trustedDocumentsPlugin } from './documents/trusted';
import { graphqlHttpConformance } from './http/graphqlHttp';
import { createHttpServer } from './http/server';
import { trustFunction } from './http/clientAddress';
import { createMetrics, type Metrics } from './observability/metrics';
import { acceptedRequestId, loggableOperationName } from './observability/logging';
import { serveSubscriptions, type LiveServer } from './subscriptions/server';
import { exportRoutes } from './export/route';
import { executionOptions } from './executor';
import { workerIndex } from './workers';

/** Compiled documents kept by the jit executor: the contract's operations and the dashboards' own, with room. */
const COMPILED_DOCUMENTS = 500;

export interface AppOptions {
  config: Config;
  pools: Pools;
  logger: Logger;
  /** Bench-only: DataLoader batching off (the N+1 baseline). */
  batch?: boolean;
  /** Overrides config.apiKeyCacheTtlMs (tests). */
  apiKeyCacheTtlMs?: number;
  /** What the bulkheads read as event-loop lag (tests: a lag of their choosing); default this process's (src/limits/load.ts). */
  load?: LoadSignal;
  /** The ID hash key and the pass signing key (src/secrets.ts). */
  secrets: Pick<Secrets, 'idHashSecret' | 'passSigningKey'>;
  /** Shared store for rate limits, registered APQ documents and cached answers when REDIS_URL is set; null keeps them in memory. */
  redis?: Redis | null;
  /**
   * Federation (src/federation): a subgraph's schema instead of the whole one, the gate in front of
   * its /graphql, and where the caller's address comes from (the gateway's header, past the gate).
   */
  subgraph?: {
    schema: GraphQLSchema;
    gate: express.RequestHandler;
    clientAddress?: (req: express.Request) => string | undefined;
    /** The class and time left the gateway gave the client's request (src/federation/subgraphServer.ts). */
    forwarded?: (req: express.Request) => Context['forwarded'];
  };
}

export interface App {
  httpServer: http.Server;
  apollo: ApolloServer<Context>;
  /** Starts Apollo and mounts the routes; does not listen (main.ts and tests do that). */
  start(): Promise<void>;
  /** Stops accepting, waits for in-flight requests (Apollo's drain plugin), then resolves. */
  stop(): Promise<void>;
  /** Process-wide services of every request context (available after start). */
  services(): AppServices;
  /** The pass signer (available after start). */
  signer(): PassSigner;
  /** The response cache's answers in this process (tests and the bench wait for its compressions). */
  responseCache(): AnswerStore;
}

/** Assembles the HTTP app: build here, listen elsewhere. */
export function makeApp({ config, pools, logger, batch, apiKeyCacheTtlMs, secrets, redis = null, subgraph, load }: AppOptions): App {
  const authenticator = new Authenticator(pools.access, {
    cacheTtlMs: apiKeyCacheTtlMs ?? config.apiKeyCacheTtlMs,
    isProduction: config.isProduction,
  });
  const app = express();
  app.disable('x-powered-by');
  // req.ip (the export route, the context below) follows TRUST_PROXY: src/http/clientAddress.ts
  const trustProxy = trustFunction(config.trustProxy);
  app.set('trust proxy', trustProxy);
  // CSP, frame-ancestors/X-Frame-Options, nosniff, Referrer-Policy (src/http/web.ts)
  app.use(securityHeaders());
  // slow headers and bodies are cut off (HTTP_HEADERS_TIMEOUT_MS, HTTP_REQUEST_TIMEOUT_MS)
  const httpServer = createHttpServer(app, config.httpTimeouts);
  // one Prometheus registry per app (tests run several apps in one process).
  const metrics = createMetrics(pools, { worker: workerIndex() });
  // the trusted documents also seed the APQ cache, so clients may send their hash alone.
  const trustedDocuments = documentsById(readManifest(config.trustedDocuments.manifestPath ?? DEFAULT_MANIFEST_PATH));

  const inFlight = inFlightOperations();
  // answers of the response cache, with their compressed bytes, bounded by count and bytes (src/cache/responseCache.ts)
  const cachedAnswers = answerStore(config.responseCache);
  metrics.watchResponseCache(cachedAnswers);
  // Bulkheads (docs/limits.md, "Bulkheads and load shedding"): a turn per request class, shed by event-loop lag and the class's own pools.
  const lag = load ?? eventLoopLag();
  const admission = new Admission(config.classLimits, {
    lag,
    saturated: (requestClass) => classSaturated(pools, requestClass),
    onRefused: metrics.observeRefused,
  });
  metrics.watchAdmission(admission, lag);
  // One schema for HTTP and the WebSocket subscriptions (src/subscriptions), so @auth applies to both.
  const schema = subgraph?.schema ?? buildSchema();
  let live: LiveServer | null = null;
  const apollo = new ApolloServer<Context>({
    // graphql-jit or graphql-js (GRAPHQL_EXECUTOR, src/executor.ts); jit comes in as Apollo's gateway executor
    ...executionOptions(schema, config.executor, {
      maxCompiled: COMPILED_DOCUMENTS,
      onFallback: (reason) => logger.warn({ reason }, 'graphql-jit cannot compile a document; graphql-js executes it'),
      onExecute: metrics.observeExecution,
    }),
    introspection: !config.isProduction,
    includeStacktraceInErrorResponses: !config.isProduction,
    // main.ts owns SIGTERM/SIGINT: it stops Apollo, then closes pools and the embedded database.
    stopOnTerminationSignals: false,
    formatError: (formatted, error) => formatError(formatted, error, config, logger),
    // limits (src/limits), APQ + trusted documents (src/documents); CSRF prevention stays on (Apollo's default).
    parseOptions: { maxTokens: config.limits.maxTokens },
    validationRules: limitValidationRules(config.limits),
    hideSchemaDetailsFromClientErrors: config.isProduction,
    // with Redis, a document registered through one instance is known to all (docs/federation.md, "Scaling")
    persistedQueries: { cache: new PersistedQueryCache(trustedDocuments, { redis, keyPrefix: config.redisKeyPrefix, ttlSeconds: config.apqTtlSeconds, logger }) },
    // cached answers are written from their stored JSON text (src/cache/responseCache.ts)
    stringifyResult: stringifyCachedResults,
    csrfPrevention: true,
    plugins: [
      inFlight.plugin,
      ApolloServerPluginDrainHttpServer({ httpServer }),
      // Apollo's pattern for subscription servers: close the sockets and the LISTEN connection on stop.
      { serverWillStart: async () => ({ drainServer: async () => void (await live?.dispose()) }) },
      ApolloServerPluginLandingPageDisabled(),
      // No HTTP cache hints are set; the plugin's per-field hook showed in CPU profiles of the national map.
      ApolloServerPluginCacheControlDisabled(),
      // a subgraph sends no Apollo usage traces (the gateway is Hive's; src/federation)
      ...(subgraph ? [ApolloServerPluginInlineTraceDisabled()] : []),
      // before the log and the cache: its willSendResponse replaces an answer over the response budget
      operationLimitsPlugin(config.limits, { subgraph: subgraph !== undefined }),
      requestLogPlugin(logger, config, metrics),
      // the version that keys cached answers, read on the process's own connections, not the class's
      responseCachePlugin(config.responseCache, new CaseDataVersionReads(pools), { redis, keyPrefix: config.redisKeyPrefix, logger }, cachedAnswers),
      // after the response cache: a cached answer takes no turn and is never shed
      admissionPlugin(admission, config.classLimits),
      // Cache-Control by what an answer holds (docs/http-caching.md); before the personal rule, which has the last word
      cacheControlPlugin(),
      // ID number lookups over POST only; answers about persons not stored by caches (src/privacy/transport.ts)
      personalDataPlugin(),
      trustedDocumentsPlugin(trustedDocuments, new Set(config.trustedDocuments.roles)),
    ],
  });

  let services: AppServices | null = null;
  const started = () => {
    if (!services) throw new Error('makeApp: call start() before using the app');
    return services;
  };

  return {
    httpServer,
    apollo,
    services: started,
    signer: () => started().signer,
    responseCache: () => cachedAnswers,
    async start() {
      const signer = await createPassSigner(secrets.passSigningKey);
      const ready: AppServices = {
        idHashSecret: secrets.idHashSecret,
        signer,
        limiter: new SelfServiceLimiter(config.selfService, redis, config.redisKeyPrefix),
        countyLevels: new CountyLevelCache(),
        // the pass checks' statements, shared across requests, on the pass class's own connections
        passChecks: createPassCheckBatches(pools.classes?.pass ?? pools, metrics.observeSharedBatch, config.passCheckBatchWindowMs ?? 0),
      };
      services = ready;
      await apollo.start();
      // Live updates: graphql-ws on the same server and path, ws://…/graphql (docs/api.md, "Live updates").
      live = serveSubscriptions({
        httpServer, schema, pools, config, logger, authenticator, services: ready,
        formatError: (error) => formatError(error.toJSON(), error, config, logger),
      });
      app.use(healthRoutes(pools));
      // Prometheus text; scrape from inside the network (docs/operations.md).
      app.get('/metrics', metrics.handler);
      // GET /export/daily.csv (GOV, HEALTH): streamed CSV, docs/api.md, "Bulk export"; compressed as it streams.
      app.use(exportRoutes({ pools, authenticator, logger, statementTimeoutMs: config.exportStatementTimeoutMs }));
      // Partners verify pass tokens offline against this key set.
      app.get('/.well-known/jwks.json', (_req, res) => {
        res.set('cache-control', 'public, max-age=300').json(signer.jwks());
      });
      // The dashboard, pass pages and (outside production, or EXPLORER=on) GraphiQL: docs/pages.md.
      app.use(webRoutes({ explorer: config.explorer }));
      if (subgraph) app.use('/graphql', subgraph.gate);
      app.use(
        '/graphql',
        // GraphQL-over-HTTP details Apollo leaves out, and the body limit (413 above it)
        ...graphqlHttpConformance(config.limits),
        // Apollo's answer with negotiated compression, ETag and 304, and cached answers' stored bytes (src/http/graphqlAnswer.ts)
        graphqlAnswers(
          apollo,
          async ({ req }) => {
            // The key lookup is counted with the request's other statements; a bad key throws 401 here.
            const sql = new SqlRecorder();
            // PUBLIC callers are rate-limited by address; behind a gateway that is the gateway's, so a subgraph takes the one it forwards.
            const address = subgraph?.clientAddress?.(req) ?? req.ip ?? req.socket.remoteAddress ?? 'unknown';
            const viewer = await authenticator.viewerFor(req.headers.authorization, address, sql);
            const responseBudget = responseBudgetFor(config.limits, viewer.role);
            // its statements: the system pools until its class is known, then the class's (src/db/lane.ts)
            const lane = new RequestLane(pools, (requestClass) => metrics.observeRefused(requestClass ?? 'none', 'deadline'));
            const forwarded = subgraph?.forwarded?.(req);
            return createContext(pools, ready, { batch, requestId: requestIdOf(req.headers['x-request-id']), viewer, sql, responseBudget, lane, ...(forwarded ? { forwarded } : {}) });
          },
          (context) => storedAnswerOf(context, cachedAnswers),
        ),
      );
    },
    async stop() {
      await apollo.stop();
      // A client that hung up leaves its operation running; let it finish before pools close.
      await inFlight.settled(config.shutdownGraceMs);
    },
  };
}

/** The response cache's entry a request was answered from, for its stored compressed bytes. */
function storedAnswerOf(context: Context, store: AnswerStore) {
  const hit = cacheHitOf(context);
  return hit && { ...hit, store };
}

/** The client's request id when it is acceptable (src/observability/logging.ts), else a new one. */
function requestIdOf(header: string | string[] | undefined): string {
  return acceptedRequestId(header) ?? randomUUID();
}

/**
 * One place where errors become public: database outages are SERVICE_UNAVAILABLE, unknown
 * failures INTERNAL_SERVER_ERROR with a generic message in production (no SQL, stack or ids).
 */
function formatError(given: GraphQLFormattedError, error: unknown, config: Config, logger: Logger): GraphQLFormattedError {
  const formatted = config.isProduction ? { ...given, message: withoutSuggestions(given.message) } : given;
  const original = error instanceof GraphQLError ? (error.originalError ?? error) : error;
  // a request class's deadline (src/db/lane.ts): retryable like an outage, but it says what happened
  if ((original as Error | null)?.name === 'DeadlineExceeded') {
    const late = original as DeadlineExceeded;
    return { message: late.message, locations: formatted.locations, path: formatted.path, extensions: { code: ErrorCode.SERVICE_UNAVAILABLE, reason: 'deadline', requestClass: late.requestClass, retryAfterSeconds: 2 } };
  }
  if (isDatabaseUnavailable(original)) {
    return { ...formatted, message: 'A database is unavailable; retry shortly.', extensions: { code: ErrorCode.SERVICE_UNAVAILABLE } };
  }
  const badInput = badInputFromDatabase(original);
  if (badInput) {
    return { message: badInput, locations: formatted.locations, path: formatted.path, extensions: { code: ErrorCode.BAD_USER_INPUT } };
  }
  const code = formatted.extensions?.code;
  if (code === ErrorCode.INTERNAL_SERVER_ERROR || code === undefined) {
    logger.error({ err: original }, 'internal error');
    if (config.isProduction) {
      return { message: 'Internal server error', locations: formatted.locations, path: formatted.path, extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR } };
    }
  }
  return formatted;
}

/**
 * Logs one line per operation, records its metrics, and outside production adds the SQL count to
 * `extensions`. The line has no arguments, variables or headers: request id, operation name, role,
 * duration, statement count, outcome and error codes find a slow or failing request.
 */
function requestLogPlugin(logger: Logger, config: Config, metrics: Metrics): ApolloServerPlugin<Context> {
  return {
    // a request refused in the context function (401, or 503 when the key table is down) never
    // reaches requestDidStart; one line each, so that a flood of bad keys shows in the logs.
    async contextCreationDidFail({ error }) {
      const original = error instanceof GraphQLError ? (error.originalError ?? error) : error;
      const code = isDatabaseUnavailable(original)
        ? ErrorCode.SERVICE_UNAVAILABLE
        : ((error instanceof GraphQLError ? error.extensions.code : undefined) ?? 'INTERNAL_SERVER_ERROR');
      logger.warn({ code }, 'graphql request refused');
      metrics.observeRequest({ operation: null, outcome: String(code), durationSeconds: 0, sqlStatements: 0 });
    },
    async requestDidStart({ contextValue }) {
      const started = process.hrtime.bigint();
      return {
        async willSendResponse({ response, operationName, errors, request }) {
          const { sql } = contextValue;
          const single = response.body.kind === 'single' ? response.body.singleResult : null;
          if (!config.isProduction && single) {
            // the answer's bytes as the response budget counted them (src/limits/responseSize.ts)
            const responseBytes = contextValue.responseBudget?.used;
            single.extensions = { ...single.extensions, sql: { statements: sql.statements, bySource: sql.bySource }, ...(responseBytes === undefined ? {} : { responseBytes }) };
          }
          // The codes clients see (after formatError), else the raw errors' codes.
          const codes = (single?.errors ?? errors ?? []).map((e) => String(e.extensions?.code ?? 'INTERNAL_SERVER_ERROR'));
          const noData = single ? single.data == null : false;
          const outcome = codes.length === 0 ? 'ok' : noData ? codes[0] : 'partial';
          // faults: nothing but "a database is down" and no data → HTTP 503, so proxies and clients retry.
          if (noData && codes.length > 0 && codes.every((c) => c === ErrorCode.SERVICE_UNAVAILABLE)) {
            response.http.status = 503;
            // a bulkhead's refusal says its own (src/limits/admissionPlugin.ts)
            if (!response.http.headers.has('retry-after')) response.http.headers.set('retry-after', '2');
          }
          const durationSeconds = Number(process.hrtime.bigint() - started) / 1e9;
          // A document that fails to parse or validate has no resolved operation: the client's name, if sent.
          const operation = loggableOperationName(operationName ?? request.operationName);
          metrics.observeRequest({ operation, outcome, durationSeconds, sqlStatements: sql.statements });
          for (const b of sql.batches) metrics.observeBatch(b.loader, b.size);
          logger.info(
            {
              requestId: contextValue.requestId,
              role: contextValue.viewer.role,
              operation,
              durationMs: Math.round(durationSeconds * 1e6) / 1e3,
              sqlStatements: sql.statements,
              outcome,
              ...(codes.length > 0 ? { errors: codes } : {}),
            },
            'graphql request',
          );
        },
      };
    },
  };
}

/** Counts operations still executing, including those whose client has disconnected. */
function inFlightOperations() {
  let running = 0;
  const plugin: ApolloServerPlugin<Context> = {
    async requestDidStart() {
      running++;
      // Apollo calls willSendResponse once per request, for answers and errors alike.
      return { willSendResponse: async () => void running-- };
    },
  };
  return {
    plugin,
    async settled(timeoutMs: number): Promise<void> {
      const deadline = Date.now() + timeoutMs;
      while (running > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    },
  };
}
