import { StringDecoder } from 'node:string_decoder';
import { Transform, type TransformCallback } from 'node:stream';
import { parse as csvParser } from 'csv-parse';
import type { IngestError, IngestFormat } from '../../datasources/uploads';

/**
 * The streaming parts of an upload (docs/ingestion.md): byte limits, CSV and NDJSON records, the
 * error report. Everything here holds at most one chunk, one record and the report, so the
 * server's memory stays flat whatever the file's size.
 */

/** A refusal of the file as a whole: the HTTP status it is answered with, and why. */
export class IngestRefusal extends Error {
  override name = 'IngestRefusal';
  constructor(
    readonly status: 400 | 408 | 413 | 415 | 422,
    message: string,
    /** REJECTED: the file is at fault; FAILED: the transfer is (slow, cut). */
    readonly outcome: 'REJECTED' | 'FAILED' = 'REJECTED',
  ) {
    super(message);
  }
}

/** The first `limit` problems of an upload and how many there were in all. */
export class ErrorReport {
  readonly first: IngestError[] = [];
  count = 0;
  constructor(private readonly limit: number) {}

  add(error: IngestError): void {
    this.count++;
    if (this.first.length < this.limit) this.first.push(error);
  }
}

const MB = 1024 * 1024;
const inMb = (bytes: number) => `${Math.round((bytes / MB) * 10) / 10} MB`;

/**
 * Passes bytes through and counts them; past `maxBytes` it fails with 413. `what` names what is
 * counted ("the upload", "the upload once decompressed") for the message.
 */
export class ByteCounter extends Transform {
  bytes = 0;
  constructor(
    private readonly maxBytes: number,
    private readonly what: string,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.bytes > this.maxBytes) {
      done(new IngestRefusal(413, `${this.what} is larger than ${inMb(this.maxBytes)} (INGEST_MAX_BYTES); split it into several files, e.g. one per day.`));
      return;
    }
    done(null, chunk);
  }
}

/** NDJSON: one JSON object per line (LF or CRLF; a BOM at the start is ignored; blank lines are skipped). */
export class NdjsonLines extends Transform {
  private readonly decoder = new StringDecoder('utf8');
  private rest = '';
  private line = 0;

  constructor(private readonly maxLineChars: number) {
    super({ readableObjectMode: true });
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.split(this.rest + this.decoder.write(chunk), false, done);
  }

  override _flush(done: TransformCallback): void {
    this.split(this.rest + this.decoder.end(), true, done);
  }

  private split(text: string, last: boolean, done: TransformCallback): void {
    let start = 0;
    for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', start)) {
      this.emit_(text.slice(start, nl));
      start = nl + 1;
    }
    this.rest = text.slice(start);
    if (last && this.rest.length > 0) {
      this.emit_(this.rest);
      this.rest = '';
    }
    if (this.rest.length > this.maxLineChars) {
      done(new IngestRefusal(400, `line ${this.line + 1} is longer than ${this.maxLineChars} characters: is this NDJSON (one object per line)?`));
      return;
    }
    done();
  }

  private emit_(raw: string): void {
    this.line++;
    let line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (this.line === 1 && line.charCodeAt(0) === 0xfeff) line = line.slice(1);
    if (line.trim().length === 0) return;
    this.push({ line: this.line, text: line });
  }
}

/** A CSV parser for uploads: a BOM is dropped, LF or CRLF, empty lines skipped, short or long rows reported per row. */
export function csvRecords(maxRecordChars: number): Transform {
  return csvParser({
    bom: true,
    relax_column_count: true,
    skip_empty_lines: true,
    max_record_size: maxRecordChars,
    info: true,
  });
}

/** A record as the encoder receives it: its physical line and its fields by column name, or why it could not be read. */
export type UploadRecord = { line: number; fields: Record<string, unknown> } | { line: number; unreadable: string };

/** Media types accepted for each format; `; charset=utf-8` is allowed, any other charset is not. */
export function formatOf(contentType: string | undefined): IngestFormat | { error: string } {
  const [type, ...params] = (contentType ?? '').split(';').map((s) => s.trim().toLowerCase());
  const charset = params.find((p) => p.startsWith('charset='))?.slice('charset='.length).replace(/"/g, '');
  if (charset && charset !== 'utf-8' && charset !== 'utf8') return { error: `charset=${charset.slice(0, 20)} is not supported: send UTF-8.` };
  if (type === 'text/csv') return 'CSV';
  if (type === 'application/x-ndjson' || type === 'application/ndjson') return 'NDJSON';
  return { error: `Content-Type ${type ? `"${type.slice(0, 60)}"` : 'is missing: it'} must be text/csv or application/x-ndjson.` };
}

/**
 * Turns the parser's output into UploadRecords: for CSV, checks the header row (the first record)
 * against the kind's columns — every column once, none unknown, in any order — and maps each row
 * by it; for NDJSON, parses each line as a JSON object.
 */
export class RecordReader extends Transform {
  private header: string[] | null = null;

  constructor(
    private readonly format: IngestFormat,
    private readonly columns: readonly string[],
  ) {
    super({ objectMode: true });
  }

  override _transform(input: unknown, _enc: BufferEncoding, done: TransformCallback): void {
    if (this.format === 'NDJSON') {
      const { line, text } = input as { line: number; text: string };
      done(null, ndjsonRecord(line, text));
      return;
    }
    const { record, info } = input as { record: string[]; info: { lines: number } };
    if (this.header === null) {
      const problem = headerProblem(record, this.columns);
      if (problem) {
        done(new IngestRefusal(400, problem));
        return;
      }
      this.header = record.map((c) => c.trim());
      done();
      return;
    }
    if (record.length !== this.header.length) {
      done(null, { line: info.lines, unreadable: `has ${record.length} fields; the header has ${this.header.length}.` });
      return;
    }
    const fields: Record<string, string> = {};
    for (let i = 0; i < record.length; i++) fields[this.header[i]] = record[i];
    done(null, { line: info.lines, fields });
  }

  override _flush(done: TransformCallback): void {
    if (this.format === 'CSV' && this.header === null) done(new IngestRefusal(400, `The file is empty: a CSV upload starts with the header ${this.columns.join(',')}.`));
    else done();
  }
}

function ndjsonRecord(line: number, text: string): UploadRecord {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { line, unreadable: 'is not valid JSON.' };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { line, unreadable: 'is not a JSON object.' };
  return { line, fields: value as Record<string, unknown> };
}

/** Why a CSV header is not the kind's (null when it is). Names the first column at fault. */
export function headerProblem(header: readonly string[], columns: readonly string[]): string | null {
  const expected = `the header must name the columns ${columns.join(',')} (any order)`;
  const seen = new Set<string>();
  for (const [i, raw] of header.entries()) {
    const name = raw.trim();
    if (!columns.includes(name)) return `Wrong header: column ${i + 1} "${name.slice(0, 40)}" is not a column of this upload; ${expected}.`;
    if (seen.has(name)) return `Wrong header: column "${name}" is given twice; ${expected}.`;
    seen.add(name);
  }
  const missing = columns.filter((c) => !seen.has(c));
  return missing.length > 0 ? `Wrong header: missing ${missing.map((c) => `"${c}"`).join(', ')}; ${expected}.` : null;
}
