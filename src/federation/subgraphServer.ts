import { timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import type { Config } from '../config';
import { ROLES } from '../auth/viewer';
import { makeApp, type App, type AppOptions } from '../server';
import { buildSubgraph } from './subgraphs';
import { CLIENT_ADDRESS_HEADER, DEADLINE_HEADER, REQUEST_CLASS_HEADER, SUBGRAPH_SECRET_HEADER, type SubgraphName } from './names';
import { REQUEST_CLASSES, type RequestClass } from '../limits/requestClass';

/** Refuses every /graphql request that does not carry the shared secret: a subgraph answers the gateway only. */
export function secretGate(secret: string): RequestHandler {
  const expected = Buffer.from(secret);
  return (req, res, next) => {
    const sent = Buffer.from(String(req.headers[SUBGRAPH_SECRET_HEADER] ?? ''));
    if (sent.length === expected.length && timingSafeEqual(sent, expected)) return next();
    res.status(403).json({ errors: [{ message: 'This subgraph answers its gateway only.', extensions: { code: 'FORBIDDEN' } }] });
  };
}

/**
 * What differs in a subgraph: the gateway's queries (`_entities`, plans) are not client documents,
 * so trusted documents and per-role cost budgets (checked on whole client operations) are off, as
 * is the response cache (its keys are client operations). The response budget stays, at twice the
 * role's: it bounds what one fetch may build here, and the gateway holds the merged answer to the
 * role's own budget (a fetch carries keys and type names the client's answer may not).
 */
function subgraphConfig(config: Config): Config {
  return {
    ...config,
    trustedDocuments: { ...config.trustedDocuments, roles: [] },
    responseCache: { ...config.responseCache, enabled: false },
    // checks reach a subgraph spread out by the hop: a 1 ms window lets them share statements again
    // (src/db/sharedBatch.ts; on npm start they arrive together and gain nothing from it)
    passCheckBatchWindowMs: config.passCheckBatchWindowMs ?? 1,
    limits: {
      ...config.limits,
      maxCost: Object.fromEntries(ROLES.map((r) => [r, Number.MAX_SAFE_INTEGER])) as Config['limits']['maxCost'],
      maxResponseBytes: Object.fromEntries(ROLES.map((r) => [r, 2 * config.limits.maxResponseBytes[r]])) as Config['limits']['maxResponseBytes'],
    },
  };
}

/** One subgraph: the app of `npm start` over that subgraph's schema, behind the secret gate. */
export function makeSubgraphApp(name: SubgraphName, options: Omit<AppOptions, 'subgraph'> & { secret: string }): App {
  const { secret, ...rest } = options;
  return makeApp({
    ...rest,
    config: subgraphConfig(options.config),
    subgraph: { schema: buildSubgraph(name), gate: secretGate(secret), clientAddress: forwardedClientAddress, forwarded: forwardedRequestClass },
  });
}

/**
 * The caller's address as the gateway forwarded it. Only read behind the secret gate (every
 * /graphql request of a subgraph passes it first), so a client cannot choose its own rate-limit
 * bucket; a request without the header (the gateway's own, e.g. a health probe) keeps the socket's.
 */
export function forwardedClientAddress(req: { headers: Record<string, string | string[] | undefined> }): string | undefined {
  const value = req.headers[CLIENT_ADDRESS_HEADER];
  return typeof value === 'string' && value.length > 0 && value.length <= 64 ? value : undefined;
}

/**
 * The class and time left of the client request a gateway fetch belongs to (gateway/contract.ts),
 * read like the address: only behind the secret gate. Absent or malformed: the subgraph classifies
 * the fetch itself and counts its caller, as `npm start` does.
 */
export function forwardedRequestClass(req: { headers: Record<string, string | string[] | undefined> }): { requestClass: RequestClass; deadlineMs: number } | undefined {
  const requestClass = REQUEST_CLASSES.find((c) => c === req.headers[REQUEST_CLASS_HEADER]);
  const deadline = req.headers[DEADLINE_HEADER];
  const deadlineMs = typeof deadline === 'string' && /^\d{1,9}$/.test(deadline) ? Number(deadline) : NaN;
  return requestClass && Number.isFinite(deadlineMs) ? { requestClass, deadlineMs: Math.max(1, deadlineMs) } : undefined;
}
