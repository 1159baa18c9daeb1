import type http from 'node:http';
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginInlineTraceDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import type { GraphQLSchema } from 'graphql';
import type { Logger } from 'pino';
import type Redis from 'ioredis';
import type { Config } from '../config';
import type { Context } from '../context';
import type { Metrics } from '../observability/metrics';
import { limitValidationRules, operationLimitsPlugin } from '../limits';
import { admissionPlugin } from '../limits/admissionPlugin';
import type { Admission } from '../limits/admission';
import { personalDataPlugin } from '../privacy/transport';
import { PersistedQueryCache, trustedDocumentsPlugin } from '../documents/trusted';
import { responseCachePlugin, stringifyCachedResults } from '../cache/responseCache';
import type { AnswerStore } from '../cache/answerStore';
import { CaseDataVersionReads } from '../../datasources/dataVersion';
import { cacheControlPlugin } from '../http/cacheControlPlugin';
import type { Pools } from '../db/pools';
import { formatError } from './formatError';
import { requestLogPlugin } from './requestLog';
import { executionOptions } from '../executor';

/** Compiled documents kept by the jit executor: the contract's operations and the dashboards' own, with room. */
const COMPILED_DOCUMENTS = 500;

export interface ApolloParts {
  schema: GraphQLSchema;
  config: Config;
  pools: Pools;
  logger: Logger;
  redis: Redis | null;
  httpServer: http.Server;
  metrics: Metrics;
  admission: Admission;
  /** The trusted documents by id (documents/manifest.json); they also seed the APQ cache. */
  trustedDocuments: ReadonlyMap<string, string>;
  cachedAnswers: AnswerStore;
  /** Counts operations still executing (src/app/inFlight.ts). */
  inFlight: ApolloServerPlugin<Context>;
  /** Closes the WebSocket server with Apollo (its drain). */
  drainLive: () => Promise<void>;
  /** A subgraph sends no Apollo usage traces (the gateway is Hive's; src/federation). */
  isSubgraph: boolean;
}

/**
 * Apollo Server with the project's limits, caches, documents and logs, as plugins in the order
 * they must run: limits before the log and the cache, the bulkheads after the response cache.
 */
export function createApollo(p: ApolloParts): ApolloServer<Context> {
  const { config, logger, redis } = p;
  return new ApolloServer<Context>({
    // graphql-jit or graphql-js (GRAPHQL_EXECUTOR, src/executor.ts); jit comes in as Apollo's gateway executor
    ...executionOptions(p.schema, config.executor, {
      maxCompiled: COMPILED_DOCUMENTS,
      onFallback: (reason) => logger.warn({ reason }, 'graphql-jit cannot compile a document; graphql-js executes it'),
      onExecute: p.metrics.observeExecution,
      trusted: p.trustedDocuments,
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
    persistedQueries: { cache: new PersistedQueryCache(p.trustedDocuments, { redis, keyPrefix: config.redisKeyPrefix, ttlSeconds: config.apqTtlSeconds, logger }) },
    // cached answers are written from their stored JSON text (src/cache/responseCache.ts)
    stringifyResult: stringifyCachedResults,
    csrfPrevention: true,
    plugins: [
      p.inFlight,
      ApolloServerPluginDrainHttpServer({ httpServer: p.httpServer }),
      // Apollo's pattern for subscription servers: close the sockets and the LISTEN connection on stop.
      { serverWillStart: async () => ({ drainServer: p.drainLive }) },
      ApolloServerPluginLandingPageDisabled(),
      // No HTTP cache hints are set; the plugin's per-field hook showed in CPU profiles of the national map.
      ApolloServerPluginCacheControlDisabled(),
      ...(p.isSubgraph ? [ApolloServerPluginInlineTraceDisabled()] : []),
      // before the log and the cache: its willSendResponse replaces an answer over the response budget
      operationLimitsPlugin(config.limits, { subgraph: p.isSubgraph }),
      requestLogPlugin(logger, config, p.metrics),
      // the version that keys cached answers, read on the process's own connections, not the class's;
      // identical requests wait for the one computing their answer (src/cache/singleFlight.ts)
      responseCachePlugin({
        options: config.responseCache,
        versions: new CaseDataVersionReads(p.pools),
        store: { redis, keyPrefix: config.redisKeyPrefix, logger },
        answers: p.cachedAnswers,
        classLimits: config.classLimits,
        metrics: p.metrics,
      }),
      // after the response cache: a cached answer, or one another request is computing, takes no turn and is never shed
      admissionPlugin(p.admission, config.classLimits, config.passChecks === 'dedicated' ? 'pass' : null),
      // Cache-Control by what an answer holds (docs/http-caching.md); before the personal rule, which has the last word
      cacheControlPlugin(),
      // ID number lookups over POST only; answers about persons not stored by caches (src/privacy/transport.ts)
      personalDataPlugin(),
      trustedDocumentsPlugin(p.trustedDocuments, new Set(config.trustedDocuments.roles)),
    ],
  });
}
