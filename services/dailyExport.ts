import type { CountyDay } from '../datasources/export';
import type { ExportRegion } from '../datasources/region';
import { dailyCsv, type DailyExportPlan, type DailyExportQuery } from '../src/export/dailyCsv';

/** Where the export reads: each store its own source. */
export interface DailyExportStores {
  /** Every region, in code order (the region source: `exportRegions`, datasources/region.ts). */
  regions(): Promise<ExportRegion[]>;
  /** One row per county and day of the range, by date then county (the case source: `streamCountyDays`, datasources/export.ts); stops when `signal` aborts. */
  countyDays(counties: readonly string[], range: { from: string; to: string }, signal: AbortSignal): AsyncIterable<CountyDay>;
}

/** A CSV being made: its chunks (the header, then one per day) and how many regions each day has. */
export interface DailyExportCsv {
  regionsPerDay: number;
  chunks: AsyncGenerator<string>;
}

/**
 * `GET /export/daily.csv` as a use-case (docs/api.md, "Bulk export"): which regions and counties a
 * query covers, from the region source; their days, streamed from the case source; the rows written
 * by src/export/dailyCsv.ts with the pure model. The HTTP side (roles, query string, streaming,
 * compression) is src/export/route.ts.
 */
export class DailyExportService {
  constructor(private readonly stores: DailyExportStores) {}

  /** The CSV of a checked query, or why it cannot be made (a parent code no region has: 400). Nothing is read from the case source until the first chunk is asked for. */
  async csv(query: DailyExportQuery, signal: AbortSignal): Promise<DailyExportCsv | { error: string }> {
    const plan = planDailyExport(await this.stores.regions(), query);
    if ('error' in plan) return plan;
    return { regionsPerDay: plan.regions.length, chunks: dailyCsv(plan, this.stores.countyDays(plan.counties, query, signal), query) };
  }
}

/**
 * Regions of the query, each with the counties that make it up (itself for a county; for a city or
 * province the counties whose parent or province it is — as the API's region risk and case figures).
 */
export function planDailyExport(all: readonly ExportRegion[], query: Pick<DailyExportQuery, 'level' | 'parentCode'>): DailyExportPlan | { error: string } {
  const { parentCode, level } = query;
  if (parentCode !== null && !all.some((r) => r.code === parentCode)) return { error: `No region has code ${parentCode}.` };
  const inside = (r: ExportRegion) => parentCode === null || (r.code !== parentCode && (r.parentCode === parentCode || r.provinceCode === parentCode));
  const countiesOf = new Map<string, string[]>();
  const counties: string[] = [];
  for (const r of all) {
    if (r.level !== 'COUNTY' || !inside(r)) continue;
    counties.push(r.code);
    for (const key of new Set([r.code, r.parentCode, r.provinceCode])) {
      if (key === null) continue;
      let list = countiesOf.get(key);
      if (!list) countiesOf.set(key, (list = []));
      list.push(r.code);
    }
  }
  const regions = all
    .filter((r) => inside(r) && (level === null || r.level === level))
    .map((region) => ({ region, counties: countiesOf.get(region.code) ?? [] }));
  return { counties, regions };
}
