import { addDays } from './dates';
import type { RiskLevel } from './cn2020County';

/**
 * Pass colour (畅行码) for one person, DESIGN §1. Pure: the caller gathers case records, contact
 * links and stays with each county's level on each day of the stay.
 *
 *   RED     an active case (CONFIRMED, ASYMPTOMATIC, SUSPECTED)
 *   ORANGE  a close-contact exposure within the 14 days ending today
 *   YELLOW  a stay within those 14 days in a county rated MEDIUM or HIGH on a day of that stay
 *   GREEN   otherwise
 * The first that applies wins; the reason names it in words for the holder.
 */
export type PassColor = 'RED' | 'ORANGE' | 'YELLOW' | 'GREEN';

export const PASS_WINDOW_DAYS = 14;
export const ACTIVE_CASE_STATUSES = ['CONFIRMED', 'ASYMPTOMATIC', 'SUSPECTED'] as const;

export interface PassColorInputs {
  /** Today, China Standard Time. */
  asOf: string;
  cases: readonly { status: string; reportedOn: string }[];
  contacts: readonly { exposureDate: string }[];
  /** Stays with the county's level on each CST day the stay covers (within the window). */
  stays: readonly { regionName: string; days: readonly { date: string; level: RiskLevel }[] }[];
}

export interface PassColorVerdict {
  color: PassColor;
  reason: string;
}

const STATUS_WORDS: Record<string, string> = {
  CONFIRMED: '确诊病例',
  ASYMPTOMATIC: '无症状感染者',
  SUSPECTED: '疑似病例',
};

export function passColor({ asOf, cases, contacts, stays }: PassColorInputs): PassColorVerdict {
  const windowStart = addDays(asOf, -(PASS_WINDOW_DAYS - 1));
  const active = cases.find((c) => (ACTIVE_CASE_STATUSES as readonly string[]).includes(c.status));
  if (active) {
    return { color: 'RED', reason: `${STATUS_WORDS[active.status]}（${active.reportedOn}报告），尚未解除。` };
  }
  const exposure = contacts
    .map((c) => c.exposureDate)
    .filter((d) => d >= windowStart && d <= asOf)
    .sort()
    .pop();
  if (exposure) {
    return { color: 'ORANGE', reason: `${exposure}与病例密切接触，未满14天。` };
  }
  for (const stay of stays) {
    const risky = stay.days.find((d) => d.date >= windowStart && d.date <= asOf && d.level !== 'LOW');
    if (risky) {
      const level = risky.level === 'HIGH' ? '高风险' : '中风险';
      return { color: 'YELLOW', reason: `${risky.date}在${stay.regionName}停留（当日${level}地区），未满14天。` };
    }
  }
  return { color: 'GREEN', reason: '14天内无病例、密切接触或中高风险地区停留记录。' };
}
