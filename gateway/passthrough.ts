import http from 'node:http';
import type { SubgraphName } from '../src/federation/names';

/**
 * The routes of `npm start` besides GraphQL, served at the gateway by the subgraph that has what
 * they need, so that a client cannot tell the gateway from the single server: partners fetch the
 * pass-signing keys (JWKS) where they check passes, dashboards download the CSV export and load the
 * pages from the same origin as their /graphql.
 *
 * Which subgraph: the JWKS from the person subgraph (it signs and checks passes), the export from the
 * case subgraph (it reads case figures per region), the pages from the region subgraph (static files,
 * which every subgraph serves). The subgraphs listen on 127.0.0.1 only; their non-GraphQL routes are
 * not behind the secret gate, and authenticate the caller's key themselves (the export does).
 */
const ROUTES: ReadonlyArray<{ match: (path: string) => boolean; subgraph: SubgraphName }> = [
  { match: (p) => p === '/.well-known/jwks.json', subgraph: 'person' },
  { match: (p) => p === '/export/daily.csv', subgraph: 'case' },
  { match: (p) => p === '/' || p === '/pass' || p === '/partner' || p === '/explorer' || p.startsWith('/assets/'), subgraph: 'region' },
];

/** Request headers passed on: what the routes read (key, content negotiation, caching), nothing else. */
const FORWARDED_REQUEST_HEADERS = ['authorization', 'accept', 'accept-encoding', 'if-none-match', 'if-modified-since', 'range', 'x-request-id'];

/**
 * A request handler that proxies the routes above (GET and HEAD) to their subgraph and returns
 * true, or returns false for every other request (the gateway answers those). `urls` are the
 * subgraphs' /graphql URLs; only their origin is used.
 */
export function passthroughRoutes(urls: Record<SubgraphName, string>): (req: http.IncomingMessage, res: http.ServerResponse) => boolean {
  return (req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return false;
    const target = new URL(req.url ?? '/', 'http://gateway');
    const route = ROUTES.find((r) => r.match(target.pathname));
    if (!route) return false;
    const origin = new URL(urls[route.subgraph]);
    const headers: http.OutgoingHttpHeaders = {};
    for (const name of FORWARDED_REQUEST_HEADERS) {
      const value = req.headers[name];
      if (value !== undefined) headers[name] = value;
    }
    const upstream = http.request(
      { host: origin.hostname, port: origin.port, method: req.method, path: `${target.pathname}${target.search}`, headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    // a client that leaves mid-export stops the subgraph's COPY too (its route cancels on close)
    res.on('close', () => upstream.destroy());
    upstream.on('error', () => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' }).end(`The ${route.subgraph} subgraph is unavailable.\n`);
      else res.destroy();
    });
    upstream.end();
    return true;
  };
}
