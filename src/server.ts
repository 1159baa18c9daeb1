import http from 'node:http';
import { randomUUID } from 'node:crypto';
import express from 'express';
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { expressMiddleware } from '@as-integrations/express5';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import type { Logger } from 'pino';
import type { Config } from './config';
import type { Pools } from './db/pools';
import { buildSchema } from './schema';
import { createContext, type AppServices, type Context } from './context';
import type { Secrets } from './secrets';
import type Redis from 'ioredis';
import { createPassSigner, type PassSigner } from './pass/token';
import { SelfServiceLimiter } from './auth/rateLimit';
import { healthRoutes } from './http/health';
import { ErrorCode, isDatabaseUnavailable } from './errors';
// auth: the viewer of each request (src/auth)
import { SqlRecorder } from '../datasources';
import { Authenticator } from './auth/authenticate';
import { ID_NUMBER_SHAPE } from './auth/audit';

export interface AppOptions {
  config: Config;
  pools: Pools;
  logger: Logger;
  /** Bench-only: DataLoader batching off (the N+1 baseline). */
  batch?: boolean;
  /** Overrides config.apiKeyCacheTtlMs (tests). */
  apiKeyCacheTtlMs?: number;
  /** The ID hash key and the pass signing key (src/secrets.ts). */
  secrets: Pick<Secrets, 'idHashSecret' | 'passSigningKey'>;
  /** Shared store for rate limits when REDIS_URL is set; null keeps them in memory. */
  redis?: Redis | null;
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
}

/** Assembles the HTTP app: build here, listen elsewhere. */
export function makeApp({ config, pools, logger, batch, apiKeyCacheTtlMs, secrets, redis = null }: AppOptions): App {
  const authenticator = new Authenticator(pools.access, {
    cacheTtlMs: apiKeyCacheTtlMs ?? config.apiKeyCacheTtlMs,
    isProduction: config.isProduction,
  });
  const app = express();
  app.disable('x-powered-by');
  const httpServer = http.createServer(app);

  const apollo = new ApolloServer<Context>({
    schema: buildSchema(),
    introspection: !config.isProduction,
    includeStacktraceInErrorResponses: !config.isProduction,
    formatError: (formatted, error) => formatError(formatted, error, config, logger),
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer }),
      ApolloServerPluginLandingPageDisabled(),
      requestLogPlugin(logger, config),
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
    async start() {
      const signer = await createPassSigner(secrets.passSigningKey);
      const ready: AppServices = {
        idHashSecret: secrets.idHashSecret,
        signer,
        limiter: new SelfServiceLimiter(config.selfService, redis, config.redisKeyPrefix),
      };
      services = ready;
      await apollo.start();
      app.use(healthRoutes(pools));
      // Partners verify pass tokens offline against this key set.
      app.get('/.well-known/jwks.json', (_req, res) => {
        res.set('cache-control', 'public, max-age=300').json(signer.jwks());
      });
      app.use(
        '/graphql',
        express.json({ limit: '1mb' }),
        expressMiddleware(apollo, {
          context: async ({ req }) => {
            // The key lookup is counted with the request's other statements; a bad key throws 401 here.
            const sql = new SqlRecorder();
            const viewer = await authenticator.viewerFor(req.headers.authorization, req.ip ?? req.socket.remoteAddress ?? 'unknown', sql);
            return createContext(pools, ready, { batch, requestId: requestIdOf(req.headers['x-request-id']), viewer, sql });
          },
        }),
      );
    },
    async stop() {
      await apollo.stop();
    },
  };
}

/**
 * A client's request id is kept when it looks like one (for tracing across services), else a new one.
 * One that contains an ID number is replaced: request ids go to the logs and the audit trail.
 */
function requestIdOf(header: string | string[] | undefined): string {
  return typeof header === 'string' && /^[A-Za-z0-9._-]{8,128}$/.test(header) && !ID_NUMBER_SHAPE.test(header) ? header : randomUUID();
}

/**
 * One place where errors become public: database outages are SERVICE_UNAVAILABLE, unknown
 * failures INTERNAL_SERVER_ERROR with a generic message in production (no SQL, stack or ids).
 */
function formatError(formatted: GraphQLFormattedError, error: unknown, config: Config, logger: Logger): GraphQLFormattedError {
  const original = error instanceof GraphQLError ? (error.originalError ?? error) : error;
  if (isDatabaseUnavailable(original)) {
    return { ...formatted, message: 'A database is unavailable; retry shortly.', extensions: { code: ErrorCode.SERVICE_UNAVAILABLE } };
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

/** Logs one line per operation, and outside production adds the SQL count to `extensions`. */
function requestLogPlugin(logger: Logger, config: Config): ApolloServerPlugin<Context> {
  return {
    // auth: a request refused in the context function (401, or 503 when the key table is down) never
    // reaches requestDidStart; one line each, so that a flood of bad keys shows in the logs.
    async contextCreationDidFail({ error }) {
      const code = error instanceof GraphQLError ? error.extensions.code : undefined;
      logger.warn({ code: code ?? 'INTERNAL_SERVER_ERROR' }, 'graphql request refused');
    },
    async requestDidStart({ contextValue }) {
      const started = process.hrtime.bigint();
      return {
        async willSendResponse({ response, operationName, errors }) {
          const { sql } = contextValue;
          if (!config.isProduction && response.body.kind === 'single') {
            response.body.singleResult.extensions = {
              ...response.body.singleResult.extensions,
              sql: { statements: sql.statements, bySource: sql.bySource },
            };
          }
          logger.info(
            {
              requestId: contextValue.requestId,
              role: contextValue.viewer.role,
              operation: operationName ?? null,
              durationMs: Number(process.hrtime.bigint() - started) / 1e6,
              sqlStatements: sql.statements,
              errors: errors?.map((e) => e.extensions?.code ?? 'INTERNAL_SERVER_ERROR'),
            },
            'graphql request',
          );
        },
      };
    },
  };
}
