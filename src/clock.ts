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
export function todayCst(now: Date = new Date()): string {
  return cstDate.format(now);
}
