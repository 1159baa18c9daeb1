import { once } from 'node:events';
import { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import type { UploadStaging } from '../../datasources/uploads';

/** What the segments of a flows upload applied, summed. */
export interface FlowsApplied {
  applied: number;
  replaced: number;
  /** Rows left out because an earlier row of the file has their key (date, origin, destination, mode). */
  conflicts: number;
}

export interface SegmentOptions {
  staging: UploadStaging;
  operator: string;
  /** Rows per segment (INGEST_SEGMENT_ROWS). */
  segmentRows: number;
  /** False once the upload can no longer succeed (a bad or repeated row in an all-or-nothing upload): rows are still staged, not applied. */
  shouldApply: () => boolean;
}

/**
 * The end of a flows upload's pipeline (docs/ingestion.md, "Answers and jobs": how each kind is applied): COPY text
 * into the staging table, applied to mobility.flows every `segmentRows` rows while the next
 * segment is still being received, parsed and checked. Reading a file (Node) and inserting it
 * (PostgreSQL) then use a core each, one beside the other, instead of one after the other: a
 * million rows took 18.5 s to stage and then 22.3 s to insert (docs/benchmarks.md).
 *
 * One connection does both, in turn: while a segment is being applied, the text of the next one
 * waits here — at most one segment's worth, then the pipeline is held (and with it the request
 * body) until the insert is done. Everything runs in the upload's one transaction, so a later bad
 * row still leaves the data as it was.
 */
export class SegmentedFlowCopy extends Writable {
  readonly totals: FlowsApplied = { applied: 0, replaced: 0, conflicts: 0 };
  private copy: (Writable & { rowCount: number }) | null = null;
  private rowsInCopy = 0;
  /** Rows staged since the last segment began to be applied. */
  private unapplied = 0;
  private lastApplied = 0;
  private applying: Promise<void> | null = null;
  private failure: unknown = null;
  private waiting: (Buffer | string)[] = [];
  private waitingRows = 0;

  constructor(private readonly o: SegmentOptions) {
    super({ decodeStrings: false });
  }

  override _write(chunk: Buffer | string, _enc: BufferEncoding, done: (err?: Error | null) => void): void {
    this.write_(chunk).then(() => done(), done);
  }

  override _final(done: (err?: Error | null) => void): void {
    this.final_().then(() => done(), done);
  }

  override _destroy(err: Error | null, done: (err?: Error | null) => void): void {
    this.copy?.destroy();
    done(err);
  }

  private async write_(text: Buffer | string): Promise<void> {
    this.check();
    const rows = countLines(text);
    if (!this.applying) return this.send(text, rows);
    this.waiting.push(text);
    this.waitingRows += rows;
    // the parser may run one segment ahead of the insert, no more
    if (this.waitingRows < this.o.segmentRows) return;
    await this.applying;
    this.check();
    await this.send(null, 0);
  }

  /** Sends what waited, then `text`, to the COPY; past a segment's rows, ends it and starts applying it. */
  private async send(text: Buffer | string | null, rows: number): Promise<void> {
    const parts = text === null ? this.waiting : [...this.waiting, text];
    this.rowsInCopy += this.waitingRows + rows;
    this.unapplied += this.waitingRows + rows;
    this.waiting = [];
    this.waitingRows = 0;
    this.copy ??= this.o.staging.copyIn();
    // once() rejects if the COPY fails meanwhile
    for (const part of parts) if (!this.copy.write(part)) await once(this.copy, 'drain');
    if (this.rowsInCopy >= this.o.segmentRows) {
      await this.endCopy();
      if (this.o.shouldApply()) this.applying = this.apply().finally(() => (this.applying = null));
    }
  }

  private async final_(): Promise<void> {
    if (this.applying) await this.applying;
    this.check();
    if (this.waiting.length > 0) await this.send(null, 0);
    if (this.applying) await this.applying;
    this.check();
    await this.endCopy();
    if (this.unapplied > 0 && this.o.shouldApply()) await this.apply();
    this.check();
  }

  private async endCopy(): Promise<void> {
    const copy = this.copy;
    if (!copy) return;
    this.copy = null;
    this.rowsInCopy = 0;
    copy.end();
    await finished(copy);
  }

  /** Applies every staged row after the last applied one; a failure is kept and fails the next write (or the end). */
  private async apply(): Promise<void> {
    this.unapplied = 0;
    try {
      const r = await this.o.staging.applyFlowSegment(this.o.operator, this.lastApplied);
      this.lastApplied = r.lastRow;
      this.totals.applied += r.applied;
      this.totals.replaced += r.replaced;
      this.totals.conflicts += r.conflicts;
    } catch (err) {
      this.failure ??= err;
    }
  }

  private check(): void {
    if (this.failure) throw this.failure;
  }
}

/** Rows in COPY text: one per newline (COPY escapes a newline inside a field). */
function countLines(text: Buffer | string): number {
  let n = 0;
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) n++;
  return n;
}
