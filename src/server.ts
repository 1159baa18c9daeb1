import type http from 'node:http';
import express from 'express';
import type { ApolloServer } from '@apollo/server';
import type { Logger } from 'pino';
import type Redis from 'ioredis';
import type { Config } from './config';
import type { Pools } from './db/pools';
import { buildSchema } from './schema';
import type { AppServices, Context } from './context';
import type { Secrets } from './secrets';
import type { PassSigner } from './pass/token';
import { cachedAnswers as answerStore } from './cache/responseCache';
import type { AnswerStore } from './cache/answerStore';
import { healthRoutes } from './http/health';
import { securityHeaders, webRoutes } from './http/web';
import { Authenticator } from './auth/authenticate';
import { Admission } from './limits/admission';
import { eventLoopLag, type LoadSignal } from './limits/load';
import { classSaturated } from './db/pools';
import { DEFAULT_MANIFEST_PATH, documentsById, readManifest } from './documents/manifest';
import { bodyDeadline, createHttpServer } from './http/server';
import { ingestRoutes, INGEST_PREFIX } from './http/ingest';
import { workerIndex } from './workers';
import { trustFunction } from './http/clientAddress';
import { createMetrics, type Metrics } from './observability/metrics';
import { serveSubscriptions, type LiveServer } from './subscriptions/server';
import { exportRoutes } from './export/route';
import { createApollo } from './app/apollo';
import { formatError } from './app/formatError';
import { graphqlRoute, type SubgraphMount } from './app/graphqlRoute';
import { inFlightOperations } from './app/inFlight';
import { createAppServices } from './app/processParts';

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
  /** Federation (src/federation): serve as a subgraph (src/app/graphqlRoute.ts). */
  subgraph?: SubgraphMount;
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

/**
 * Assembles the HTTP app: build here, listen elsewhere. Each concern is installed by its own
 * function (src/app/): the Express base, the bulkheads, Apollo with its plugins, then on start the
 * process-wide services and the routes.
 */
export function makeApp(options: AppOptions): App {
  const { config, pools, logger, redis = null, subgraph } = options;
  const authenticator = new Authenticator(pools.access, {
    cacheTtlMs: options.apiKeyCacheTtlMs ?? config.apiKeyCacheTtlMs,
    isProduction: config.isProduction,
  });
  const { app, httpServer } = expressBase(config);
  // one Prometheus registry per app (tests run several apps in one process).
  const metrics = createMetrics(pools, { worker: workerIndex() });
  // the trusted documents also seed the APQ cache, so clients may send their hash alone.
  const trustedDocuments = documentsById(readManifest(config.trustedDocuments.manifestPath ?? DEFAULT_MANIFEST_PATH));
  const inFlight = inFlightOperations();
  // answers of the response cache, with their compressed bytes, bounded by count and bytes (src/cache/responseCache.ts)
  const cachedAnswers = answerStore(config.responseCache);
  metrics.watchResponseCache(cachedAnswers);
  const admission = bulkheads(config, pools, metrics, options.load);
  // One schema for HTTP and the WebSocket subscriptions (src/subscriptions), so @auth applies to both.
  const schema = subgraph?.schema ?? buildSchema();
  let live: LiveServer | null = null;
  const apollo = createApollo({
    schema, config, pools, logger, redis, httpServer, metrics, admission, trustedDocuments, cachedAnswers,
    inFlight: inFlight.plugin,
    drainLive: async () => void (await live?.dispose()),
    isSubgraph: subgraph !== undefined,
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
      const ready = await createAppServices(config, pools, options.secrets, redis, metrics);
      services = ready;
      await apollo.start();
      // Live updates: graphql-ws on the same server and path, ws://…/graphql (docs/api.md, "Live updates").
      live = serveSubscriptions({
        httpServer, schema, pools, config, logger, authenticator, services: ready,
        formatError: (error) => formatError(error.toJSON(), error, config, logger),
      });
      mountRoutes(app, { pools, config, logger, metrics, authenticator, signer: ready.signer, subgraph, idHashSecret: options.secrets.idHashSecret });
      app.use('/graphql', ...graphqlRoute({ apollo, config, pools, services: ready, authenticator, metrics, subgraph, batch: options.batch, cachedAnswers }));
    },
    async stop() {
      await apollo.stop();
      // A client that hung up leaves its operation running; let it finish before pools close.
      await inFlight.settled(config.shutdownGraceMs);
    },
  };
}

/** Express with the headers and timeouts every route shares, and its HTTP server. */
function expressBase(config: Config): { app: express.Express; httpServer: http.Server } {
  const app = express();
  app.disable('x-powered-by');
  // req.ip (the export route, the GraphQL context) follows TRUST_PROXY: src/http/clientAddress.ts
  app.set('trust proxy', trustFunction(config.trustProxy));
  // CSP, frame-ancestors/X-Frame-Options, nosniff, Referrer-Policy (src/http/web.ts)
  app.use(securityHeaders());
  // slow headers and bodies are cut off (HTTP_HEADERS_TIMEOUT_MS, HTTP_REQUEST_TIMEOUT_MS); carriers'
  // uploads have their own, longer bound (INGEST_TIMEOUT_MS), so the server's is the longer one and
  // bodyDeadline applies HTTP_REQUEST_TIMEOUT_MS to every other path
  const { headersTimeoutMs, requestTimeoutMs } = config.httpTimeouts;
  const httpServer = createHttpServer(app, { headersTimeoutMs, requestTimeoutMs: Math.max(requestTimeoutMs, config.ingest.timeoutMs) });
  app.use(bodyDeadline(requestTimeoutMs, INGEST_PREFIX));
  return { app, httpServer };
}

/** Bulkheads (docs/limits.md, "Bulkheads and load shedding"): a turn per request class, shed by event-loop lag and the class's own pools. */
function bulkheads(config: Config, pools: Pools, metrics: Metrics, load: LoadSignal | undefined): Admission {
  const lag = load ?? eventLoopLag();
  const admission = new Admission(config.classLimits, {
    lag,
    saturated: (requestClass) => classSaturated(pools, requestClass),
    onRefused: metrics.observeRefused,
  });
  metrics.watchAdmission(admission, lag);
  return admission;
}

/** The routes besides GraphQL: health, metrics, the CSV export, the pass key set, the pages; a subgraph's gate. */
function mountRoutes(
  app: express.Express,
  { pools, config, logger, metrics, authenticator, signer, subgraph, idHashSecret }: { pools: Pools; config: Config; logger: Logger; metrics: Metrics; authenticator: Authenticator; signer: PassSigner; subgraph: SubgraphMount | undefined; idHashSecret: string },
): void {
  app.use(healthRoutes(pools));
  // Prometheus text; scrape from inside the network (docs/operations.md).
  app.get('/metrics', metrics.handler);
  // GET /export/daily.csv (GOV, HEALTH): streamed CSV, docs/api.md, "Bulk export"; compressed as it streams.
  app.use(exportRoutes({ pools, authenticator, logger, statementTimeoutMs: config.exportStatementTimeoutMs }));
  // POST /ingest/flows, /ingest/stays (CARRIER): streamed uploads, docs/ingestion.md.
  app.use(ingestRoutes({ pools, authenticator, logger, idHashSecret, limits: config.ingest }));
  // Partners verify pass tokens offline against this key set.
  app.get('/.well-known/jwks.json', (_req, res) => {
    res.set('cache-control', 'public, max-age=300').json(signer.jwks());
  });
  // The dashboard, pass pages and (outside production, or EXPLORER=on) GraphiQL: docs/pages.md.
  app.use(webRoutes({ explorer: config.explorer }));
  if (subgraph) app.use('/graphql', subgraph.gate);
}
