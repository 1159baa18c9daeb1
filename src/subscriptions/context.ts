import { GraphQLError } from 'graphql';
import type { Context } from '../context';
import { ErrorCode } from '../errors';
import type { RiskChangeHub } from './hub';

/** The context of an operation over WebSocket: a request context, plus the live-update hub. */
export interface LiveContext extends Context {
  live: RiskChangeHub;
  /** Replaces `sources` and `services` (and the SQL recorder) with fresh ones: called before each event is executed. */
  renew(): void;
}

/** The live context of a subscription field; an HTTP request has none (subscriptions are WebSocket-only). */
export function liveContext(context: Context): LiveContext {
  if (!('live' in context)) {
    throw new GraphQLError('Subscriptions are served over WebSocket (graphql-transport-ws) at /graphql, not over HTTP.', {
      extensions: { code: ErrorCode.BAD_REQUEST },
    });
  }
  return context as LiveContext;
}
