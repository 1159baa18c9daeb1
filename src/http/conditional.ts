import { createHash } from 'node:crypto';
import fresh from 'fresh';
import type { Encoding } from './compression';

/**
 * Conditional requests and HTTP caching of GraphQL answers (docs/http-caching.md).
 *
 * Entity tags are strong and differ per representation: `"<hash>"` for the answer as it is,
 * `"<hash>-br"` and `"<hash>-gz"` for its compressed forms (RFC 9110 §8.8.3: a strong tag names one
 * sequence of bytes, and a gzip body is not the brotli body). The hash is of the uncompressed body,
 * so the tag is the same whoever computed the answer or compressed it, and at what quality: a client
 * revalidates with the tag it got for its Accept-Encoding and gets a 304 while the answer is the same.
 * (Apache's `-gzip` suffix once broke 304s because it compared the suffixed tag with the plain one;
 * here each request's tag is computed for the coding it would be sent in, then compared.)
 */
export function entityTag(body: string | Buffer): string {
  return `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
}

const SUFFIX: Record<Encoding, string> = { identity: '', br: '-br', gzip: '-gz' };

/** The tag of the representation sent in `encoding`, from the tag of the uncompressed body. */
export function representationTag(tag: string, encoding: Encoding): string {
  return encoding === 'identity' ? tag : `${tag.slice(0, -1)}${SUFFIX[encoding]}"`;
}

/**
 * Whether a request's If-None-Match names `etag` (weak comparison, `*`, lists: the `fresh` package,
 * as express uses it). A request that says `Cache-Control: no-cache` wants the body: never fresh.
 */
export function notModified(request: { ifNoneMatch?: string | null; cacheControl?: string | null }, etag: string): boolean {
  if (!request.ifNoneMatch) return false;
  const headers: Record<string, string> = { 'if-none-match': request.ifNoneMatch };
  if (request.cacheControl) headers['cache-control'] = request.cacheControl;
  return fresh(headers, { etag });
}

/**
 * What a cache may do with an answer. The data can change whenever a report is ingested (every minute
 * on a busy day), which no server can foresee: so no answer gets a lifetime in a browser, which
 * revalidates every time — a reload with nothing new costs one 304 and no body. A shared cache (a CDN
 * in front of the public dashboards) may serve a public aggregate for `s-maxage` seconds and while it
 * revalidates: the national map is then computed once per edge and period, however many citizens ask,
 * and is at most that many seconds behind an ingestion.
 */
export const CACHE_CONTROL = {
  /** PUBLIC (no key) GET of aggregate operations only (regions, risk levels, figures). */
  publicAggregate: 'public, max-age=0, s-maxage=10, stale-while-revalidate=20',
  /** A GET with an API key: the caller's browser may keep it (revalidating), no shared cache. */
  keyed: 'private, no-cache',
  /** Anything else over GET: revalidate each time. */
  revalidate: 'no-cache',
  /** Personal data (pass checks, self-checks, person records, the audit trail), errors, and POST answers. */
  never: 'no-store',
} as const;

/** The facts of an answer that decide its Cache-Control. */
export interface AnswerFacts {
  method: string;
  /** An API key was sent (any role but PUBLIC). */
  keyed: boolean;
  /** Reads personal data (src/limits/requestClass.ts `personal`): never kept by any cache. */
  personal: boolean;
  /** Every root field is an aggregate one (the response cache's CACHEABLE_ROOT_FIELDS) and it is a query. */
  aggregate: boolean;
  /** The answer carries errors (a partial answer, a refusal). */
  errors: boolean;
}

export function cacheControlFor(facts: AnswerFacts): string {
  if (facts.personal || facts.errors || facts.method !== 'GET') return CACHE_CONTROL.never;
  if (facts.keyed) return CACHE_CONTROL.keyed;
  return facts.aggregate ? CACHE_CONTROL.publicAggregate : CACHE_CONTROL.revalidate;
}

/**
 * What an answer to GET /graphql varies by: the media type (GraphQL over HTTP answers
 * application/graphql-response+json to clients that ask for it), the coding, and the caller's key.
 */
export const GRAPHQL_VARY = ['Accept', 'Accept-Encoding', 'Authorization'];
