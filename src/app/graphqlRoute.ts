import { randomUUID } from 'node:crypto';
import type express from 'express';
import type { GraphQLSchema } from 'graphql';
import type { ApolloServer } from '@apollo/server';
import { graphqlAnswers } from '../http/graphqlAnswer';
import { cacheHitOf } from '../cache/responseCache';
import type { AnswerStore } from '../cache/answerStore';
import type { Config } from '../config';
import type { Pools } from '../db/pools';
import { createContext, type AppServices, type Context } from '../context';
import { SqlRecorder } from '../db/sql';
import type { Authenticator } from '../auth/authenticate';
import { responseBudgetFor } from '../limits';
import { RequestLane } from '../db/lane';
import { executionSlices } from '../limits/slices';
import { statementShare } from '../db/statementShare';
import type { Metrics } from '../observability/metrics';
import { acceptedRequestId } from '../observability/logging';
import { graphqlHttpConformance } from '../http/graphqlHttp';

/**
 * Federation (src/federation): a subgraph's schema instead of the whole one, the gate in front of
 * its /graphql, and where the caller's address comes from (the gateway's header, past the gate).
 */
export interface SubgraphMount {
  schema: GraphQLSchema;
  gate: express.RequestHandler;
  clientAddress?: (req: express.Request) => string | undefined;
  /** The class and time left the gateway gave the client's request (src/federation/subgraphServer.ts). */
  forwarded?: (req: express.Request) => Context['forwarded'];
}

export interface GraphqlRouteParts {
  apollo: ApolloServer<Context>;
  config: Config;
  pools: Pools;
  services: AppServices;
  authenticator: Authenticator;
  metrics: Metrics;
  subgraph: SubgraphMount | undefined;
  /** Bench-only: DataLoader batching off. */
  batch: boolean | undefined;
  /** The response cache's answers, whose stored compressed bytes a cache hit is sent with. */
  cachedAnswers: AnswerStore;
}

/** `/graphql`: GraphQL over HTTP, each request with its context (caller, budget, lane, stores, services). */
export function graphqlRoute({ apollo, config, pools, services, authenticator, metrics, subgraph, batch, cachedAnswers }: GraphqlRouteParts): (express.RequestHandler | express.ErrorRequestHandler)[] {
  // the expensive classes' answers built a slice per turn of the loop, so pass checks are read between (src/limits/slices.ts)
  const slices = config.executionSliceMs === null ? null : executionSlices(config.executionSliceMs);
  // while pass checks are served, the expensive classes' statements take turns for the database's cores (src/db/statementShare.ts)
  const share = config.sharedStatements === null ? null : statementShare(config.sharedStatements, config.passChecks === 'elsewhere');
  if (share) metrics.watchStatementShare(share);
  return [
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
        const lane = new RequestLane(pools, (requestClass) => metrics.observeRefused(requestClass ?? 'none', 'deadline'), Date.now, share);
        const forwarded = subgraph?.forwarded?.(req);
        return createContext(pools, services, { batch, requestId: requestIdOf(req.headers['x-request-id']), viewer, sql, responseBudget, lane, slices, ...(forwarded ? { forwarded } : {}) });
      },
      (context) => storedAnswerOf(context, cachedAnswers),
    ),
  ];
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
