import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';

export type CopyValue = string | number | null;

/** A field in COPY's text format: \N for null, backslash escapes for the characters COPY reserves. */
export function copyField(value: CopyValue): string {
  if (value === null) return '\\N';
  if (typeof value === 'number') return String(value);
  return value.replace(/[\\\t\n\r]/g, (ch) => (ch === '\\' ? '\\\\' : ch === '\t' ? '\\t' : ch === '\n' ? '\\n' : '\\r'));
}

/** A bytea value as text input ('\\x' + hex); `copyField` escapes its backslash for COPY. */
export function byteaText(bytes: Buffer): string {
  return `\\x${bytes.toString('hex')}`;
}

const CHUNK_CHARS = 1 << 16;

/**
 * Streams rows into `COPY table (columns) FROM STDIN` on the client's current transaction. Rows
 * are pulled lazily and sent in chunks of about 64 kB, so millions of rows never sit in memory
 * and PostgreSQL's pace sets the generator's. Returns the number of rows copied.
 */
export async function copyRows<T>(
  client: pg.PoolClient,
  table: string,
  columns: readonly string[],
  rows: Iterable<T>,
  toValues: (row: T) => readonly CopyValue[],
  onRows?: (copied: number) => void,
): Promise<number> {
  const stream = client.query(copyFrom(`COPY ${table} (${columns.join(', ')}) FROM STDIN`));
  function* chunks(): Generator<string> {
    let chunk = '';
    let count = 0;
    for (const row of rows) {
      const values = toValues(row);
      for (let i = 0; i < values.length; i++) chunk += (i === 0 ? '' : '\t') + copyField(values[i]);
      chunk += '\n';
      count++;
      if (chunk.length >= CHUNK_CHARS) {
        yield chunk;
        chunk = '';
        onRows?.(count);
      }
    }
    if (chunk.length > 0) yield chunk;
    onRows?.(count);
  }
  await pipeline(Readable.from(chunks()), stream);
  return stream.rowCount;
}
