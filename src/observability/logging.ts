import type { LoggerOptions } from 'pino';
import { ID_NUMBER_SHAPE } from '../../services/audit';

/**
 * Defence in depth for the logs: the request line never carries arguments or headers, but a
 * future `logger.info({ req })` or `{ variables }` must not leak a key or an ID number either.
 */
export const LOG_REDACT: NonNullable<LoggerOptions['redact']> = {
  paths: [
    'authorization',
    'headers.authorization',
    'req.headers.authorization',
    'request.headers.authorization',
    '*.headers.authorization',
    'headers.cookie',
    'req.headers.cookie',
    'variables',
    '*.variables',
    'args',
    '*.args',
  ],
  censor: '[redacted]',
};

/**
 * Operation names are chosen by the client and go to the logs and metric labels: one that is not
 * a plain GraphQL name, or that embeds something shaped like an ID number, is logged as `other`.
 */
export function loggableOperationName(name: string | null | undefined): string | null {
  if (name == null) return null;
  return /^[A-Za-z_][A-Za-z0-9_]{0,127}$/.test(name) && !ID_NUMBER_SHAPE.test(name) ? name : 'other';
}

/**
 * A client's request id, kept when it looks like one (for tracing across services), else null. One
 * that contains an ID number is not kept: request ids go to the logs and the audit trail. Used by
 * `npm start` (which then makes one up) and the gateway's log line.
 */
export function acceptedRequestId(header: string | string[] | null | undefined): string | null {
  return typeof header === 'string' && /^[A-Za-z0-9._-]{8,128}$/.test(header) && !ID_NUMBER_SHAPE.test(header) ? header : null;
}
