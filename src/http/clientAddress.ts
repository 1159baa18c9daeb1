import type { IncomingMessage } from 'node:http';
import proxyaddr from 'proxy-addr';

/**
 * Which proxies in front of the server are believed when they name the caller in X-Forwarded-For
 * (TRUST_PROXY): none (false, the default: the socket's address), the nearest `n` hops, or the
 * proxies at these addresses, subnets or express names (`loopback`, `linklocal`, `uniquelocal`).
 * PUBLIC self-service lookups are rate-limited per caller address: behind a load balancer without
 * this, every caller would share the balancer's one bucket; trusting X-Forwarded-For from anyone
 * would let each caller pick a fresh bucket per request.
 */
export type TrustProxy = false | number | string[];

/** TRUST_PROXY's text: unset/`false`, a hop count, or a comma-separated list; throws on a bad address. */
export function parseTrustProxy(value: string | undefined): TrustProxy {
  if (value === undefined || value.trim() === '' || value.trim() === 'false') return false;
  if (/^\d+$/.test(value.trim())) return Number(value.trim());
  const list = value.split(',').map((v) => v.trim()).filter((v) => v.length > 0);
  proxyaddr.compile(list); // validates: "invalid IP address: …"
  return list;
}

/** The trust function express and proxy-addr take (`app.set('trust proxy', …)`). */
export function trustFunction(trust: TrustProxy): (address: string, hop: number) => boolean {
  if (trust === false) return () => false;
  if (typeof trust === 'number') return (_address, hop) => hop < trust;
  return proxyaddr.compile(trust);
}

/** The caller's address under `trust`: the socket's, or the nearest untrusted X-Forwarded-For entry. */
export function clientAddressOf(req: IncomingMessage, trust: (address: string, hop: number) => boolean): string {
  if (!req.socket?.remoteAddress) return 'unknown';
  return proxyaddr(req, trust);
}
