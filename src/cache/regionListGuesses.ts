import { LRUCache } from 'lru-cache';

/**
 * The county codes of the last answer of each big region list (its filter and page: its "shape"),
 * kept per app. A region list's look-ahead (resolvers/lookahead.ts) can then start loading the
 * nodes' case figures and verdicts for the counties the list will most likely hold, at the same time
 * as the list statement instead of after it: on the national map that statement and the decoding of
 * its 2,978 rows came first on the critical path, ahead of the 20 ms summary statement.
 *
 * A guess is only ever a set of loader keys: the answer is built from the list this request reads,
 * and any county the guess missed is loaded then, as without a guess. The counties are the same from
 * one request to the next unless the region list itself changed. Bounded: lists under
 * `GUESS_MIN_COUNTIES` counties (cheap anyway) are not kept, and at most `limit` shapes are, the
 * least recently used forgotten first (lru-cache), so a caller cycling through shapes only loses the
 * guesses, never memory.
 */
export class RegionListGuesses {
  private readonly byShape: LRUCache<string, readonly string[]>;

  constructor(limit = 16) {
    this.byShape = new LRUCache({ max: limit });
  }

  guess(shape: string): readonly string[] | undefined {
    return this.byShape.get(shape);
  }

  remember(shape: string, counties: readonly string[]): void {
    if (counties.length < GUESS_MIN_COUNTIES) this.byShape.delete(shape);
    else this.byShape.set(shape, counties);
  }
}

/** Lists with fewer counties are not guessed: their loads are probes that take a few milliseconds. */
export const GUESS_MIN_COUNTIES = 500;
