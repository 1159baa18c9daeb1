import { Writable } from 'node:stream';
import { SegmentedFlowCopy } from '../../services/ingestion/segments';
import type { UploadStaging } from '../../datasources/uploads';

/**
 * services/ingestion/segments.ts: flows staged by COPY and applied every `segmentRows` rows while
 * the rest arrives — each row staged once, in order; at most one segment waiting while one is
 * applied; a failed segment fails the upload. The staging here is a fake that records what it gets.
 */
class FakeStaging {
  copies: string[] = [];
  applied: { afterRow: number; stagedSoFar: string }[] = [];
  pending: { resolve: () => void; reject: (e: Error) => void }[] = [];
  lastRow = 0;
  autoApply = true;

  copyIn(): Writable & { rowCount: number } {
    let text = '';
    const copy = new Writable({
      write: (chunk: Buffer, _e, done) => {
        text += chunk.toString();
        done();
      },
      final: (done) => {
        this.copies.push(text);
        done();
      },
    });
    return Object.assign(copy, { rowCount: 0 });
  }

  applyFlowSegment(_operator: string, afterRow: number): Promise<{ lastRow: number; applied: number; replaced: number; conflicts: number }> {
    this.applied.push({ afterRow, stagedSoFar: this.copies.join('') });
    const rows = this.copies.join('').split('\n').filter(Boolean).map((l) => Number(l.split('\t')[0]));
    const mine = rows.filter((r) => r > afterRow);
    const result = { lastRow: Math.max(afterRow, ...mine), applied: mine.length, replaced: 0, conflicts: 0 };
    if (this.autoApply) return Promise.resolve(result);
    return new Promise((resolve, reject) => this.pending.push({ resolve: () => resolve(result), reject }));
  }
}

/** `n` COPY rows numbered from `from`, as one chunk. */
const chunk = (from: number, n: number) => Array.from({ length: n }, (_, i) => `${from + i}\t2020-03-01\t110101\t420106\t1\tRAIL\n`).join('');

function sink(staging: FakeStaging, segmentRows: number, shouldApply = () => true) {
  return new SegmentedFlowCopy({ staging: staging as unknown as UploadStaging, operator: 'op', segmentRows, shouldApply });
}

const write = (s: Writable, text: string) => new Promise<void>((resolve, reject) => s.write(text, (err) => (err ? reject(err) : resolve())));
const end = (s: Writable) => new Promise<void>((resolve, reject) => {
  s.once('error', reject);
  s.end(() => resolve());
});

describe('flows applied in segments', () => {
  it('applies each segment once it is staged, while later rows still arrive, and every row once and in order', async () => {
    const staging = new FakeStaging();
    const s = sink(staging, 10);
    await write(s, chunk(1, 6));
    expect(staging.applied).toHaveLength(0); // 6 < 10: still in the first segment
    await write(s, chunk(7, 6));
    await new Promise((r) => setImmediate(r));
    expect(staging.applied).toEqual([{ afterRow: 0, stagedSoFar: chunk(1, 12) }]); // applied before the file's end
    await write(s, chunk(13, 15));
    await end(s);
    expect(staging.copies.join('')).toBe(chunk(1, 27));
    expect(staging.applied.map((a) => a.afterRow)).toEqual([0, 12]); // the end found nothing left to apply
    expect(s.totals).toEqual({ applied: 27, replaced: 0, conflicts: 0 });
  });

  it('while a segment is applied, takes one more segment of rows, then holds the writer until the insert is done', async () => {
    const staging = new FakeStaging();
    staging.autoApply = false;
    const s = sink(staging, 10);
    await write(s, chunk(1, 10)); // a whole segment: applying starts
    expect(staging.pending).toHaveLength(1);
    await write(s, chunk(11, 5)); // waits in memory, the writer goes on
    let held = true;
    const third = write(s, chunk(16, 5)).then(() => (held = false)); // a segment's worth waiting: held
    await new Promise((r) => setTimeout(r, 20));
    expect(held).toBe(true);
    expect(staging.copies).toHaveLength(1);
    staging.pending.shift()!.resolve();
    await third;
    expect(staging.copies.join('')).toBe(chunk(1, 20)); // the waiting rows went on to the COPY after the insert
    const ended = end(s);
    await new Promise((r) => setTimeout(r, 20));
    while (staging.pending.length > 0) {
      staging.pending.shift()!.resolve();
      await new Promise((r) => setTimeout(r, 5));
    }
    await ended;
    expect(s.totals.applied).toBe(20);
  });

  it('a segment that fails fails the upload', async () => {
    const staging = new FakeStaging();
    staging.autoApply = false;
    const s = sink(staging, 5);
    s.on('error', () => undefined);
    await write(s, chunk(1, 5));
    staging.pending.shift()!.reject(new Error('deadlock detected'));
    await new Promise((r) => setImmediate(r));
    await expect(write(s, chunk(6, 5))).rejects.toThrow('deadlock detected');
  });

  it('once the upload cannot succeed, rows are still staged (for the report) but no segment is applied', async () => {
    const staging = new FakeStaging();
    const s = sink(staging, 5, () => false);
    await write(s, chunk(1, 12));
    await end(s);
    expect(staging.applied).toHaveLength(0);
    expect(staging.copies.join('')).toBe(chunk(1, 12));
  });
});
