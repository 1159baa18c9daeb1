import { addDays } from './risk/dates';

/**
 * The reporting calendar is China Standard Time (UTC+8, no daylight saving): "today" and every
 * default `asOf` are days there, whatever the server's own time zone.
 */
const cstDate = new Intl.DateTimeFormat('en-CA', {
  timeZone: 'Asia/Shanghai',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
});

/** Today's date in China Standard Time, `YYYY-MM-DD`. */
export function todayCst(now?: Date): string {
  if (now) return cstDate.format(now);
  // Every dated field asks for today; Intl formatting is slow enough to show on a 2,978-node list,
  // so the answer is reused within the same minute (a day changes only on a minute boundary).
  const minute = Math.floor(Date.now() / 60_000);
  if (minute !== cachedMinute) {
    cachedMinute = minute;
    cachedToday = cstDate.format(new Date());
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
