/**
 * Calendar dates as 'YYYY-MM-DD' strings, with arithmetic in UTC milliseconds only. Local-time
 * Date methods would move a date by a day around midnight or a DST change depending on the
 * server's TZ; in UTC every day is exactly 86,400,000 ms, so the results never drift.
 * Such strings also sort lexicographically in date order, which callers may rely on.
 */

const MS_PER_DAY = 86_400_000;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;

/**
 * A memo of results by key, cleared whenever it reaches `limit` entries. Date work over the 2,978
 * counties of a national answer asks the same few questions thousands of times, so the keys in use
 * are few; the limit only bounds memory if they ever are not.
 */
function boundedMemo<V>(limit: number): (key: string, compute: () => V) => V {
  const memo = new Map<string, V>();
  return (key, compute) => {
    const known = memo.get(key);
    if (known !== undefined) return known;
    const value = compute();
    if (memo.size >= limit) memo.clear();
    memo.set(key, value);
    return value;
  };
}

/**
 * Parsed dates: the risk rule checks a few dates of each county from a few hundred distinct ones;
 * parsing each (a regular expression, Date.parse, a round trip through toISOString) was ≈ 3 % of
 * the uncached map's CPU.
 */
const parsedDates = boundedMemo<number | null>(10_000);

/** Milliseconds since the epoch at 00:00 UTC of `value`, or null if it is not a real calendar date. */
function toUtcMs(value: string): number | null {
  // only 'YYYY-MM-DD'-long strings are kept: a caller's long string is refused without being stored
  if (value.length !== 10) return null;
  return parsedDates(value, () => parseUtcMs(value));
}

function parseUtcMs(value: string): number | null {
  if (!ISO_DATE.test(value)) return null;
  const ms = Date.parse(`${value}T00:00:00Z`);
  // Date.parse rolls '2026-02-30' over to 2 March instead of failing; the round trip catches it.
  return Number.isNaN(ms) || fromUtcMs(ms) !== value ? null : ms;
}

function fromUtcMs(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

function parse(where: string, value: string): number {
  const ms = typeof value === 'string' ? toUtcMs(value) : null;
  if (ms === null) throw new Error(`${where}: expected a 'YYYY-MM-DD' calendar date, got ${JSON.stringify(value)}`);
  return ms;
}

function expectInteger(where: string, n: number): void {
  if (!Number.isSafeInteger(n)) throw new Error(`${where}: expected a whole number of days, got ${String(n)}`);
}

/** Whether `value` is a real calendar date written 'YYYY-MM-DD' ('2026-02-30' and '2026-2-3' are not). */
export function isIsoDate(value: unknown): value is string {
  return typeof value === 'string' && toUtcMs(value) !== null;
}

/**
 * Results of addDays by `date|days`: a request over 2,978 counties asks for the same few windows
 * thousands of times, and each computation parses and formats two dates. A date that is not one
 * throws before anything is kept.
 */
const addedDays = boundedMemo<string>(10_000);

/** The date `days` calendar days after `date` (before it when negative). */
export function addDays(date: string, days: number): string {
  return addedDays(`${date}|${days}`, () => computeAddDays(date, days));
}

function computeAddDays(date: string, days: number): string {
  expectInteger('addDays', days);
  const result = fromUtcMs(parse('addDays', date) + days * MS_PER_DAY);
  // Past year 9999 toISOString writes '+010000-…', which is no longer a date string we accept.
  if (!isIsoDate(result)) throw new Error(`addDays: expected a result within years 0000-9999, got ${result}`);
  return result;
}

/** Whole days from `from` to `to`: positive when `to` is later, 0 on the same day. */
export function daysBetween(from: string, to: string): number {
  return (parse('daysBetween', to) - parse('daysBetween', from)) / MS_PER_DAY;
}

/**
 * The `days` calendar days ending on `end` inclusive: [end − (days − 1), end]. A 14-day window
 * ending on 2026-11-25 starts on 2026-11-12, so 13 days before `end` is inside and 14 is outside.
 */
export function trailingWindow(end: string, days: number): { start: string; end: string } {
  expectInteger('trailingWindow', days);
  if (days < 1) throw new Error(`trailingWindow: expected at least 1 day, got ${days}`);
  return { start: addDays(end, -(days - 1)), end };
}
