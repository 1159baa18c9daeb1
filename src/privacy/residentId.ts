/**
 * Resident identity numbers (居民身份证号码, GB 11643-1999): 17 digits and an ISO 7064 MOD 11-2
 * check character (0-9 or X).
 *
 *   positions 1-6   address code (the administrative division where the number was issued)
 *   positions 7-14  birth date YYYYMMDD
 *   positions 15-17 sequence (odd for men, even for women)
 *   position  18    check character
 */

/** Weights W_i = 2^(17-i) mod 11 for positions 1..17 (ISO 7064 MOD 11-2). */
const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2] as const;
/** Check character for each value of (Σ a_i·W_i) mod 11. */
const CHECK_CHARS = ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'] as const;

/** The check character for the first 17 digits of an ID number. */
export function residentIdCheckChar(first17: string): string {
  if (!/^[0-9]{17}$/.test(first17)) {
    throw new Error(`residentIdCheckChar expects 17 digits, got ${first17.length} characters`);
  }
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += (first17.charCodeAt(i) - 48) * WEIGHTS[i];
  return CHECK_CHARS[sum % 11];
}
