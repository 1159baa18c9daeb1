import type { RiskLevel } from '../risk';

/**
 * County risk levels by day, shared by every request of the process and keyed by the case data
 * version (`cases.data_version`), which every write to daily reports or clusters bumps (in the
 * writing transaction, by the tables' statement triggers: the API's ingestion, the seed and writes
 * from outside the API alike). A pass check reads the version in the same statement as the person's facts, so a level
 * from here is exactly the level its own SQL would compute: the cache saves the statement, never
 * correctness. When the version moves on, everything cached under the old one is dropped.
 *
 * Levels depend only on aggregate data (no personal data is kept here). The size is bounded by
 * the counties × days that stays touch, at most about 3,000 × 14 per version, and by `maxEntries`.
 */
export class CountyLevelCache {
  private version: string | null = null;
  private levels = new Map<string, RiskLevel>();

  constructor(private readonly maxEntries = 100_000) {}

  /** The cached level of `code` on `day` under `version`, if any. */
  get(version: string, code: string, day: string): RiskLevel | undefined {
    return version === this.version ? this.levels.get(key(code, day)) : undefined;
  }

  /** Stores levels computed from data of `version`; a newer version replaces the whole cache. */
  set(version: string, entries: Iterable<{ code: string; day: string; level: RiskLevel }>): void {
    if (version !== this.version) {
      // Versions only grow; levels computed under an older one must not overwrite newer ones.
      if (this.version != null && BigInt(version) < BigInt(this.version)) return;
      this.version = version;
      this.levels = new Map();
    }
    for (const e of entries) {
      if (this.levels.size >= this.maxEntries) this.levels.clear();
      this.levels.set(key(e.code, e.day), e.level);
    }
  }

  /** Entries held now (metrics and tests). */
  get size(): number {
    return this.levels.size;
  }
}

const key = (code: string, day: string) => `${code}|${day}`;
