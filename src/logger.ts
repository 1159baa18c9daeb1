import pino, { type Logger } from 'pino';

/**
 * Structured JSON logs. Never log arguments or personal data: request id, operation name, role,
 * duration and SQL count are enough to find a slow or failing request.
 */
export function createLogger(level: string): Logger {
  return pino({ level, base: { service: 'changxing' } });
}
