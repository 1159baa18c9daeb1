import { FLOW_COLUMNS } from '../../services/ingestion/rows';
import type { SeedData } from './generate';
import { flowRows, SEED_FLOW_MODE, SEED_STAY_SOURCE } from './load';
import { generateStays } from './stays';

/**
 * The demo's flows and stays as a carrier would upload them (docs/ingestion.md): the test that
 * seeds through the public path and the ingestion benchmark send these, and must get the rows
 * the direct seed writes.
 */

/** Flows as CSV lines (header first, each line with its LF) of the days `keep` accepts. */
export function* flowsCsv(data: SeedData, keep: (date: string) => boolean = () => true): Generator<string> {
  yield `${FLOW_COLUMNS.join(',')}\n`;
  for (const [date, origin, destination, trips] of flowRows(data)) {
    if (keep(date)) yield `${date},${origin},${destination},${trips},${SEED_FLOW_MODE}\n`;
  }
}

/** Stays as NDJSON lines of the stays `keep` accepts (by their start, as stored: `YYYY-MM-DD HH:MM:SS+08`), persons by name and ID number. */
export function* staysNdjson(data: SeedData, keep: (arrivedAt: string) => boolean = () => true): Generator<string> {
  const persons = new Map(data.people.persons.map((p) => [p.id, p]));
  for (const s of generateStays(data.people, data.regions, data.network, data.sim)) {
    if (!keep(s.arrivedAt)) continue;
    const person = persons.get(s.personId)!;
    yield `${JSON.stringify({ name: person.name, idNumber: person.idNumber, county: s.regionCode, arrived: s.arrivedAt, left: s.leftAt, source: SEED_STAY_SOURCE })}\n`;
  }
}
