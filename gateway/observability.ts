import type { GatewayPlugin } from '@graphql-hive/gateway';
import type { ExecutionResult } from 'graphql';
import type { Logger } from 'pino';
import type { Metrics } from '../src/observability/metrics';
import { callerRefusal, requestFacts } from './contract';
import { recordRequest } from './answers';

/**
 * `npm start`'s request log line and request metrics (src/server.ts requestLogPlugin), at the
 * gateway: one line per GraphQL request with request id, role, operation, duration, key lookups,
 * outcome and error codes (never variables, arguments or headers), and the changxing_graphql_*
 * series on /metrics beside Hive's per-subgraph ones. As there, a request refused for its caller
 * (401, 503) is one warning with its code, and one refused before GraphQL (body, JSON, CSRF,
 * tokens) is neither logged nor counted.
 */
export function useRequestLog(logger: Logger, metrics: Metrics, graphqlEndpoint: string): GatewayPlugin {
  const started = new WeakMap<Request, bigint>();
  const outcomes = new WeakMap<Request, { codes: string[]; noData: boolean }>();
  return {
    onRequest({ request, url }) {
      if (url.pathname === graphqlEndpoint) started.set(request, process.hrtime.bigint());
    },
    onResultProcess({ request, result }) {
      const single = Array.isArray(result) || Symbol.asyncIterator in result ? null : (result as ExecutionResult);
      const codes = (single?.errors ?? []).map((e) => String(e.extensions?.code ?? 'INTERNAL_SERVER_ERROR'));
      outcomes.set(request, { codes, noData: single ? single.data == null : false });
    },
    // after Hive's request-id plugin has put the id it sent the subgraphs on the response
    onResponse({ request, response }) {
      const start = started.get(request);
      const result = outcomes.get(request);
      if (start === undefined || !result) return;
      const refused = callerRefusal(request);
      if (refused) {
        logger.warn({ code: refused }, 'graphql request refused');
        metrics.observeRequest({ operation: null, outcome: refused, durationSeconds: 0, sqlStatements: 0 });
        return;
      }
      const facts = requestFacts(request);
      if (!facts) return;
      recordRequest(logger, metrics, {
        // the id the subgraphs got (the client's, or Hive's)
        requestId: response.headers.get('x-request-id'),
        role: facts.viewer.role,
        operationName: facts.operationName,
        durationSeconds: Number(process.hrtime.bigint() - start) / 1e9,
        sqlStatements: facts.sqlStatements,
        ...result,
      });
    },
  };
}
