import { COMPRESSION_THRESHOLD_BYTES, negotiateEncoding, type Encoding } from './compression';
import { entityTag, notModified, representationTag } from './conditional';

/** What of a request decides how its answer goes on the wire. */
export interface WireRequest {
  method: string;
  acceptEncoding?: string | string[] | null;
  ifNoneMatch?: string | null;
  cacheControl?: string | null;
}

/** How an answer goes out: its coding, its tag (GET 200 only), and whether it is a 304 without a body. */
export interface Representation {
  encoding: Encoding;
  etag?: string;
  notModified: boolean;
}

/**
 * The one decision of `npm start` (src/http/graphqlAnswer.ts) and the gateway (gateway/responseCache.ts)
 * about a text answer: compressed in the client's preferred coding from 1 KiB, a strong tag per coding
 * on a 200 answer to GET (the cache entry's, computed once, or of `body` now), and 304 when the
 * request's If-None-Match names that tag.
 */
export function representationOf(request: WireRequest, status: number, body: string, knownTag?: string): Representation {
  const encoding = body.length >= COMPRESSION_THRESHOLD_BYTES ? negotiateEncoding(request.acceptEncoding ?? undefined) : 'identity';
  if (request.method !== 'GET' || status !== 200) return { encoding, notModified: false };
  const etag = representationTag(knownTag ?? entityTag(body), encoding);
  return { encoding, etag, notModified: notModified({ ifNoneMatch: request.ifNoneMatch, cacheControl: request.cacheControl }, etag) };
}
