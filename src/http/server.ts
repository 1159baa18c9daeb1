import http from 'node:http';
import type { HttpTimeouts } from '../config';

/**
 * The HTTP server of `npm start`, each subgraph and the gateway, with bounds on slow clients: Node's
 * defaults let a client take 60 s to send its headers and 300 s to send its body, one connection
 * and one parser held all that time (a slowloris needs only a few hundred sockets). Past
 * `headersTimeoutMs` (headers) or `requestTimeoutMs` (headers and body) Node answers 408 and closes
 * the connection. Node checks these every `connectionsCheckingInterval` (30 s by default, which
 * would add up to 30 s to each bound): here a tenth of the headers timeout, at most one second.
 * A request that has arrived is not bounded by these: its run is the request deadline's business.
 */
export function createHttpServer(handler: http.RequestListener, timeouts: HttpTimeouts): http.Server {
  const server = http.createServer(
    {
      headersTimeout: timeouts.headersTimeoutMs,
      requestTimeout: timeouts.requestTimeoutMs,
      connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(timeouts.headersTimeoutMs / 10))),
    },
    handler,
  );
  // An idle keep-alive connection counts as one whose next request's headers are late: it must be
  // closed (keepAliveTimeout, 5 s by default) before that bound, or a client reusing it is answered 408.
  server.keepAliveTimeout = Math.min(server.keepAliveTimeout, Math.floor(timeouts.headersTimeoutMs / 2));
  return server;
}

/**
 * HTTP_REQUEST_TIMEOUT_MS for every request but carriers' uploads. Node bounds a request's body
 * with one server-wide `requestTimeout`, and an upload of a million rows may take minutes (it has
 * its own bounds: INGEST_TIMEOUT_MS and a minimum rate, services/ingestion/upload.ts). So the
 * server's bound is the longer one, and this middleware applies the shorter one to the other
 * paths: a body not complete within `requestTimeoutMs` of its request's arrival is answered 408
 * and its connection closed, as Node itself would.
 */
export function bodyDeadline(requestTimeoutMs: number, exceptPrefix: string): (req: http.IncomingMessage & { path?: string }, res: http.ServerResponse, next: () => void) => void {
  return (req, res, next) => {
    if (req.complete || (req.path ?? req.url ?? '').startsWith(exceptPrefix)) return next();
    const timer = setTimeout(() => {
      if (req.complete) return;
      if (!res.headersSent) res.writeHead(408, { connection: 'close' }).end();
      req.socket.destroySoon();
    }, requestTimeoutMs);
    timer.unref();
    const clear = () => clearTimeout(timer);
    req.once('end', clear);
    res.once('close', clear);
    next();
  };
}
