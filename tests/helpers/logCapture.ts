import { Writable } from 'node:stream';

/** A pino destination that keeps every line in memory, for tests that read the logs. */
export class LogCapture extends Writable {
  private readonly chunks: string[] = [];

  override _write(chunk: Buffer | string, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.chunks.push(chunk.toString());
    callback();
  }

  /** Everything written so far, as one string. */
  text(): string {
    return this.chunks.join('');
  }

  /** Every line parsed as JSON (pino writes one object per line). */
  lines(): Record<string, any>[] {
    return this.text()
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l) as Record<string, any>);
  }
}
