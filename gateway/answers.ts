import { GraphQLError, type ExecutionResult } from 'graphql';
import type { Logger } from 'pino';
import type { Role } from '../src/auth/viewer';
import type { OperationLimits } from '../src/limits';
import { jsonFits, responseTooLarge } from '../src/limits/responseSize';
import { ErrorCode } from '../src/errors';
import type { Metrics } from '../src/observability/metrics';
import { acceptedRequestId, loggableOperationName } from '../src/observability/logging';

/*
 * What the gateway's two paths — Hive's (gateway/contract.ts, gateway/observability.ts) and the fast
 * one (gateway/fastPath.ts) — decide alike: the body limit, the response budget's refusal, the log
 * line and metrics of a request. Free of Hive's packages, so that the fast path and its tests load
 * without them.
 */

/** express' size syntax as GRAPHQL_BODY_LIMIT allows it (src/config.ts): 100kb, 1mb, 512b. */
export function bodyLimitBytes(limit: string): number {
  const match = /^(\d+)(b|kb|mb)$/i.exec(limit);
  if (!match) throw new Error(`body limit ${limit}: expected a size such as 100kb or 1mb`);
  return Number(match[1]) * { b: 1, kb: 1024, mb: 1024 * 1024 }[match[2].toLowerCase() as 'b' | 'kb' | 'mb'];
}

/** The budget's refusal (HTTP 400) of an answer, by the subgraph or over the role's budget here, else null. */
export function responseBudgetRefusal(result: ExecutionResult, role: Role, limits: Pick<OperationLimits, 'maxResponseBytes'>): GraphQLError | null {
  const maxBytes = limits.maxResponseBytes[role];
  const refusedBySubgraph = result.errors?.some((e) => e.extensions?.code === ErrorCode.RESPONSE_TOO_LARGE) ?? false;
  if (!refusedBySubgraph && jsonFits(result.data, maxBytes)) return null;
  return responseTooLargeRefusal(role, limits);
}

/** The role's answer is over its budget: that one error, HTTP 400, as on `npm start`. */
export function responseTooLargeRefusal(role: Role, limits: Pick<OperationLimits, 'maxResponseBytes'>): GraphQLError {
  return withStatus(responseTooLarge(limits.maxResponseBytes[role], role), 400);
}

function withStatus(error: GraphQLError, status: number): GraphQLError {
  return new GraphQLError(error.message, { extensions: { ...error.extensions, http: { status } } });
}

/** What one GraphQL request of the gateway leaves in its log line and metrics. */
export interface RequestRecord {
  requestId: string | null;
  role: Role;
  operationName: string | null;
  durationSeconds: number;
  /** Key lookups made for it. */
  sqlStatements: number;
  /** The answer's error codes, in order. */
  codes: readonly string[];
  noData: boolean;
}

/** The log line and the changxing_graphql_* series of one request, whichever path answered it (Hive's, or gateway/fastPath.ts). */
export function recordRequest(logger: Logger, metrics: Metrics, r: RequestRecord): void {
  const outcome = r.codes.length === 0 ? 'ok' : r.noData ? r.codes[0] : 'partial';
  const operation = loggableOperationName(r.operationName);
  metrics.observeRequest({ operation, outcome, durationSeconds: r.durationSeconds, sqlStatements: r.sqlStatements });
  logger.info(
    {
      // one that is not acceptable is not logged
      requestId: acceptedRequestId(r.requestId),
      role: r.role,
      operation,
      durationMs: Math.round(r.durationSeconds * 1e6) / 1e3,
      sqlStatements: r.sqlStatements,
      outcome,
      ...(r.codes.length > 0 ? { errors: r.codes } : {}),
    },
    'graphql request',
  );
}
