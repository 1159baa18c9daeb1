import { addDays } from './risk/dates';

/**
 * The reporting calendar is China Standard Time (UTC+8, no daylight saving since 1991): "today"
 * and every default `asOf` are days there, whatever the server's own time zone. The offset is
 * fixed, so the day is plain arithmetic: Intl's time-zone formatting showed in CPU profiles of
 * pass checks (a stay's days are computed for every check).
 */
const CST_OFFSET_MS = 8 * 3_600_000;

/** The CST calendar day of an instant, `YYYY-MM-DD`. */
function cstDay(ms: number): string {
  return new Date(ms + CST_OFFSET_MS).toISOString().slice(0, 10);
}

/** Today's date in China Standard Time (or the CST day of `now`), `YYYY-MM-DD`. */
export function todayCst(now?: Date): string {
  if (now) return cstDay(now.getTime());
  // Every dated field asks for today: the answer is reused within the same minute (a day changes
  // only on a minute boundary).
  const minute = Math.floor(Date.now() / 60_000);
  if (minute !== cachedMinute) {
    cachedMinute = minute;
    cachedToday = cstDay(Date.now());
  }
  return cachedToday;
}
let cachedMinute = -1;
let cachedToday = '';

/** The CST calendar days from `from` to `to` inclusive (the days a stay covers), oldest first. */
export function cstDaysCovered(from: Date, to: Date): string[] {
  const days: string[] = [];
  for (let d = todayCst(from), last = todayCst(to); d <= last; d = addDays(d, 1)) days.push(d);
  return days;
}
