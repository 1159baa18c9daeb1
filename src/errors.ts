import { GraphQLError } from 'graphql';

/** Every `extensions.code` this API sends. Clients switch on these; never rename one. */
export const ErrorCode = {
  BAD_USER_INPUT: 'BAD_USER_INPUT',
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  FORBIDDEN: 'FORBIDDEN',
  RATE_LIMITED: 'RATE_LIMITED',
  QUERY_TOO_COMPLEX: 'QUERY_TOO_COMPLEX',
  /** The answer would exceed the caller's response budget (bytes): ask for less, or use the CSV export. */
  RESPONSE_TOO_LARGE: 'RESPONSE_TOO_LARGE',
  /** The HTTP request itself is unacceptable: body too large, too many tokens, malformed JSON. */
  BAD_REQUEST: 'BAD_REQUEST',
  /** A role limited to trusted documents sent one that is not in documents/manifest.json. */
  PERSISTED_QUERY_NOT_ALLOWED: 'PERSISTED_QUERY_NOT_ALLOWED',
  /** An automatic persisted query whose `sha256Hash` is not the SHA-256 of the `query` sent with it. */
  PERSISTED_QUERY_HASH_MISMATCH: 'PERSISTED_QUERY_HASH_MISMATCH',
  SERVICE_UNAVAILABLE: 'SERVICE_UNAVAILABLE',
  /** Sent to an instance that does not serve the operation's class (PASS_CHECKS=dedicated serves pass checks only): 421. */
  MISDIRECTED_REQUEST: 'MISDIRECTED_REQUEST',
  INTERNAL_SERVER_ERROR: 'INTERNAL_SERVER_ERROR',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/**
 * graphql-js ends some messages with a hint naming schema members close to what was sent
 * (` Did you mean "person"?`, `… the enum value "COUNTY"?`): in production that lists field, type and
 * input-field names the caller may not see (HEALTH-only ones to PUBLIC). Both servers strip it from
 * every error in production — validation errors and variable coercion errors alike (Apollo's
 * hideSchemaDetailsFromClientErrors covers validation only). Apollo's own pattern.
 */
export function withoutSuggestions(message: string): string {
  return message.replace(/ ?Did you mean(.+?)\?$/, '');
}

/** A request error the caller can fix: names the argument and says what was expected. */
export function badInput(message: string, argument?: string): GraphQLError {
  return new GraphQLError(message, {
    extensions: { code: ErrorCode.BAD_USER_INPUT, ...(argument ? { argument } : {}) },
  });
}

/**
 * The stored data broke an invariant the schema relies on (a row naming a region that is not
 * there): the server's fault, not the caller's. formatError logs it and, in production, answers
 * it as a bare INTERNAL_SERVER_ERROR.
 */
export function brokenInvariant(message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR } });
}

/**
 * PostgreSQL errors that mean "the database is not there right now" (connection failures,
 * admin shutdown, too many connections, statement timeout): answered as SERVICE_UNAVAILABLE
 * instead of a generic internal error, so that clients know a retry may work.
 */
const UNAVAILABLE_SQLSTATE = /^(08|57P0|53300|57014)/;
const UNAVAILABLE_NODE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND']);

/**
 * pg's own messages for the same situations: the pool's `connectionTimeoutMillis` expired (database
 * down, or every connection busy), the server closed the connection, or a client that already
 * failed was used again.
 */
const UNAVAILABLE_MESSAGE = /timeout exceeded when trying to connect|Connection terminated|Client has encountered a connection error|Client was closed and is not queryable/;

export function isDatabaseUnavailable(err: unknown, depth = 0): boolean {
  const e = err as { code?: unknown; message?: unknown; cause?: unknown; errors?: unknown; thrownValue?: unknown } | null;
  if (!e || typeof e !== 'object' || depth > 3) return false;
  if (typeof e.code === 'string' && (UNAVAILABLE_SQLSTATE.test(e.code) || UNAVAILABLE_NODE_CODES.has(e.code))) {
    return true;
  }
  if (typeof e.message === 'string' && UNAVAILABLE_MESSAGE.test(e.message)) return true;
  // Node reports a refused connection to a host with several addresses as an AggregateError;
  // wrappers keep the pg error as `cause`.
  if (Array.isArray(e.errors) && e.errors.some((x) => isDatabaseUnavailable(x, depth + 1))) return true;
  // graphql-js wraps a thrown value that is not an `Error` of its realm (a socket error created outside
  // jest's sandbox, for one) in NonErrorThrown, keeping it as `thrownValue`.
  if (e.thrownValue !== undefined && isDatabaseUnavailable(e.thrownValue, depth + 1)) return true;
  return e.cause !== undefined && isDatabaseUnavailable(e.cause, depth + 1);
}

/**
 * PostgreSQL errors caused by a value the client sent that no validation caught first (a NUL
 * character, which PostgreSQL text cannot hold; a malformed uuid or number; a date out of range):
 * the client's fault, so BAD_USER_INPUT with a message that names no SQL.
 */
const BAD_INPUT_SQLSTATE: Record<string, string> = {
  '22021': 'A text argument contains a character that cannot be stored (such as NUL).',
  '22P02': 'An argument is not in the expected format.',
  '22P05': 'A text argument contains a character that cannot be stored.',
  '22007': 'A date or time argument is not valid.',
  '22008': 'A date or time argument is out of range.',
  '22003': 'A number argument is out of range.',
  '22001': 'A text argument is too long.',
};

/** The public message for a PostgreSQL error caused by client input, or null if it is not one. */
export function badInputFromDatabase(err: unknown): string | null {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? (BAD_INPUT_SQLSTATE[code] ?? null) : null;
}
