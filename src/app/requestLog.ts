import { GraphQLError } from 'graphql';
import type { ApolloServerPlugin } from '@apollo/server';
import type { Logger } from 'pino';
import type { Config } from '../config';
import type { Context } from '../context';
import { ErrorCode, isDatabaseUnavailable } from '../errors';
import type { Metrics } from '../observability/metrics';
import { loggableOperationName } from '../observability/logging';

/**
 * Logs one line per operation, records its metrics, and outside production adds the SQL count to
 * `extensions`. The line has no arguments, variables or headers: request id, operation name, role,
 * duration, statement count, outcome and error codes find a slow or failing request.
 */
export function requestLogPlugin(logger: Logger, config: Config, metrics: Metrics): ApolloServerPlugin<Context> {
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

