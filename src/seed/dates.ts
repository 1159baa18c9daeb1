/**
 * Calendar-date arithmetic on 'YYYY-MM-DD' strings. Dates are calendar days (no time zone), so
 * they are handled as whole days since 1970-01-01 in UTC, where no day is ever 23 or 25 hours.
 * (Adding days: `addDays` in src/risk/dates.ts; today: `todayCst` in src/clock.ts.)
 */

const MS_PER_DAY = 86_400_000;
const DATE_PATTERN = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Days since 1970-01-01 for a 'YYYY-MM-DD' date; throws on anything that is not a real date. */
export function toEpochDay(date: string): number {
  const match = DATE_PATTERN.exec(date);
  if (!match) throw new Error(`expected a date as YYYY-MM-DD, got '${date}'`);
  const ms = Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]));
  if (fromEpochDay(ms / MS_PER_DAY) !== date) throw new Error(`'${date}' is not a calendar date`);
  return ms / MS_PER_DAY;
}

export function fromEpochDay(day: number): string {
  return new Date(day * MS_PER_DAY).toISOString().slice(0, 10);
}

/** 0 = Sunday … 6 = Saturday. */
export function weekdayOf(date: string): number {
  return new Date(toEpochDay(date) * MS_PER_DAY).getUTCDay();
}
