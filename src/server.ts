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
import { createContext, type Context } from './context';
import { healthRoutes } from './http/health';
import { ErrorCode, isDatabaseUnavailable } from './errors';

export interface AppOptions {
  config: Config;
  pools: Pools;
  logger: Logger;
  /** Bench-only: DataLoader batching off (the N+1 baseline). */
  batch?: boolean;
}

export interface App {
  httpServer: http.Server;
  apollo: ApolloServer<Context>;
  /** Starts Apollo and mounts the routes; does not listen (main.ts and tests do that). */
  start(): Promise<void>;
  /** Stops accepting, waits for in-flight requests (Apollo's drain plugin), then resolves. */
  stop(): Promise<void>;
}

/** Assembles the HTTP app: build here, listen elsewhere. */
export function makeApp({ config, pools, logger, batch }: AppOptions): App {
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

  return {
    httpServer,
    apollo,
    async start() {
      await apollo.start();
      app.use(healthRoutes(pools));
      app.use(
        '/graphql',
        express.json({ limit: '1mb' }),
        expressMiddleware(apollo, {
          context: async ({ req }) =>
            createContext(pools, { batch, requestId: requestIdOf(req.headers['x-request-id']) }),
        }),
      );
    },
    async stop() {
      await apollo.stop();
    },
  };
}

/** A client's request id is kept when it looks like one (for tracing across services), else a new one. */
function requestIdOf(header: string | string[] | undefined): string {
  return typeof header === 'string' && /^[A-Za-z0-9._-]{8,128}$/.test(header) ? header : randomUUID();
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
