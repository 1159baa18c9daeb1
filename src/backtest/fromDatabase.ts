import type { Pools } from '../db/pools';
import { Sql, SqlRecorder } from '../db/sql';
import { RegionSource } from '../../datasources/region';
import { CaseSource } from '../../datasources/case';
import { MobilitySource } from '../../datasources/mobility';
import { addDays, daysBetween } from '../risk/dates';
import { prevalenceSeries, type EpidemicSeries } from './replay';

/**
 * The reported epidemic read back from the three datasources over the days first…last in three
 * bulk statements (counties, every non-zero daily count, the daily import pressure), through the same
 * datasource methods the API uses. Everything else happens in memory.
 */
export async function seriesFromDatabase(pools: Pools, first: string, last: string): Promise<{ series: EpidemicSeries; pressure: Float64Array; statements: number }> {
  const recorder = new SqlRecorder();
  const regions = new RegionSource(new Sql(pools.region, 'region', recorder));
  const cases = new CaseSource(new Sql(pools.cases, 'cases', recorder));
  const mobility = new MobilitySource(new Sql(pools.mobility, 'mobility', recorder));

  const page = await regions.list({ level: 'COUNTY', asOf: last }, 5000, null);
  const D = daysBetween(first, last) + 1;
  const dates = Array.from({ length: D }, (_, t) => addDays(first, t));
  const codes = page.nodes.map((r) => r.code);
  const index = new Map(codes.map((c, i) => [c, i]));
  const C = codes.length;
  const series: EpidemicSeries = {
    dates,
    codes,
    population: Float64Array.from(page.nodes, (r) => r.population),
    confirmed: new Int32Array(C * D),
    asymptomatic: new Int32Array(C * D),
    suspected: new Int32Array(C * D),
  };
  for (const r of await cases.countsBetween(first, last)) {
    const c = index.get(r.regionCode);
    if (c === undefined) continue;
    const at = c * D + daysBetween(first, r.date);
    series.confirmed[at] = r.newConfirmed;
    series.asymptomatic[at] = r.newAsymptomatic;
    series.suspected[at] = r.newSuspected;
  }

  const prevalence = prevalenceSeries(series);
  const active: { originCode: string; date: string; prevalence: number }[] = [];
  for (let c = 0; c < C; c++) {
    for (let t = 0; t < D; t++) if (prevalence[c * D + t] > 0) active.push({ originCode: codes[c], date: dates[t], prevalence: prevalence[c * D + t] });
  }
  const pressure = new Float64Array(C * D);
  for (const r of active.length > 0 ? await mobility.dailyImportPressure(active) : []) {
    const c = index.get(r.destCode);
    if (c !== undefined) pressure[c * D + daysBetween(first, r.date)] += r.pressure;
  }
  return { series, pressure, statements: recorder.statements };
}
