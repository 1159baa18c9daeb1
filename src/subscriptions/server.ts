import type http from 'node:http';
import { randomUUID } from 'node:crypto';
import { WebSocketServer } from 'ws';
import { useServer } from 'graphql-ws/use/ws';
import {
  getOperationAST,
  GraphQLError,
  parse,
  specifiedRules,
  validate,
  type DocumentNode,
  type ExecutionArgs,
  type GraphQLFormattedError,
  type GraphQLSchema,
} from 'graphql';
import type { Logger } from 'pino';
import type { Pools } from '../db/pools';
import type { Config } from '../config';
import { createContext, type AppServices } from '../context';
import type { Authenticator } from '../auth/authenticate';
import type { Viewer } from '../auth/viewer';
import { SqlRecorder } from '../db/sql';
import { costRefusal, limitValidationRules } from '../limits';
import { precheckDocument } from '../limits/precheck';
import { ErrorCode } from '../errors';
import { loggableOperationName } from '../observability/logging';
import { RiskChangeHub } from './hub';
import type { LiveContext } from './context';

export const SUBSCRIPTIONS_PATH = '/graphql';
/** Subscription documents are small; the protocol's messages are bounded well below the HTTP body limit. */
const MAX_MESSAGE_BYTES = 64 * 1024;

export interface LiveServerOptions {
  httpServer: http.Server;
  /** The same executable schema as Apollo's (src/schema.ts): @auth applies to subscription fields too. */
  schema: GraphQLSchema;
  pools: Pools;
  config: Config;
  logger: Logger;
  authenticator: Authenticator;
  services: AppServices;
  /** The HTTP endpoint's error formatting (no SQL, stacks or internals in production). */
  formatError: (error: GraphQLError) => GraphQLFormattedError;
}

export interface LiveServer {
  /** Closes every socket (1001 Going Away), the WebSocket server and the LISTEN connection. */
  dispose(): Promise<void>;
}

/** What a connection carries from `onConnect` to its operations: its viewer, or why it has none. */
type ConnectionAuth = { viewer: Viewer } | { error: GraphQLError };
type Extra = { auth?: ConnectionAuth };

function badRequest(message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: ErrorCode.BAD_REQUEST } });
}

/** `connectionParams.authorization` (or `Authorization`), else the upgrade request's header. */
function authorizationOf(params: Readonly<Record<string, unknown>> | undefined, request: http.IncomingMessage): string | undefined {
  const value = params?.authorization ?? params?.Authorization;
  if (value === undefined || value === null) return request.headers.authorization;
  // A non-string never matches "Bearer <key>": refused as a malformed header would be.
  return typeof value === 'string' ? value : String(JSON.stringify(value)).slice(0, 300);
}

/**
 * GraphQL subscriptions over WebSocket (graphql-transport-ws protocol, `graphql-ws`) on the HTTP
 * server's `/graphql` path. The caller is authenticated once per connection with the same rules
 * as HTTP (no key → PUBLIC, a bad key → UNAUTHENTICATED for every operation); the document is held
 * to the same limits (tokens, depth, aliases, directives, cost per role) and the schema's @auth
 * rules gate the subscription fields. Queries and mutations are not served here: they keep the
 * HTTP endpoint's plugins (trusted documents, response cache, logs and metrics).
 */
export function serveSubscriptions(options: LiveServerOptions): LiveServer {
  const { schema, pools, config, logger, authenticator, services, formatError } = options;
  const hub = new RiskChangeHub(pools.cases.options, logger);
  const wss = new WebSocketServer({ server: options.httpServer, path: SUBSCRIPTIONS_PATH, maxPayload: MAX_MESSAGE_BYTES });
  const rules = [...specifiedRules, ...limitValidationRules(config.limits)];
  const format = (errors: readonly GraphQLError[]) => errors.map(formatError);

  const cleanup = useServer<Record<string, unknown>, Extra>(
    {
      isProd: config.isProduction,
      async onConnect(ctx) {
        const request = ctx.extra.request;
        const address = request.socket.remoteAddress ?? 'unknown';
        try {
          const viewer = await authenticator.viewerFor(authorizationOf(ctx.connectionParams, request), address, new SqlRecorder());
          ctx.extra.auth = { viewer };
        } catch (err) {
          if (!(err instanceof GraphQLError)) throw err;
          logger.warn({ code: err.extensions.code }, 'graphql subscription connection refused');
          ctx.extra.auth = { error: err };
        }
        return true;
      },
      onSubscribe(ctx, _id, payload): ExecutionArgs | readonly GraphQLError[] {
        const auth = ctx.extra.auth;
        if (!auth) return [badRequest('The connection is not initialised.')];
        if ('error' in auth) return [auth.error];
        if (typeof payload.query !== 'string') return [badRequest('Send the subscription document as `query`.')];
        const refusal = precheckDocument(payload.query, config.limits);
        if (refusal) return [new GraphQLError(refusal.message, { extensions: { code: refusal.code, limit: refusal.limit } })];
        let document: DocumentNode;
        try {
          document = parse(payload.query, { maxTokens: config.limits.maxTokens });
        } catch (err) {
          return [err instanceof GraphQLError ? err : badRequest('The document cannot be parsed.')];
        }
        const operation = getOperationAST(document, payload.operationName);
        if (!operation) return [badRequest('The document has no operation of that name, or several without operationName.')];
        if (operation.operation !== 'subscription') {
          return [badRequest(`Over WebSocket this API serves subscriptions only; send ${operation.operation} operations to POST /graphql.`)];
        }
        const invalid = validate(schema, document, rules);
        if (invalid.length > 0) return invalid;
        const variables = payload.variables ?? undefined;
        const tooCostly = costRefusal(config.limits, auth.viewer.role, { schema, document, operation, variables });
        if (tooCostly) return [tooCostly];
        const context = liveContext(pools, services, hub, auth.viewer);
        logger.info({ requestId: context.requestId, role: auth.viewer.role, operation: loggableOperationName(payload.operationName ?? null) }, 'graphql subscription');
        return { schema, document, operationName: payload.operationName, variableValues: variables, contextValue: context };
      },
      onNext(_ctx, _id, _payload, _args, result) {
        return result.errors ? { ...result, errors: format(result.errors) } : undefined;
      },
      onError(_ctx, _id, _payload, errors) {
        return format(errors);
      },
    },
    wss,
  );

  return {
    async dispose() {
      await cleanup.dispose();
      await hub.stop();
    },
  };
}

/** A request context whose datasources are renewed per event (see riskLevelChanged.ts). */
function liveContext(pools: Pools, services: AppServices, hub: RiskChangeHub, viewer: Viewer): LiveContext {
  const requestId = randomUUID();
  const fresh = () => createContext(pools, services, { viewer, requestId });
  const context: LiveContext = {
    ...fresh(),
    live: hub,
    renew() {
      const { sources, services, sql } = fresh();
      Object.assign(context, { sources, services, sql });
    },
  };
  return context;
}
