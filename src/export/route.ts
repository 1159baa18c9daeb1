import type { Writable } from 'node:stream';
import express, { type Response, type Router } from 'express';
import { encodedBody } from '../http/compression';
import { GraphQLError } from 'graphql';
import type { Logger } from 'pino';
import type { Pools } from '../db/pools';
import type { Authenticator } from '../auth/authenticate';
import { forbidden } from '../auth/directive';
import type { Role } from '../auth/viewer';
import { ErrorCode, isDatabaseUnavailable } from '../errors';
import { SqlRecorder } from '../db/sql';
import { streamCountyDays } from '../../datasources/export';
import { exportRegions } from '../../datasources/region';
import { DailyExportService } from '../../services/dailyExport';
import { parseDailyExportQuery } from './dailyCsv';

export const DAILY_EXPORT_PATH = '/export/daily.csv';
/** Who may export: aggregate figures for government and health users, as the GOV/HEALTH GraphQL fields. */
const EXPORT_ROLES: readonly Role[] = ['GOV', 'HEALTH'];
/** Exports running at once per process; each holds a cases connection until its client has read it all. */
const MAX_CONCURRENT_EXPORTS = 2;

export interface ExportOptions {
  pools: Pools;
  authenticator: Authenticator;
  logger: Logger;
  /** Timeout of the export's COPY statement (EXPORT_STATEMENT_TIMEOUT_MS). */
  statementTimeoutMs: number;
}

/** Errors in the shape of GraphQL's, so that clients read one format: `{ errors: [{ message, extensions: { code } }] }`. */
function refuse(res: Response, status: number, code: string, message: string, headers: Record<string, string> = {}): void {
  res.status(status).set(headers).json({ errors: [{ message, extensions: { code } }] });
}

/**
 * `GET /export/daily.csv?level=&parentCode=&from=&to=&bom=`: one CSV row per region and day
 * (docs/api.md, "Bulk export"). Streamed: rows go out as PostgreSQL produces them, with backpressure,
 * so memory stays flat for millions of rows. Aggregate data only (no personal data): logged, not audited.
 */
export function exportRoutes({ pools, authenticator, logger, statementTimeoutMs }: ExportOptions): Router {
  const router = express.Router();
  // each store on its own source's primary pool, outside any request's lane: an export is not a GraphQL request
  const exports = new DailyExportService({
    regions: () => exportRegions(pools.region),
    countyDays: (counties, range, signal) => streamCountyDays(pools.cases, counties, range, { statementTimeoutMs, signal }),
  });
  let running = 0;
  router.get(DAILY_EXPORT_PATH, async (req, res) => {
    const started = Date.now();
    let role: Role;
    try {
      role = (await authenticator.viewerFor(req.headers.authorization, req.ip ?? 'unknown', new SqlRecorder())).role;
    } catch (err) {
      if (!(err instanceof GraphQLError)) throw err;
      const http = err.extensions.http as { status?: number } | undefined;
      return refuse(res, http?.status ?? 401, String(err.extensions.code), err.message, { 'www-authenticate': 'Bearer realm="changxing"' });
    }
    if (!EXPORT_ROLES.includes(role)) {
      const message = forbidden(`GET ${DAILY_EXPORT_PATH}`, EXPORT_ROLES, role).message;
      return role === 'PUBLIC' ? refuse(res, 401, ErrorCode.UNAUTHENTICATED, `${message}: send "Authorization: Bearer <API key>"`) : refuse(res, 403, ErrorCode.FORBIDDEN, message);
    }
    const query = parseDailyExportQuery(req.query as Record<string, unknown>);
    if ('error' in query) return refuse(res, 400, ErrorCode.BAD_USER_INPUT, query.error);
    if (running >= MAX_CONCURRENT_EXPORTS) {
      return refuse(res, 503, ErrorCode.SERVICE_UNAVAILABLE, `${MAX_CONCURRENT_EXPORTS} exports are running on this server; retry shortly.`, { 'retry-after': '10' });
    }
    running++;
    const cancel = new AbortController();
    res.on('close', () => cancel.abort());
    let chunksWritten = 0;
    try {
      const csv = await exports.csv(query, cancel.signal);
      if ('error' in csv) return refuse(res, 400, ErrorCode.BAD_USER_INPUT, csv.error);
      const { chunks } = csv;
      // The header goes out with the first day's rows, so a failure before any data is still a proper error status.
      let next = await chunks.next();
      res.status(200).set({
        'content-type': 'text/csv; charset=utf-8',
        'content-disposition': `attachment; filename="changxing-daily-${query.from}-${query.to}.csv"`,
        'cache-control': 'no-store',
      });
      // br or gzip as the client accepts (src/http/compression.ts): the CSV shrinks ≈ 10×
      const body = encodedBody(req, res);
      while (!next.done) {
        if (cancel.signal.aborted) {
          await chunks.return(undefined);
          break;
        }
        if (!body.write(next.value)) await drained(body, res);
        // each day's rows reach the client now, not when the compressor's block is full
        flush(body);
        chunksWritten++;
        next = await chunks.next();
      }
      body.end();
      // one chunk per day after the header
      logger.info({ role, ...query, rows: Math.max(0, chunksWritten - 1) * csv.regionsPerDay, durationMs: Date.now() - started, completed: !cancel.signal.aborted }, 'export daily.csv');
    } catch (err) {
      logger.error({ err, role, ...query }, 'export daily.csv failed');
      if (!res.headersSent) {
        const unavailable = isDatabaseUnavailable(err);
        refuse(res, unavailable ? 503 : 500, unavailable ? ErrorCode.SERVICE_UNAVAILABLE : ErrorCode.INTERNAL_SERVER_ERROR, unavailable ? 'A database is unavailable; retry shortly.' : 'Internal server error');
      } else {
        // Half a file must not look like a whole one: break the transfer (no terminating chunk).
        res.destroy();
      }
    } finally {
      running--;
    }
  });
  return router;
}

/** A compressor's output so far, sent (zlib streams have flush(); the response itself needs none). */
function flush(body: Writable): void {
  const compressor = body as Writable & { flush?: (callback?: () => void) => void };
  if (compressor.flush && !compressor.destroyed) compressor.flush();
}

/** Until the body can take more, or the client is gone (the compressor goes with the response). */
function drained(body: Writable, res: Response): Promise<void> {
  if (body.destroyed || res.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      body.off('drain', done);
      body.off('close', done);
      res.off('close', done);
      resolve();
    };
    body.on('drain', done);
    body.on('close', done);
    res.on('close', done);
  });
}
