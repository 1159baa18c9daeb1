import { isIsoDate } from './dates';

/**
 * Input checks for the risk functions. Their inputs come from our own datasources, so a bad value
 * is a bug to surface at once (a thrown Error saying what was expected and what came), not a user
 * error to explain: a risk level computed from nonsense would look just as credible as a real one.
 */

/** Renders a received value so that '', NaN, null and '2026-1-1' stay distinguishable in messages. */
function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || value === null || value === undefined) return String(value);
  return `a value of type ${typeof value}`;
}

export function fail(where: string, expected: string, got: unknown): never {
  throw new Error(`${where}: expected ${expected}, got ${show(got)}`);
}

export function expectIsoDate(where: string, value: unknown): asserts value is string {
  if (!isIsoDate(value)) fail(where, "a 'YYYY-MM-DD' calendar date", value);
}

/** A count of people or events: a whole number ≥ 0. */
export function expectCount(where: string, value: unknown): asserts value is number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    fail(where, 'a whole number ≥ 0', value);
  }
}

/**
 * A quantity ≥ 0 that may be fractional (carriers scale sampled trips up). Capping it at
 * MAX_SAFE_INTEGER (~9·10^15, over a million times the world's population) keeps every sum
 * of such values finite, so no Infinity − Infinity or Infinity / Infinity can produce NaN.
 */
export function expectAmount(where: string, value: unknown): asserts value is number {
  if (typeof value !== 'number' || !(value >= 0 && value <= Number.MAX_SAFE_INTEGER)) {
    fail(where, `a finite number between 0 and ${Number.MAX_SAFE_INTEGER}`, value);
  }
}
