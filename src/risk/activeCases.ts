import { addDays } from './dates';
import { expectCount, expectIsoDate, fail } from './check';

/**
 * How long a reported case counts as able to infect others: the 14-day isolation and
 * observation period of the 2020 guidance.
 */
export const DEFAULT_INFECTIOUS_DAYS = 14;

/** One place's report for one day. */
export interface DailyCaseCounts {
  date: string;
  newConfirmed: number;
  newAsymptomatic: number;
}

/**
 * Active cases at a place on `date`: every new confirmed and new asymptomatic case reported in
 * the `infectiousDays` days ending on `date` inclusive, [date − (infectiousDays − 1), date].
 * Asymptomatic cases count because they travel and transmit too. `series` must be sorted by date
 * ascending with at most one report per day; a day without a report counts as zero, and
 * reports after `date` are ignored.
 */
export function activeCasesOn(
  series: readonly DailyCaseCounts[],
  date: string,
  infectiousDays: number = DEFAULT_INFECTIOUS_DAYS,
): number {
  expectIsoDate('activeCasesOn: date', date);
  if (!Number.isSafeInteger(infectiousDays) || infectiousDays < 1) {
    fail('activeCasesOn: infectiousDays', 'a whole number ≥ 1', infectiousDays);
  }
  const start = addDays(date, -(infectiousDays - 1));
  let active = 0;
  series.forEach((report, k) => {
    const at = `activeCasesOn: series[${k}]`;
    expectIsoDate(`${at}.date`, report.date);
    if (k > 0 && report.date <= series[k - 1].date) {
      fail(`${at}.date`, `a date after series[${k - 1}].date ${series[k - 1].date} (sorted, one per day)`, report.date);
    }
    expectCount(`${at}.newConfirmed`, report.newConfirmed);
    expectCount(`${at}.newAsymptomatic`, report.newAsymptomatic);
    if (report.date >= start && report.date <= date) active += report.newConfirmed + report.newAsymptomatic;
  });
  return active;
}
