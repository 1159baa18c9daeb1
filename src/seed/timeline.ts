import { weekdayOf } from './dates';
import { addDays } from '../risk/dates';

export type Scale = 'small' | 'medium' | 'large';

interface ScaleProfile {
  /** Simulated days, the last of which is the seed day. */
  days: number;
  /** Rows in cases.persons (demo people included). */
  persons: number;
}

export const SCALE_PROFILES: Record<Scale, ScaleProfile> = {
  small: { days: 40, persons: 2_000 },
  medium: { days: 120, persons: 200_000 },
  large: { days: 240, persons: 500_000 },
};

export function isScale(value: string): value is Scale {
  return Object.prototype.hasOwnProperty.call(SCALE_PROFILES, value);
}

/**
 * The simulated calendar. Day indexes run 0 … days−1 and the last one is the seed day, so the
 * demo always "ends today". The phases mirror 2020: unchecked spread from Wuhan, a national
 * response (Wuhan locked down, mobility collapses), then normalised prevention in which
 * imported sparks cause local flare-ups that are contained once detected.
 */
export interface Timeline {
  scale: Scale;
  seedDay: string;
  days: number;
  /** dates[t] is day index t as 'YYYY-MM-DD'. */
  dates: string[];
  /** weekdays[t]: 0 = Sunday … 6 = Saturday. */
  weekdays: Uint8Array;
  /** First day of the national response (lockdown of Wuhan, 一级响应). */
  responseDay: number;
  /** First day of normalised prevention (常态化防控): mobility back, local alerts only. */
  normalisedDay: number;
}

export function makeTimeline(scale: Scale, seedDay: string): Timeline {
  const { days } = SCALE_PROFILES[scale];
  const dates = Array.from({ length: days }, (_, t) => addDays(seedDay, t - (days - 1)));
  // The short demo still needs both phases of the first wave, so its response comes earlier.
  const responseDay = Math.min(22, Math.floor(days * 0.4));
  return { scale, seedDay, days, dates, weekdays: Uint8Array.from(dates, weekdayOf), responseDay, normalisedDay: responseDay + 45 };
}
