import { ErrorCode } from '../errors';
import express, { type ErrorRequestHandler, type RequestHandler, type Request, type Response } from 'express';
import type { OperationLimits } from '../limits';
import { rememberingPrecheck } from '../limits/precheck';
import { persistedQueryRefusal } from '../documents/manifest';

/**
 * Middleware in front of Apollo on /graphql:
 * - the JSON body parser with its size limit; its errors answered as GraphQL errors instead of
 *   express' HTML page: 413 above the limit, 400 for a body that is not JSON;
 * - the token and nesting limits, checked on the document text before Apollo parses it
 *   (src/limits/precheck.ts): 400;
 * - an automatic persisted query sent with a document whose SHA-256 is not its hash (400,
 *   PERSISTED_QUERY_HASH_MISMATCH), or with a protocol version other than 1 (400, BAD_REQUEST):
 *   Apollo's own answers have no code (INTERNAL_SERVER_ERROR, and an error log line each).
 * Errors use the media type the client accepts (GraphQL over HTTP: application/graphql-response+json
 * when asked for, else application/json).
 */
export function graphqlHttpConformance(limits: Pick<OperationLimits, 'bodyLimit' | 'maxTokens' | 'maxDepth'>): (RequestHandler | ErrorRequestHandler)[] {
  const bodyErrors: ErrorRequestHandler = (err, req, res, next) => {
    const status = typeof err?.status === 'number' && err.status >= 400 && err.status < 500 ? err.status : null;
    if (status === null || res.headersSent) return next(err);
    const message =
      err.type === 'entity.too.large'
        ? `The request body is larger than the limit of ${limits.bodyLimit}.`
        : err.type === 'entity.parse.failed'
          ? 'The request body is not valid JSON.'
          : `The request body could not be read (${err.type ?? 'bad request'}).`;
    sendError(req, res, status, message, { code: ErrorCode.BAD_REQUEST });
  };

  const prechecked = rememberingPrecheck(limits);
  const precheck: RequestHandler = (req, res, next) => {
    const bodies: unknown[] = req.method === 'GET' ? [req.query] : Array.isArray(req.body) ? req.body : [req.body];
    for (const body of bodies) {
      const query = (body as { query?: unknown } | null)?.query;
      if (typeof query !== 'string') continue;
      const refusal = prechecked.check(query);
      if (refusal) return sendError(req, res, 400, refusal.message, { code: refusal.code, limit: refusal.limit });
    }
    for (const body of bodies) {
      const { query, extensions } = (body ?? {}) as { query?: unknown; extensions?: unknown };
      const apq = persistedQueryRefusal(query, req.method === 'GET' ? jsonOrNull(extensions) : extensions);
      if (apq) return sendError(req, res, 400, apq.message, { code: apq.code });
    }
    next();
  };

  return [express.json({ limit: limits.bodyLimit }), bodyErrors, precheck];
}

/** A GET parameter's JSON (Apollo reports one that does not parse itself), else null. */
function jsonOrNull(text: unknown): unknown {
  if (typeof text !== 'string') return null;
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

function sendError(req: Request, res: Response, status: number, message: string, extensions: Record<string, unknown>): void {
  const graphqlResponse = req.accepts(['application/json', 'application/graphql-response+json']) === 'application/graphql-response+json';
  res
    .status(status)
    .type(graphqlResponse ? 'application/graphql-response+json; charset=utf-8' : 'application/json; charset=utf-8')
    .send(JSON.stringify({ errors: [{ message, extensions }] }));
}
