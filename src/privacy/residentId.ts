/**
 * Resident identity numbers (居民身份证号码, GB 11643-1999): 17 digits and an ISO 7064 MOD 11-2
 * check character (0-9 or X).
 *
 *   positions 1-6   address code (the administrative division where the number was issued)
 *   positions 7-14  birth date YYYYMMDD
 *   positions 15-17 sequence (odd for men, even for women)
 *   position  18    check character
 */

import { todayCst } from '../clock';
import { isIsoDate } from '../risk/dates';

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

/** The rule an ID number failed, in the order they are checked. */
export type ResidentIdRule = 'LENGTH' | 'CHARACTERS' | 'REGION_PREFIX' | 'BIRTH_DATE' | 'CHECK_DIGIT';

export type ResidentIdCheck =
  | {
      ok: true;
      /** Trimmed, with a lower-case x check character upper-cased: the form that is hashed and compared. */
      idNumber: string;
      /** 'YYYY-MM-DD', from positions 7-14. */
      birthDate: string;
      /** Positions 1-6: the address code where the number was issued. */
      regionPrefix: string;
    }
  | { ok: false; rule: ResidentIdRule; message: string };

/**
 * First two digits of every provincial-level division in GB/T 2260, including 71 (Taiwan),
 * 81 (Hong Kong) and 82 (Macau).
 */
const PROVINCE_CODES: ReadonlySet<string> = new Set([
  ...['11', '12', '13', '14', '15', '21', '22', '23', '31', '32', '33', '34', '35', '36', '37'],
  ...['41', '42', '43', '44', '45', '46', '50', '51', '52', '53', '54', '61', '62', '63', '64', '65'],
  ...['71', '81', '82'],
]);

const EARLIEST_BIRTH_DATE = '1900-01-01';

/*
 * Messages go to the person who typed the number. They say which part is wrong and what a valid
 * number looks like, but never echo the number or any part of it, nor the expected check
 * character: an error must neither leak personal data into logs nor serve as an oracle for
 * forging numbers that pass.
 */
const MESSAGES = {
  CHARACTERS: 'A resident ID number is 17 digits followed by a digit or the letter X; it contains other characters.',
  REGION_PREFIX:
    'The address code (first 6 digits) of the resident ID number is not a valid region: it must start with a province-level code and name a city or county within it.',
  BIRTH_DATE_INVALID: 'The birth date (digits 7-14, YYYYMMDD) of the resident ID number is not a real calendar date.',
  BIRTH_DATE_FUTURE: 'The birth date (digits 7-14) of the resident ID number is in the future.',
  BIRTH_DATE_TOO_EARLY: `The birth date (digits 7-14) of the resident ID number is before ${EARLIEST_BIRTH_DATE}.`,
  CHECK_DIGIT:
    'The check character (18th) of the resident ID number does not match the first 17 digits (GB 11643-1999, ISO 7064 MOD 11-2); please re-check the number.',
} as const;

function fail(rule: ResidentIdRule, message: string): ResidentIdCheck {
  return { ok: false, rule, message };
}

/**
 * Validates a resident ID number (GB 11643-1999) and reports the first rule it breaks.
 * `today` ('YYYY-MM-DD', default today in China Standard Time) bounds the birth date.
 */
export function checkResidentId(input: string, today: string = todayCst()): ResidentIdCheck {
  if (!isIsoDate(today)) {
    throw new Error(`checkResidentId expects today as a 'YYYY-MM-DD' calendar date, got ${JSON.stringify(today)}`);
  }
  const trimmed = input.trim();
  // Counted in code points so that the count we report is what the person sees.
  const length = Array.from(trimmed).length;
  if (length !== 18) {
    return fail('LENGTH', `A resident ID number has 18 characters; this one has ${length}.`);
  }
  if (!/^[0-9]{17}[0-9Xx]$/.test(trimmed)) return fail('CHARACTERS', MESSAGES.CHARACTERS);

  const idNumber = trimmed.toUpperCase();
  const regionPrefix = idNumber.slice(0, 6);
  if (!PROVINCE_CODES.has(regionPrefix.slice(0, 2)) || regionPrefix.slice(2) === '0000') {
    return fail('REGION_PREFIX', MESSAGES.REGION_PREFIX);
  }

  const birthDate = `${idNumber.slice(6, 10)}-${idNumber.slice(10, 12)}-${idNumber.slice(12, 14)}`;
  // 'YYYY-MM-DD' strings compare in date order.
  if (!isIsoDate(birthDate)) return fail('BIRTH_DATE', MESSAGES.BIRTH_DATE_INVALID);
  if (birthDate > today) return fail('BIRTH_DATE', MESSAGES.BIRTH_DATE_FUTURE);
  if (birthDate < EARLIEST_BIRTH_DATE) return fail('BIRTH_DATE', MESSAGES.BIRTH_DATE_TOO_EARLY);

  if (residentIdCheckChar(idNumber.slice(0, 17)) !== idNumber[17]) {
    return fail('CHECK_DIGIT', MESSAGES.CHECK_DIGIT);
  }
  return { ok: true, idNumber, birthDate, regionPrefix };
}
