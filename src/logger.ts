import pino, { type DestinationStream, type Logger } from 'pino';
import { LOG_REDACT } from './observability/logging';

/**
 * Structured JSON logs. Never log arguments or personal data: request id, operation name, role,
 * duration and SQL count are enough to find a slow or failing request. `redact` is the safety net.
 * `destination` (default stdout) lets tests capture the lines.
 */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  const options = { level, base: { service: 'changxing' }, redact: LOG_REDACT };
  return destination ? pino(options, destination) : pino(options);
}
