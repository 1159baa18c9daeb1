import { Transform, type TransformCallback } from 'node:stream';
import { hashIdNumber } from '../../src/privacy/idHash';
import { byteaText, copyField } from '../../src/seed/copy';
import type { IngestKind } from '../../datasources/uploads';
import { COLUMNS, readFlow, readStay, type IngestRules, type RowProblem } from './rows';
import { IngestRefusal, type ErrorReport, type UploadRecord } from './stream';

/** COPY text is sent in chunks of about this many characters. */
const CHUNK_CHARS = 1 << 16;

export interface EncoderOptions {
  kind: IngestKind;
  rules: IngestRules;
  report: ErrorReport;
  /** Keep going past bad rows (they are left out); otherwise the first bad row stops the COPY (the rest is still checked, for the report). */
  partial: boolean;
  maxRows: number;
  idHashSecret: string;
  /** Called about every 64 kB of rows with the rows read so far. */
  onProgress?: (rows: number) => void;
}

/**
 * Checks each record (services/ingestion/rows.ts) and turns the good ones into COPY text rows of
 * the staging table (datasources/uploads.ts), numbered by data row. Stays leave as the HMAC of the
 * ID number: the number itself never reaches the database. Bad rows go to the report; once one is
 * seen in an all-or-nothing upload nothing more is sent to PostgreSQL, but the rest of the file is
 * still read and checked, so that the report counts every problem.
 */
export class RowEncoder extends Transform {
  rows = 0;
  /** Rows sent on as COPY text (checked good, and sent while the upload still could succeed). */
  sent = 0;
  private chunk = '';
  private readonly columns: ReadonlySet<string>;

  constructor(private readonly o: EncoderOptions) {
    super({ writableObjectMode: true });
    this.columns = new Set(COLUMNS[o.kind === 'FLOWS' ? 'flows' : 'stays']);
  }

  override _transform(record: UploadRecord, _enc: BufferEncoding, done: TransformCallback): void {
    const row = ++this.rows;
    if (row > this.o.maxRows) {
      done(new IngestRefusal(413, `The upload has more than ${this.o.maxRows.toLocaleString('en-US')} rows (INGEST_MAX_ROWS); split it into several files, e.g. one per day.`));
      return;
    }
    if ('unreadable' in record) {
      this.o.report.add({ row, column: null, message: `Line ${record.line} ${record.unreadable}` });
    } else {
      const fieldProblems = this.fieldProblems(record.fields);
      const sending = fieldProblems.length === 0 && (this.o.partial || this.o.report.count === 0);
      const problems = [...fieldProblems, ...this.encode(row, record.fields, sending)];
      for (const p of problems) this.o.report.add({ row, column: p.column, message: p.message });
    }
    if (this.chunk.length >= CHUNK_CHARS) {
      this.o.onProgress?.(this.rows);
      const out = this.chunk;
      this.chunk = '';
      done(null, out);
      return;
    }
    done();
  }

  override _flush(done: TransformCallback): void {
    this.o.onProgress?.(this.rows);
    done(null, this.chunk.length > 0 ? this.chunk : undefined);
  }

  /** NDJSON objects may hold keys of another upload kind, or miss some: a CSV header is checked once instead. */
  private fieldProblems(fields: Record<string, unknown>): RowProblem[] {
    const problems: RowProblem[] = [];
    for (const key of Object.keys(fields)) {
      if (!this.columns.has(key)) problems.push({ column: key.slice(0, 40), message: `is not a field of this upload; the fields are ${[...this.columns].join(', ')}.` });
    }
    for (const column of this.columns) if (!(column in fields)) problems.push({ column, message: 'is missing.' });
    return problems;
  }

  /** Checks one row; appends its COPY text when it is good and the upload still sends rows. */
  private encode(row: number, fields: Record<string, unknown>, sending: boolean): RowProblem[] {
    if (this.o.kind === 'FLOWS') {
      const { flow, problems } = readFlow(this.o.rules, fields);
      if (problems.length === 0 && sending) {
        this.sent++;
        this.chunk += `${row}\t${flow.date}\t${flow.origin}\t${flow.destination}\t${flow.trips}\t${flow.mode}\n`;
      }
      return problems;
    }
    const { stay, problems } = readStay(this.o.rules, fields);
    if (problems.length === 0 && sending) {
      this.sent++;
      const idNumber = stay.idNumber.toUpperCase();
      const hash = byteaText(hashIdNumber(idNumber, this.o.idHashSecret));
      this.chunk +=
        `${row}\t${copyField(hash)}\t${copyField(stay.name.trim())}\t${idNumber.slice(0, 6)}\t${stay.county}\t` +
        `${new Date(stay.arrivedMs).toISOString()}\t${new Date(stay.leftMs).toISOString()}\t${stay.source}\n`;
    }
    return problems;
  }
}
