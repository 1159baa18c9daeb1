import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import type { Logger } from 'pino';
import type { Config } from '../config';
import type { DeadlineExceeded } from '../db/lane';
import { ErrorCode, badInputFromDatabase, isDatabaseUnavailable, withoutSuggestions } from '../errors';

/**
 * One place where errors become public: database outages are SERVICE_UNAVAILABLE, unknown
 * failures INTERNAL_SERVER_ERROR with a generic message in production (no SQL, stack or ids).
 */
export function formatError(given: GraphQLFormattedError, error: unknown, config: Config, logger: Logger): GraphQLFormattedError {
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

