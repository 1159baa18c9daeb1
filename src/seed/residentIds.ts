import { residentIdCheckChar } from '../privacy/residentId';
import { fromEpochDay, toEpochDay } from './dates';
import type { Prng } from './prng';

/** Ages of simulated ID holders: 1 to 90 years. */
const YOUNGEST_DAYS = 365;
const AGE_SPAN_DAYS = 89 * 365;

/**
 * Issues distinct, valid resident ID numbers (GB 11643-1999) for simulated persons, born 1–90
 * years before `asOf`. Numbers in `reserved` (the demo people's, and the one that must belong to
 * nobody) are never issued.
 */
export class ResidentIdIssuer {
  private readonly issued: Set<string>;
  /** YYYYMMDD of every possible birth day, formatted once instead of once per person. */
  private readonly birthDates: string[];

  constructor(asOf: string, reserved: Iterable<string>) {
    this.issued = new Set(reserved);
    const latest = toEpochDay(asOf) - YOUNGEST_DAYS;
    this.birthDates = Array.from({ length: AGE_SPAN_DAYS + 1 }, (_, i) => fromEpochDay(latest - i).replaceAll('-', ''));
  }

  /** An ID number registered in `addressCode`: birth date, a 3-digit sequence (odd for men) and the MOD 11-2 check character. */
  issue(addressCode: string, rng: Prng): string {
    for (;;) {
      const sequence = String(rng.int(0, 999)).padStart(3, '0');
      const first17 = addressCode + this.birthDates[rng.int(0, AGE_SPAN_DAYS)] + sequence;
      const idNumber = first17 + residentIdCheckChar(first17);
      if (this.issued.has(idNumber)) continue; // collisions are rare; draw again
      this.issued.add(idNumber);
      return idNumber;
    }
  }
}
