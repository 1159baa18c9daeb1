/**
 * Validity of a region code (pure): GB/T 2260 codes are added and retired over the years, and a
 * row carries the days it was in force (`validFrom` … `validTo`, both inclusive; `validTo` null
 * while in force).
 */
export interface Validity {
  validFrom: string;
  validTo: string | null;
}

/** True when the unit was in force on `day` ('YYYY-MM-DD'). */
export function inForce(v: Validity, day: string): boolean {
  return v.validFrom <= day && (v.validTo == null || v.validTo >= day);
}
