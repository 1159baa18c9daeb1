import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Request, RequestHandler, Response } from 'express';
import { HeaderMap, type ApolloServer, type BaseContext, type HTTPGraphQLRequest } from '@apollo/server';
import { compressingStream } from './compression';
import { GRAPHQL_VARY } from './conditional';
import { representationOf } from './representation';
import type { AnswerStore, CachedAnswer } from '../cache/answerStore';

/** The response cache's entry a request was answered from, when its body is the entry's (src/cache/responseCache.ts). */
export interface StoredAnswer {
  key: string;
  answer: CachedAnswer;
  store: AnswerStore;
}

/**
 * Apollo Server on express, as @as-integrations/express5 runs it, but writing the answer itself:
 * negotiated compression, entity tags and 304s (src/http/compression.ts, src/http/conditional.ts),
 * and a cached answer's stored compressed bytes. `stored` tells, once the answer is made, which cache
 * entry the request was answered from (by the context it ran with).
 */
export function graphqlAnswers<C extends BaseContext>(
  apollo: ApolloServer<C>,
  context: (args: { req: Request; res: Response }) => Promise<C>,
  stored: (context: C) => StoredAnswer | undefined,
): RequestHandler {
  apollo.assertStarted('graphqlAnswers()');
  return async (req, res) => {
    const headers = new HeaderMap();
    for (const [key, value] of Object.entries(req.headers)) {
      if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(', ') : value);
    }
    const httpGraphQLRequest: HTTPGraphQLRequest = {
      method: req.method.toUpperCase(),
      headers,
      search: new URL(req.url, 'http://graphql').search,
      body: req.body,
    };
    let made: C | undefined;
    const answer = await apollo.executeHTTPGraphQLRequest({ httpGraphQLRequest, context: async () => (made = await context({ req, res })) });
    for (const [key, value] of answer.headers) res.setHeader(key, value);
    res.statusCode = answer.status ?? 200;
    if (answer.body.kind === 'chunked') {
      // incremental delivery (@defer): sent as it comes, uncompressed (a coding would hold chunks back)
      for await (const chunk of answer.body.asyncIterator) res.write(chunk);
      res.end();
      return;
    }
    const hit = made ? stored(made) : undefined;
    // the stored bytes are of the entry's body: only an answer that is that body may be sent them
    await sendBody(req, res, answer.body.string, hit && answer.body.string === hit.answer.body ? hit : undefined);
  };
}

/**
 * Sends a text answer: `Vary`, a strong entity tag on 200 answers to GET (304 and no body when the
 * client's If-None-Match names it), and the body in the coding the client prefers — the cache entry's
 * stored bytes when there are some, else compressed as it is written (zlib streams, on the thread pool).
 */
export async function sendBody(req: Request, res: Response, body: string, hit?: StoredAnswer): Promise<void> {
  res.vary(GRAPHQL_VARY.join(', '));
  const { encoding, etag, notModified } = representationOf(
    { method: req.method, acceptEncoding: req.headers['accept-encoding'], ifNoneMatch: req.headers['if-none-match'], cacheControl: req.headers['cache-control'] },
    res.statusCode,
    body,
    hit?.answer.etag,
  );
  if (etag) res.setHeader('etag', etag);
  if (notModified) {
    res.statusCode = 304;
    res.removeHeader('content-type');
    res.end();
    return;
  }
  if (encoding === 'identity') {
    res.setHeader('content-length', Buffer.byteLength(body));
    res.end(body);
    return;
  }
  res.setHeader('content-encoding', encoding);
  const stored = hit && hit.store.variant(hit.key, hit.answer, encoding);
  if (stored) {
    res.setHeader('content-length', stored.length);
    res.end(stored);
    return;
  }
  const bytes = Buffer.from(body);
  // a client that hangs up ends the pipeline with an error: nothing to report, the socket is gone
  await pipeline(Readable.from([bytes]), compressingStream(encoding, bytes.length), res).catch(() => undefined);
}
