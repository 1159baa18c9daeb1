import { badInput } from './errors';
import { todayCst } from './clock';
import { addDays, daysBetween } from './risk/dates';

/** The earliest day any report can be about (first cases were reported in December 2019). */
export const EARLIEST_DATE = '2019-12-01';

/** A date argument must lie between the first reports and today (CST). */
export function checkDate(date: string, argument: string): string {
  const today = todayCst();
  if (date < EARLIEST_DATE) throw badInput(`"${argument}" ${date} is before ${EARLIEST_DATE}, the earliest reporting day`, argument);
  if (date > today) throw badInput(`"${argument}" ${date} is in the future (today is ${today}, China Standard Time)`, argument);
  return date;
}

/** `asOf` defaults to today (CST). */
export function resolveAsOf(asOf: string | null | undefined): string {
  return asOf == null ? todayCst() : checkDate(asOf, 'asOf');
}

/** The window of `days` days ending on `asOf` inclusive. */
export function windowEnding(asOf: string, days: number): { from: string; to: string } {
  return { from: addDays(asOf, -(days - 1)), to: asOf };
}

/** A from/to range of at most `maxDays` days, both ends valid dates, from ≤ to. */
export function checkRange(from: string, to: string, maxDays: number): { from: string; to: string } {
  checkDate(from, 'from');
  checkDate(to, 'to');
  if (from > to) throw badInput(`"from" ${from} is after "to" ${to}`, 'from');
  const span = daysBetween(from, to) + 1;
  if (span > maxDays) throw badInput(`the range ${from}…${to} spans ${span} days; at most ${maxDays} are allowed`, 'to');
  return { from, to };
}
