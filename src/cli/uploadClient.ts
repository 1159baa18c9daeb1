import { createReadStream, statSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/** What `npm run ingest` and the ingestion benchmark send: one file to POST /ingest/<kind>. */
export interface UploadFile {
  /** Base URL of a running server, e.g. http://localhost:4000. */
  url: string;
  /** A CARRIER API key. */
  key: string;
  kind: 'flows' | 'stays';
  path: string;
  partial?: boolean;
  /** Bytes of the file sent so far, and the file's size. */
  onProgress?: (sent: number, total: number) => void;
}

export interface UploadAnswer {
  status: number;
  body: { job?: Record<string, unknown> & { errors?: { row: number | null; column: string | null; message: string }[] }; errors?: { message: string }[] };
}

/**
 * The file's media type and encoding by its name: `.csv` or `.ndjson`/`.jsonl`, optionally `.gz`
 * (sent as is, with Content-Encoding: gzip: the server decompresses while streaming).
 */
export function typeOfFile(path: string): { contentType: string; gzip: boolean } {
  const gzip = path.endsWith('.gz');
  const base = gzip ? path.slice(0, -3) : path;
  if (base.endsWith('.csv')) return { contentType: 'text/csv', gzip };
  if (base.endsWith('.ndjson') || base.endsWith('.jsonl')) return { contentType: 'application/x-ndjson', gzip };
  throw new Error(`${path}: name a .csv, .ndjson or .jsonl file (optionally .gz), so that its format is known`);
}

/** Streams the file to the server (never whole in memory) and returns the server's answer. */
export async function uploadFile(o: UploadFile): Promise<UploadAnswer> {
  const { contentType, gzip } = typeOfFile(o.path);
  const total = statSync(o.path).size;
  const target = new URL(`/ingest/${o.kind}${o.partial ? '?partial=true' : ''}`, o.url);
  const headers: Record<string, string> = {
    authorization: `Bearer ${o.key}`,
    'content-type': contentType,
    'content-length': String(total),
    ...(gzip ? { 'content-encoding': 'gzip' } : {}),
  };
  return new Promise<UploadAnswer>((resolve, reject) => {
    const req = (target.protocol === 'https:' ? https : http).request(target, { method: 'POST', headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        try {
          resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as UploadAnswer['body'] });
        } catch {
          reject(new Error(`HTTP ${res.statusCode}: ${text.slice(0, 300)}`));
        }
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    let sent = 0;
    const counter = new Transform({
      transform(chunk: Buffer, _enc, done) {
        sent += chunk.length;
        o.onProgress?.(sent, total);
        done(null, chunk);
      },
    });
    // An early answer (413, 401…) ends the request: the rest of the file is not sent.
    pipeline(createReadStream(o.path), counter, req).catch(() => undefined);
  });
}
