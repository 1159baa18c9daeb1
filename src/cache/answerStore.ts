import { SegmentedLru, type SegmentedLruLimits } from './segmentedLru';
import { compressForStorage, type Encoding } from '../http/compression';
import { entityTag } from '../http/conditional';

export type StoredEncoding = Exclude<Encoding, 'identity'>;

/**
 * One cached answer as it goes on the wire: the body's text, its entity tag, and the body compressed
 * once per coding (brotli at quality 11, gzip at level 9) the first time a client asks for that coding.
 * Immutable: a compressed variant makes a new entry (so the cache counts its bytes).
 */
export interface CachedAnswer {
  /** The answer's body as sent without a coding. */
  readonly body: string;
  /** Strong entity tag of `body` (src/http/conditional.ts), computed once. */
  readonly etag: string;
  readonly variants: Readonly<Partial<Record<StoredEncoding, Buffer>>>;
}

/** Memory held by a text, in bytes: V8 keeps text with Chinese characters as two-byte strings. */
export const textBytes = (text: string) => 2 * text.length;

const answerBytes = (answer: CachedAnswer) => textBytes(answer.body) + (answer.variants.br?.length ?? 0) + (answer.variants.gzip?.length ?? 0);

/**
 * Answers kept in this process, bounded by count and bytes — text and compressed variants together —
 * in a segmented LRU (src/cache/segmentedLru.ts). The response cache of `npm start` and the gateway's.
 */
export class AnswerStore {
  private readonly entries: SegmentedLru<CachedAnswer>;
  /** Compressions running, by coding and key: one per entry and coding, however many hits ask meanwhile. */
  private readonly pending = new Map<string, Promise<void>>();

  constructor(limits: SegmentedLruLimits) {
    this.entries = new SegmentedLru(limits, answerBytes);
  }

  get(key: string): CachedAnswer | undefined {
    return this.entries.get(key);
  }

  /** Keeps `body` under `key` (unless it is over a sixteenth of the bytes); returns the entry. */
  set(key: string, body: string): CachedAnswer {
    const answer: CachedAnswer = { body, etag: entityTag(body), variants: {} };
    this.entries.set(key, answer);
    return answer;
  }

  /**
   * The entry's body in `encoding`, if it has been compressed; else starts compressing it (once, on
   * the thread pool) and answers undefined, so that this request compresses its copy as it is sent
   * and later hits are served the stored bytes.
   */
  variant(key: string, answer: CachedAnswer, encoding: StoredEncoding): Buffer | undefined {
    const stored = answer.variants[encoding];
    if (stored) return stored;
    const job = `${encoding}:${key}`;
    if (!this.pending.has(job)) {
      const compressing = compressForStorage(encoding, Buffer.from(answer.body))
        .then((bytes) => {
          // the entry may have been evicted, or replaced by another coding's variant meanwhile
          const current = this.entries.peek(key);
          if (current && current.body === answer.body) this.entries.replace(key, { ...current, variants: { ...current.variants, [encoding]: bytes } });
        })
        .catch(() => undefined)
        .finally(() => this.pending.delete(job));
      this.pending.set(job, compressing);
    }
    return undefined;
  }

  /** Resolves once every compression started so far has finished (tests, bench). */
  async settled(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending.values()]);
  }

  /** Bytes held (text at 2 per character, variants as stored). */
  get calculatedSize(): number {
    return this.entries.calculatedSize;
  }

  /** Answers held. */
  get size(): number {
    return this.entries.size;
  }
}
