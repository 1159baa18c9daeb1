import http from 'node:http';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';

/** An answer as it came over the wire: status, headers, and the body's bytes before any decoding. */
export interface WireAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** The bytes received (compressed when content-encoding says so). */
  bytes: Buffer;
  /** The body decoded per its content-encoding. */
  text: string;
}

/**
 * A request with node:http, which (unlike fetch) neither adds Accept-Encoding nor decodes the body:
 * the tests see what a client would receive on the wire.
 */
export function wire(url: string, options: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<WireAnswer> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: options.method ?? 'GET', headers: options.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const bytes = Buffer.concat(chunks);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, bytes, text: decode(bytes, res.headers['content-encoding']).toString('utf8') });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

function decode(bytes: Buffer, encoding: string | undefined): Buffer {
  if (bytes.length === 0) return bytes;
  if (encoding === 'br') return brotliDecompressSync(bytes);
  if (encoding === 'gzip') return gunzipSync(bytes);
  return bytes;
}

/** A GET of a persisted query by its hash alone (the trusted documents seed the APQ cache). */
export function persistedGetPath(hash: string, variables?: Record<string, unknown>): string {
  const params = new URLSearchParams({ extensions: JSON.stringify({ persistedQuery: { version: 1, sha256Hash: hash } }) });
  if (variables) params.set('variables', JSON.stringify(variables));
  return `/graphql?${params}`;
}
