import express, { type Request, type Response, type Router } from 'express';
import { GraphQLError } from 'graphql';
import type { Logger } from 'pino';
import type { Pools } from '../db/pools';
import type { Authenticator } from '../auth/authenticate';
import { forbidden } from '../auth/directive';
import type { Role, Viewer } from '../auth/viewer';
import { ErrorCode, isDatabaseUnavailable } from '../errors';
import { SqlRecorder } from '../db/sql';
import type { IngestJob, IngestKind } from '../../datasources/uploads';
import { runUpload, type IngestLimits } from '../../services/ingestion/upload';
import { formatOf } from '../../services/ingestion/stream';
import { acceptedRequestId } from '../observability/logging';

/** The upload paths (docs/ingestion.md). */
export const INGEST_PATHS: Readonly<Record<IngestKind, string>> = { FLOWS: '/ingest/flows', STAYS: '/ingest/stays' };
/** Every path under this prefix has the upload's own time bounds instead of HTTP_REQUEST_TIMEOUT_MS (src/http/server.ts). */
export const INGEST_PREFIX = '/ingest/';
/** Carriers upload; nobody else (a key without an operator has no rows to replace). */
const INGEST_ROLES: readonly Role[] = ['CARRIER'];
/** Uploads running at once per process: each holds a mobility connection and a COPY. */
const MAX_CONCURRENT_UPLOADS = 2;

export interface IngestRouteOptions {
  pools: Pools;
  authenticator: Authenticator;
  logger: Logger;
  idHashSecret: string;
  limits: IngestLimits;
}

/** Errors in the shape of GraphQL's (as /export does), with the job when one was recorded. */
function refuse(res: Response, status: number, code: string, message: string, extra: Record<string, unknown> = {}, headers: Record<string, string> = {}): void {
  res.status(status).set(headers).json({ ...extra, errors: [{ message, extensions: { code } }] });
}

/** The job as the HTTP answer shows it (the same fields as GraphQL's IngestJob). */
export function jobJson(job: IngestJob, durationMs: number) {
  return {
    id: job.id,
    kind: job.kind,
    status: job.status,
    partial: job.partial,
    format: job.format,
    startedAt: job.startedAt.toISOString(),
    finishedAt: job.finishedAt?.toISOString() ?? null,
    durationMs,
    bytes: job.bytes,
    rowsReceived: job.rowsReceived,
    rowsApplied: job.rowsApplied,
    rowsReplaced: job.rowsReplaced,
    dates: job.dates,
    errorCount: job.errorCount,
    errors: job.errors,
  };
}

/**
 * `POST /ingest/flows` and `POST /ingest/stays` (CARRIER): a CSV or NDJSON body, gzip allowed,
 * streamed into PostgreSQL (services/ingestion/upload.ts). Synchronous: the answer comes once the
 * upload is applied or refused — 200 with the job, 422 with the report of bad rows, 400/408/413/415
 * for a file refused as a whole — and the job stays readable through Query.ingestJob.
 */
export function ingestRoutes(options: IngestRouteOptions): Router {
  const router = express.Router();
  let running = 0;
  for (const [kind, path] of Object.entries(INGEST_PATHS) as [IngestKind, string][]) {
    router.post(path, async (req, res) => {
      const viewer = await viewerOf(options.authenticator, req, res, path);
      if (!viewer) return;
      const format = formatOf(req.headers['content-type']);
      if (typeof format !== 'string') return refuse(res, 415, ErrorCode.BAD_REQUEST, format.error);
      const encoding = (req.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
      if (encoding !== 'gzip' && encoding !== 'identity') return refuse(res, 415, ErrorCode.BAD_REQUEST, `Content-Encoding ${encoding.slice(0, 40)} is not supported: send gzip or nothing.`);
      const partial = req.query.partial;
      if (partial !== undefined && partial !== 'true' && partial !== 'false') return refuse(res, 400, ErrorCode.BAD_USER_INPUT, '"partial" must be true or false.');
      const declared = Number(req.headers['content-length'] ?? Number.NaN);
      if (declared > options.limits.maxBytes) {
        return refuse(res, 413, ErrorCode.BAD_REQUEST, `The upload is ${declared} bytes; at most ${options.limits.maxBytes} are accepted (INGEST_MAX_BYTES). Split it into several files, e.g. one per day.`, {}, { connection: 'close' });
      }
      if (running >= MAX_CONCURRENT_UPLOADS) {
        return refuse(res, 503, ErrorCode.SERVICE_UNAVAILABLE, `${MAX_CONCURRENT_UPLOADS} uploads are running on this server; retry shortly.`, {}, { 'retry-after': '10', connection: 'close' });
      }
      running++;
      try {
        const result = await runUpload(
          { pools: options.pools, logger: options.logger, idHashSecret: options.idHashSecret, limits: options.limits },
          {
            kind,
            format,
            gzip: encoding === 'gzip',
            partial: partial === 'true',
            operator: viewer.operator!,
            keyId: viewer.keyId,
            requestId: acceptedRequestId(req.headers['x-request-id']) ?? null,
            body: req,
          },
        );
        const job = jobJson(result.job, result.durationMs);
        if (result.refusal) {
          // The rest of the body is not read: the connection cannot carry another request.
          refuse(res, result.refusal.status, result.refusal.status === 408 || result.refusal.status === 413 ? ErrorCode.BAD_REQUEST : ErrorCode.BAD_USER_INPUT, result.refusal.message, { job }, { connection: 'close' });
        } else if (result.job.status === 'REJECTED') {
          refuse(res, 422, ErrorCode.BAD_USER_INPUT, `${result.job.errorCount} problem(s) in the rows; nothing was applied. See job.errors (row, column, message).`, { job });
        } else {
          res.status(200).json({ job });
        }
      } catch (err) {
        options.logger.error({ err, path }, 'ingest failed');
        if (res.headersSent || req.destroyed) return;
        const unavailable = isDatabaseUnavailable(err);
        refuse(res, unavailable ? 503 : 500, unavailable ? ErrorCode.SERVICE_UNAVAILABLE : ErrorCode.INTERNAL_SERVER_ERROR, unavailable ? 'A database is unavailable; nothing was applied. Retry shortly.' : 'Internal server error; nothing was applied.', {}, { connection: 'close' });
      } finally {
        running--;
      }
    });
  }
  return router;
}

/** The caller, if it may upload; otherwise the refusal is sent and null returned. */
async function viewerOf(authenticator: Authenticator, req: Request, res: Response, path: string): Promise<Viewer | null> {
  let viewer: Viewer;
  try {
    viewer = await authenticator.viewerFor(req.headers.authorization, req.ip ?? 'unknown', new SqlRecorder());
  } catch (err) {
    if (!(err instanceof GraphQLError)) throw err;
    const http = err.extensions.http as { status?: number } | undefined;
    refuse(res, http?.status ?? 401, String(err.extensions.code), err.message, {}, { 'www-authenticate': 'Bearer realm="changxing"', connection: 'close' });
    return null;
  }
  if (INGEST_ROLES.includes(viewer.role) && viewer.operator) return viewer;
  const message = forbidden(`POST ${path}`, INGEST_ROLES, viewer.role).message;
  if (viewer.role === 'PUBLIC') refuse(res, 401, ErrorCode.UNAUTHENTICATED, `${message}: send "Authorization: Bearer <carrier API key>"`, {}, { connection: 'close' });
  else refuse(res, 403, ErrorCode.FORBIDDEN, message, {}, { connection: 'close' });
  return null;
}
