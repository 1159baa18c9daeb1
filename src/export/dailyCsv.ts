import { GraphQLError } from 'graphql';
import type { CountyDay } from '../../datasources/export';
import type { ExportRegion } from '../../datasources/region';
import { isRegionCode, REGION_LEVELS, type RegionLevel } from '../regionCode';
import { checkRange } from '../args';
import { todayCst } from '../clock';
import { addDays, CN_2020_COUNTY, higherLevel, isIsoDate, rateCounty, type RiskLevel } from '../risk';

/** Columns of /export/daily.csv, in order (docs/api.md, "Bulk export", describes each). */
export const DAILY_CSV_COLUMNS = [
  'region_code',
  'region_name',
  'level',
  'parent_code',
  'date',
  'population',
  'new_confirmed',
  'cumulative_confirmed',
  'new_confirmed_per_100k',
  'cumulative_confirmed_per_100k',
  'new_confirmed_14d',
  'clusters_14d',
  'risk_level',
] as const;

/** At most this many days per export (as the API's date ranges). */
export const MAX_EXPORT_DAYS = 366;
/** Without `from`, this many days ending on `to`. */
export const DEFAULT_EXPORT_DAYS = 30;
const PARAMETERS = new Set(['level', 'parentCode', 'from', 'to', 'bom']);

export interface DailyExportQuery {
  /** Only regions of this level; null: every level. */
  level: RegionLevel | null;
  /** Only regions inside this one (its cities and counties); null: the whole country. */
  parentCode: string | null;
  from: string;
  to: string;
  /** Start with a UTF-8 byte order mark (for Excel, which otherwise reads the names as ANSI). */
  bom: boolean;
}

/** The query string checked: the parsed query, or a message for a 400. */
export function parseDailyExportQuery(query: Record<string, unknown>): DailyExportQuery | { error: string } {
  const unknown = Object.keys(query).filter((k) => !PARAMETERS.has(k));
  if (unknown.length > 0) return { error: `Unknown parameter ${unknown[0].slice(0, 40)}; expected ${[...PARAMETERS].join(', ')}.` };
  const repeated = Object.keys(query).find((k) => typeof query[k] !== 'string');
  if (repeated) return { error: `Give ${repeated} once, as a plain value.` };
  const q = query as Record<string, string | undefined>;
  const level = q.level === undefined || q.level === '' ? null : q.level.toUpperCase();
  if (level !== null && !(REGION_LEVELS as readonly string[]).includes(level)) return { error: `level must be PROVINCE, CITY or COUNTY, got "${q.level!.slice(0, 20)}".` };
  const parentCode = q.parentCode === undefined || q.parentCode === '' ? null : q.parentCode;
  if (parentCode !== null && !isRegionCode(parentCode)) return { error: `parentCode must be a six-digit region code, got "${parentCode.slice(0, 20)}".` };
  for (const k of ['from', 'to'] as const) {
    const value = q[k];
    if (value !== undefined && !isIsoDate(value)) return { error: `${k} must be a date YYYY-MM-DD, got "${String(value).slice(0, 20)}".` };
  }
  const to = q.to ?? todayCst();
  const from = q.from ?? addDays(to, -(DEFAULT_EXPORT_DAYS - 1));
  try {
    checkRange(from, to, MAX_EXPORT_DAYS);
  } catch (err) {
    if (err instanceof GraphQLError) return { error: `${err.message}.` };
    throw err;
  }
  const bom = q.bom === undefined ? false : ['1', 'true'].includes(q.bom) ? true : ['0', 'false'].includes(q.bom) ? false : null;
  if (bom === null) return { error: `bom must be true or false, got "${q.bom!.slice(0, 20)}".` };
  return { level: level as RegionLevel | null, parentCode, from, to, bom };
}

/** What an export reads and writes: the counties whose reports it streams, and the regions it writes per day (code order); made by services/dailyExport.ts. */
export interface DailyExportPlan {
  counties: string[];
  regions: { region: ExportRegion; counties: string[] }[];
}

type CountyFigures = { newConfirmed: number; cumulativeConfirmed: number; newInWindow: number; clustersInWindow: number; level: RiskLevel };

/**
 * The CSV text, one chunk per day: the county rows of a day (date order, then county) are collected,
 * rated with the pure model (src/risk) exactly as the API rates them, and written for every region of
 * the plan; a city or province sums its counties' figures and takes their highest level. Memory is one
 * day of counties, whatever the range.
 */
export async function* dailyCsv(plan: DailyExportPlan, countyDays: AsyncIterable<CountyDay>, options: { bom: boolean }): AsyncGenerator<string> {
  yield `${options.bom ? '\uFEFF' : ''}${DAILY_CSV_COLUMNS.join(',')}\r\n`;
  let date: string | null = null;
  let day = new Map<string, CountyFigures>();
  for await (const row of countyDays) {
    if (row.date !== date) {
      if (date !== null) yield dayRows(plan, date, day);
      date = row.date;
      day = new Map();
    }
    day.set(row.regionCode, {
      newConfirmed: row.newConfirmed,
      cumulativeConfirmed: row.cumulativeConfirmed,
      newInWindow: row.newConfirmedInWindow,
      clustersInWindow: row.clustersInWindow,
      level: rateCounty(CN_2020_COUNTY, { ...row, asOf: row.date }).level,
    });
  }
  if (date !== null) yield dayRows(plan, date, day);
}

function dayRows(plan: DailyExportPlan, date: string, day: ReadonlyMap<string, CountyFigures>): string {
  let out = '';
  for (const { region, counties } of plan.regions) {
    let newConfirmed = 0;
    let cumulative = 0;
    let newInWindow = 0;
    let clusters = 0;
    let level: RiskLevel = 'LOW';
    for (const code of counties) {
      const c = day.get(code);
      if (!c) continue;
      newConfirmed += c.newConfirmed;
      cumulative += c.cumulativeConfirmed;
      newInWindow += c.newInWindow;
      clusters += c.clustersInWindow;
      level = higherLevel(level, c.level);
    }
    out +=
      `${region.code},${csvField(region.name)},${region.level},${region.parentCode ?? ''},${date},${region.population},` +
      `${newConfirmed},${cumulative},${per100k(newConfirmed, region.population)},${per100k(cumulative, region.population)},` +
      `${newInWindow},${clusters},${level}\r\n`;
  }
  return out;
}

/** Per 100,000 residents, 4 decimals (the API's per-100k figures, rounded); empty without a population. */
function per100k(count: number, population: number): string {
  return population > 0 ? String(Math.round((count * 100_000 * 10_000) / population) / 10_000) : '';
}

/** RFC 4180: a field with a comma, quote or line break is quoted, quotes doubled. */
function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}
