import { LRUCache } from 'lru-cache';

/** The bounds of a segmented LRU: entries and bytes in all. */
export interface SegmentedLruLimits {
  maxEntries: number;
  /** Bytes in all; an entry over a sixteenth of it is not kept at all. */
  maxBytes: number;
}

/**
 * A segmented LRU: a new entry goes to a probation segment; an entry asked for again there moves to
 * the protected segment (at most three quarters of the bytes and entries), where it stays while it is
 * asked for. When the whole is over `maxBytes` or `maxEntries`, probation's least recently used entries
 * go first, protected ones only when probation is empty. So answers asked for once — what a caller
 * varying its variables makes, one per request — fill what is free and push each other out, but
 * cannot evict the national map or a drill-down that dashboards ask for every few seconds (issue 15,
 * item 8: under the attack bench the maps were computed again, and shed). An entry larger than a
 * sixteenth of `maxBytes` is not kept at all, so that one answer cannot empty the cache.
 *
 * Used by the response cache of `npm start` (src/cache/responseCache.ts) and of the gateway.
 */
export class SegmentedLru<V extends {}> {
  private readonly probation: LRUCache<string, V>;
  private readonly protectedEntries: LRUCache<string, V>;

  constructor(
    private readonly limits: SegmentedLruLimits,
    /** Memory an entry holds, in bytes (what `maxBytes` bounds). */
    sizeOf: (value: V) => number,
  ) {
    const segment = (share: number) =>
      new LRUCache<string, V>({
        max: Math.max(1, Math.floor(limits.maxEntries * share)),
        maxSize: Math.max(1, Math.floor(limits.maxBytes * share)),
        maxEntrySize: Math.floor(limits.maxBytes / 16),
        sizeCalculation: sizeOf,
      });
    this.probation = segment(1);
    this.protectedEntries = segment(0.75);
  }

  get(key: string): V | undefined {
    const kept = this.protectedEntries.get(key);
    if (kept !== undefined) return kept;
    const once = this.probation.get(key);
    if (once !== undefined) {
      this.probation.delete(key);
      this.protectedEntries.set(key, once);
      this.trim();
    }
    return once;
  }

  /** The entry under `key`, if any, without counting as a use (no promotion, no recency). */
  peek(key: string): V | undefined {
    return this.protectedEntries.peek(key) ?? this.probation.peek(key);
  }

  set(key: string, value: V): void {
    if (this.protectedEntries.has(key)) this.protectedEntries.set(key, value);
    else this.probation.set(key, value);
    this.trim();
  }

  /**
   * Puts a new value (a grown one: its size is counted again) in place of the entry under `key`, in
   * the segment it is in; nothing when the entry has gone meanwhile, so a late update never brings
   * an evicted entry back.
   */
  replace(key: string, value: V): void {
    if (this.protectedEntries.has(key)) this.protectedEntries.set(key, value);
    else if (this.probation.has(key)) this.probation.set(key, value);
    else return;
    this.trim();
  }

  get calculatedSize(): number {
    return this.probation.calculatedSize + this.protectedEntries.calculatedSize;
  }

  get size(): number {
    return this.probation.size + this.protectedEntries.size;
  }

  /** Back within the bounds of the whole: probation's oldest first. */
  private trim(): void {
    while (this.calculatedSize > this.limits.maxBytes || this.size > this.limits.maxEntries) {
      if (this.probation.size > 0) this.probation.pop();
      else if (this.protectedEntries.size > 0) this.protectedEntries.pop();
      else return;
    }
  }
}
