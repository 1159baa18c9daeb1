import zlib from 'node:zlib';
import { promisify } from 'node:util';
import { pipeline, type Transform, type Writable } from 'node:stream';
import type { IncomingMessage, ServerResponse } from 'node:http';
import Negotiator from 'negotiator';
import compression from 'compression';
import type { RequestHandler } from 'express';

/**
 * Content codings of answers (issue 18, "on the wire"): the national map is ≈ 1.1 MB of JSON, 59 KB
 * gzipped and 38 KB under brotli at quality 11 — a dashboard load on a 10 Mbit/s link goes from
 * ≈ 0.9 s to a few tens of milliseconds. One negotiation and one set of compressors for `npm start`'s
 * answers (GraphQL, the CSV export, the pages) and the gateway's.
 */
export type Encoding = 'br' | 'gzip' | 'identity';

/** What we can send, in our order of preference when the client likes several equally (`br, gzip`). */
const AVAILABLE: Encoding[] = ['br', 'gzip', 'identity'];
const PREFERRED: Encoding[] = ['br', 'gzip'];

/**
 * The coding of an answer to a request with this Accept-Encoding (RFC 9110 §12.5.3, q-values and `*`
 * included; negotiator, as express and `compression` use it). No header, nothing we have, or only
 * codings refused with q=0: identity, which a client may not refuse in practice (a 406 helps nobody).
 */
export function negotiateEncoding(acceptEncoding: string | string[] | undefined): Encoding {
  const header = Array.isArray(acceptEncoding) ? acceptEncoding.join(', ') : acceptEncoding;
  if (!header) return 'identity';
  // negotiator 1.x takes the server's preference among codings of equal q as `{ preferred }` (its @types are older)
  const negotiator = new Negotiator({ headers: { 'accept-encoding': header } }) as unknown as { encoding(available: string[], options: { preferred: string[] }): string | undefined };
  return (negotiator.encoding(AVAILABLE, { preferred: PREFERRED }) as Encoding | undefined) ?? 'identity';
}

/** Answers smaller than this go uncompressed: a coding's header and framing would eat the gain. */
export const COMPRESSION_THRESHOLD_BYTES = 1024;

/**
 * Brotli quality for answers compressed as they are sent (a cache miss, a personal answer): 5 is
 * within a few per cent of 11 on our JSON at a small fraction of the CPU (bench/wire.ts). Answers kept
 * by the response cache are compressed once at `STORED_BROTLI_QUALITY`.
 */
export const ONLINE_BROTLI_QUALITY = 5;
export const STORED_BROTLI_QUALITY = 11;
/** gzip level for both: 6 (zlib's default) is where its curve flattens; 9 saves ≈ 1 % more. */
const ONLINE_GZIP_LEVEL = 6;
const STORED_GZIP_LEVEL = 9;

/** Brotli's parameters: text mode, a quality, and the input's size when known (it sizes its window by it). */
function brotliParams(quality: number, sizeHint?: number): zlib.BrotliOptions {
  return {
    params: {
      [zlib.constants.BROTLI_PARAM_QUALITY]: quality,
      [zlib.constants.BROTLI_PARAM_MODE]: zlib.constants.BROTLI_MODE_TEXT,
      ...(sizeHint ? { [zlib.constants.BROTLI_PARAM_SIZE_HINT]: sizeHint } : {}),
    },
  };
}

/** A streaming compressor for an answer being sent (zlib runs it on the thread pool, not the event loop). */
export function compressingStream(encoding: Exclude<Encoding, 'identity'>, sizeHint?: number): Transform {
  compressions.count(encoding, 'online');
  return encoding === 'gzip' ? zlib.createGzip({ level: ONLINE_GZIP_LEVEL }) : zlib.createBrotliCompress(brotliParams(ONLINE_BROTLI_QUALITY, sizeHint));
}

const brotli = promisify(zlib.brotliCompress);
const gzip = promisify(zlib.gzip);

/**
 * An answer compressed once to be kept (the response caches): brotli at quality 11, gzip at level 9.
 * Slow (≈ 1–2 s of one core for the national map at quality 11), so on the thread pool, once per cached
 * answer and coding, never per hit.
 */
export async function compressForStorage(encoding: Exclude<Encoding, 'identity'>, body: Buffer): Promise<Buffer> {
  compressions.count(encoding, 'stored');
  return encoding === 'gzip' ? gzip(body, { level: STORED_GZIP_LEVEL }) : brotli(body, brotliParams(STORED_BROTLI_QUALITY, body.length));
}

/** A whole answer compressed now, at the quality of answers compressed as they are sent (the gateway's, whose answers are not streams). */
export async function compressNow(encoding: Exclude<Encoding, 'identity'>, body: Buffer): Promise<Buffer> {
  compressions.count(encoding, 'online');
  return encoding === 'gzip' ? gzip(body, { level: ONLINE_GZIP_LEVEL }) : brotli(body, brotliParams(ONLINE_BROTLI_QUALITY, body.length));
}

/** Compressions started in this process, by coding and kind (metrics; tests count them). */
export type CompressionKind = 'online' | 'stored';
export const compressions = {
  counts: new Map<string, number>(),
  count(encoding: Exclude<Encoding, 'identity'>, kind: CompressionKind): void {
    const key = `${encoding}:${kind}`;
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
  },
  of(encoding: Exclude<Encoding, 'identity'>, kind: CompressionKind): number {
    return this.counts.get(`${encoding}:${kind}`) ?? 0;
  },
};

/**
 * Where a streaming route writes its body (the CSV export): the response itself, or a compressor in
 * the client's preferred coding piped into it (headers set here: call before the first write). The
 * route waits for `drain` on what this returns, so backpressure reaches it through the compressor.
 */
export function encodedBody(req: IncomingMessage, res: ServerResponse): Writable {
  const vary = res.getHeader('vary');
  res.setHeader('vary', vary ? `${String(vary)}, Accept-Encoding` : 'Accept-Encoding');
  const encoding = negotiateEncoding(req.headers['accept-encoding']);
  if (encoding === 'identity') return res;
  res.setHeader('content-encoding', encoding);
  const compressor = compressingStream(encoding);
  // a client that leaves destroys the response: the compressor goes with it, nothing to report
  pipeline(compressor, res, () => undefined);
  return compressor;
}

/**
 * Express middleware compressing what a route sends (the pages) with the
 * same codings and brotli quality as GraphQL answers (expressjs/compression: it negotiates with
 * negotiator too, sets `Vary: Accept-Encoding`, and leaves an answer that already has a
 * Content-Encoding alone).
 */
export function compressResponses(): RequestHandler {
  return compression({
    threshold: COMPRESSION_THRESHOLD_BYTES,
    level: ONLINE_GZIP_LEVEL,
    brotli: brotliParams(ONLINE_BROTLI_QUALITY),
  });
}
