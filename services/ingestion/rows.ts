import { EARLIEST_DATE } from '../../src/args';
import { todayCst } from '../../src/clock';
import { checkResidentId } from '../../src/privacy/residentId';
import { isIsoDate } from '../../src/risk/dates';

/**
 * The rules of carriers' uploads (docs/ingestion.md), one implementation shared by the upload
 * endpoint and the demo seed: a flow or stay the seed writes passes exactly the checks an
 * operator's file does. Pure functions of a row and an IngestRules (the known counties, the clock).
 * Messages never echo a name or an ID number: a carrier reads nothing personal, not even what it sent.
 */

/** Travel modes of a flow: how the operator counted the trips (MIXED: telecom location data, which cannot tell). */
export const FLOW_MODES = ['AIR', 'RAIL', 'ROAD', 'WATER', 'MIXED'] as const;
export type FlowMode = (typeof FLOW_MODES)[number];
/** Where a stay comes from: a telecom operator's location data, or a ticket of a rail, air, road or water carrier. */
export const STAY_SOURCES = ['TELECOM', 'RAIL', 'AIR', 'ROAD', 'WATER'] as const;
export type StaySource = (typeof STAY_SOURCES)[number];

/** The columns of each kind of upload, in the order of a CSV header (NDJSON: the same keys, any order). */
export const FLOW_COLUMNS = ['date', 'origin', 'destination', 'trips', 'mode'] as const;
export const STAY_COLUMNS = ['name', 'idNumber', 'county', 'arrived', 'left', 'source'] as const;
export type UploadKind = 'flows' | 'stays';
export const COLUMNS: Readonly<Record<UploadKind, readonly string[]>> = { flows: FLOW_COLUMNS, stays: STAY_COLUMNS };

/** At most this many trips per (day, origin, destination, mode): far above any real OD count, below integer overflow. */
export const MAX_TRIPS = 10_000_000;
/** A stay is at least 4 hours in one county (DESIGN §1: itineraries are stays of ≥ 4 h)… */
export const MIN_STAY_MS = 4 * 3_600_000;
/** …and at most 366 days: a longer one is a data error (a missing departure), not an itinerary. */
export const MAX_STAY_MS = 366 * 86_400_000;
const MAX_NAME_CHARS = 50;

/** What a row is checked against; made once per upload (and once per seed). */
export interface IngestRules {
  /** Six-digit codes of the county-level units in force (region source). */
  counties: ReadonlySet<string>;
  /** Today in China Standard Time: no flow is dated later. */
  today: string;
  /** Now (epoch ms): no stay ends later. */
  nowMs: number;
}

export function ingestRules(counties: ReadonlySet<string>, now: Date = new Date()): IngestRules {
  return { counties, today: todayCst(now), nowMs: now.getTime() };
}

/** One problem with one row: the column at fault (null: the row as a whole) and why. */
export interface RowProblem {
  column: string | null;
  message: string;
}

/** A flow as stored (operator aside). */
export interface Flow {
  date: string;
  origin: string;
  destination: string;
  trips: number;
  mode: FlowMode;
}

/** A stay as checked: the person as sent (hashed before it is stored), times as epoch ms. */
export interface Stay {
  name: string;
  idNumber: string;
  county: string;
  arrivedMs: number;
  leftMs: number;
  source: StaySource;
}

const CODE = /^[0-9]{6}$/;
const INTEGER = /^-?[0-9]{1,15}$/;
const MODES: ReadonlySet<string> = new Set(FLOW_MODES);
const SOURCES: ReadonlySet<string> = new Set(STAY_SOURCES);

function county(rules: IngestRules, column: string, code: string, problems: RowProblem[]): void {
  if (!CODE.test(code)) problems.push({ column, message: `"${code.slice(0, 20)}" is not a six-digit region code.` });
  else if (!rules.counties.has(code)) problems.push({ column, message: `${code} is not the code of a county-level unit in force (GB/T 2260).` });
}

function day(rules: IngestRules, column: string, date: string, problems: RowProblem[]): void {
  if (!isIsoDate(date)) problems.push({ column, message: `"${String(date).slice(0, 20)}" is not a date; write YYYY-MM-DD.` });
  else if (date < EARLIEST_DATE) problems.push({ column, message: `${date} is before ${EARLIEST_DATE}, the earliest day of the data.` });
  else if (date > rules.today) problems.push({ column, message: `${date} is in the future (today is ${rules.today}, China Standard Time).` });
}

/** The checks of a typed flow: the seed calls this on every flow it writes. */
export function flowProblems(rules: IngestRules, flow: Flow): RowProblem[] {
  const problems: RowProblem[] = [];
  day(rules, 'date', flow.date, problems);
  county(rules, 'origin', flow.origin, problems);
  county(rules, 'destination', flow.destination, problems);
  if (flow.origin === flow.destination) problems.push({ column: 'destination', message: 'is the origin: a flow is between two different counties.' });
  if (!Number.isSafeInteger(flow.trips)) problems.push({ column: 'trips', message: `"${String(flow.trips).slice(0, 20)}" is not a whole number.` });
  else if (flow.trips < 0) problems.push({ column: 'trips', message: `${flow.trips} is negative; trips are counted from 1.` });
  else if (flow.trips === 0) problems.push({ column: 'trips', message: 'is 0; leave out pairs without trips.' });
  else if (flow.trips > MAX_TRIPS) problems.push({ column: 'trips', message: `${flow.trips} is more than ${MAX_TRIPS.toLocaleString('en-US')}.` });
  if (!MODES.has(flow.mode)) problems.push({ column: 'mode', message: `"${String(flow.mode).slice(0, 20)}" is not a mode; one of ${FLOW_MODES.join(', ')}.` });
  return problems;
}

/** The checks of a stay's place and times (the person is checked by `stayProblems`): the seed calls this on every stay it writes. */
export function stayPlaceProblems(rules: IngestRules, stay: Pick<Stay, 'county' | 'arrivedMs' | 'leftMs' | 'source'>): RowProblem[] {
  const problems: RowProblem[] = [];
  county(rules, 'county', stay.county, problems);
  if (Number.isNaN(stay.arrivedMs)) problems.push({ column: 'arrived', message: TIMESTAMP_FORMAT });
  if (Number.isNaN(stay.leftMs)) problems.push({ column: 'left', message: TIMESTAMP_FORMAT });
  if (!Number.isNaN(stay.arrivedMs) && !Number.isNaN(stay.leftMs)) {
    if (stay.arrivedMs < EARLIEST_MS) problems.push({ column: 'arrived', message: `is before ${EARLIEST_DATE}, the earliest day of the data.` });
    if (stay.leftMs > rules.nowMs) problems.push({ column: 'left', message: 'is in the future: upload a stay once it has ended.' });
    const length = stay.leftMs - stay.arrivedMs;
    if (length <= 0) problems.push({ column: 'left', message: 'is not after arrived: a stay ends after it starts.' });
    else if (length < MIN_STAY_MS) problems.push({ column: 'left', message: 'is less than 4 hours after arrived: only stays of at least 4 hours are itineraries.' });
    else if (length > MAX_STAY_MS) problems.push({ column: 'left', message: 'is more than 366 days after arrived.' });
  }
  if (!SOURCES.has(stay.source)) problems.push({ column: 'source', message: `"${String(stay.source).slice(0, 20)}" is not a source; one of ${STAY_SOURCES.join(', ')}.` });
  return problems;
}

/** Every check of a stay, the person's name and ID number included (never echoed). */
export function stayProblems(rules: IngestRules, stay: Stay): RowProblem[] {
  const problems: RowProblem[] = [];
  const name = stay.name.trim();
  if (name.length === 0) problems.push({ column: 'name', message: 'is empty.' });
  else if ([...name].length > MAX_NAME_CHARS) problems.push({ column: 'name', message: `is longer than ${MAX_NAME_CHARS} characters.` });
  const id = checkResidentId(stay.idNumber, rules.today);
  if (!id.ok) problems.push({ column: 'idNumber', message: id.message });
  return [...problems, ...stayPlaceProblems(rules, stay)];
}

const EARLIEST_MS = Date.parse(`${EARLIEST_DATE}T00:00:00+08:00`);
const TIMESTAMP_FORMAT = 'is not a timestamp with its offset; write e.g. 2020-01-23T10:00:00+08:00.';
/** ISO 8601 with a UTC offset (or Z): `YYYY-MM-DD[T ]HH:MM[:SS[.fff]](Z|±HH[:MM])`. Without one a time is ambiguous. */
const TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?(Z|[+-]\d{2}(?::?\d{2})?)$/;

/** Epoch ms of a timestamp with offset; NaN when it is not one (or names no real instant, e.g. 24:30 or 02-30). */
export function parseTimestamp(text: string): number {
  const m = TIMESTAMP.exec(text);
  if (!m) return Number.NaN;
  const [, y, mo, d, h, mi, s = '0', frac = '0', zone] = m;
  if (!isIsoDate(`${y}-${mo}-${d}`) || Number(h) > 23 || Number(mi) > 59 || Number(s) > 59) return Number.NaN;
  let offsetMin = 0;
  if (zone !== 'Z') {
    const digits = zone.replace(':', '');
    offsetMin = (zone[0] === '-' ? -1 : 1) * (Number(digits.slice(1, 3)) * 60 + Number(digits.slice(3, 5) || '0'));
    if (Math.abs(offsetMin) > 14 * 60) return Number.NaN;
  }
  const ms = Number(`0.${frac}`) * 1000;
  return Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s), Math.round(ms)) - offsetMin * 60_000;
}

/** A flow from the text fields of a CSV row or NDJSON object (numbers as sent), with its problems. */
export function readFlow(rules: IngestRules, fields: Readonly<Record<string, unknown>>): { flow: Flow; problems: RowProblem[] } {
  const problems: RowProblem[] = [];
  const text = (column: string) => {
    const v = fields[column];
    return typeof v === 'string' ? v.trim() : typeof v === 'number' ? String(v) : '';
  };
  const tripsText = text('trips');
  const trips = INTEGER.test(tripsText) ? Number(tripsText) : Number.NaN;
  const flow: Flow = { date: text('date'), origin: text('origin'), destination: text('destination'), trips, mode: text('mode').toUpperCase() as FlowMode };
  for (const p of flowProblems(rules, flow)) problems.push(p.column === 'trips' && Number.isNaN(trips) ? { column: 'trips', message: `"${tripsText.slice(0, 20)}" is not a whole number.` } : p);
  return { flow, problems };
}

/** A stay from the text fields of a CSV row or NDJSON object, with its problems. */
export function readStay(rules: IngestRules, fields: Readonly<Record<string, unknown>>): { stay: Stay; problems: RowProblem[] } {
  const text = (column: string) => {
    const v = fields[column];
    return typeof v === 'string' ? v.trim() : '';
  };
  const stay: Stay = {
    name: text('name'),
    idNumber: text('idNumber'),
    county: text('county'),
    arrivedMs: parseTimestamp(text('arrived')),
    leftMs: parseTimestamp(text('left')),
    source: text('source').toUpperCase() as StaySource,
  };
  return { stay, problems: stayProblems(rules, stay) };
}

/** The CST day a stay belongs to (the day it started): an upload replaces the operator's stays of the days it holds. */
export function stayDay(arrivedMs: number): string {
  return todayCst(new Date(arrivedMs));
}
