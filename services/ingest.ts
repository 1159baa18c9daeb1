import type { CaseSource, ClusterRecord, DailyReportInput } from '../datasources/case';
import type { RegionSource } from '../datasources/region';
import { todayCst } from '../src/clock';
import { isRegionCode } from '../src/regionCode';
import { EARLIEST_DATE } from '../src/args';
import { maxItems } from '../src/limits/listSize';
import { inForce } from '../src/reporting/regionValidity';
import type { Region } from '../datasources/region';

/** Why a report for a day is refused for a code not in force that day (GB/T 2260 changes). */
export const notInForce = (region: Region, day: string) =>
  `${region.code} ${region.name} was not in force on ${day} (${region.validFrom} to ${region.validTo ?? 'now'}); report under the code in force that day (Region.successors).`;

export interface UserError {
  field: string[] | null;
  message: string;
  code: 'INVALID' | 'NOT_FOUND' | 'CONFLICT' | 'NOT_MATCHED';
}

/** A `DailyReportInput` as GraphQL hands it over: a count with an SDL default may still be sent as an explicit null (then 0). */
export type DailyReportArgument = { [K in keyof DailyReportInput]?: DailyReportInput[K] | null };

const COUNTS = ['newConfirmed', 'newAsymptomatic', 'newSuspected', 'newRecovered', 'newDeaths'] as const;
const MAX_DAILY_COUNT = 1_000_000;

/**
 * Ingestion (HEALTH): validates against the region source (reports are per county-level unit),
 * then stores through the case source. All or nothing: any userError means nothing is written.
 */
export class IngestService {
  constructor(
    private readonly regions: RegionSource,
    private readonly cases: CaseSource,
  ) {}

  async reportDailyCases(input: readonly DailyReportArgument[]): Promise<{ accepted: number; userErrors: UserError[] }> {
    const errors: UserError[] = [];
    if (input.length === 0) errors.push({ field: ['input'], message: 'Send at least one report.', code: 'INVALID' });
    const max = maxItems('Mutation.reportDailyCases');
    if (input.length > max) {
      errors.push({ field: ['input'], message: `At most ${max} reports per call; split the batch.`, code: 'INVALID' });
      return { accepted: 0, userErrors: errors };
    }
    const reports = input.map((r) => ({
      regionCode: r.regionCode ?? '',
      date: r.date ?? '',
      newConfirmed: r.newConfirmed ?? 0,
      newAsymptomatic: r.newAsymptomatic ?? 0,
      newSuspected: r.newSuspected ?? 0,
      newRecovered: r.newRecovered ?? 0,
      newDeaths: r.newDeaths ?? 0,
    }));
    const regions = await this.regions.byCode.loadAll(reports.map((r) => (isRegionCode(r.regionCode) ? r.regionCode : '000000')));
    const seen = new Map<string, number>();
    const today = todayCst();
    reports.forEach((r, i) => {
      const at = (f: string) => ['input', String(i), f];
      if (!isRegionCode(r.regionCode)) errors.push({ field: at('regionCode'), message: `"${r.regionCode.slice(0, 20)}" is not a six-digit region code.`, code: 'INVALID' });
      else if (!regions[i]) errors.push({ field: at('regionCode'), message: `No region has code ${r.regionCode}.`, code: 'NOT_FOUND' });
      else if (regions[i]!.level !== 'COUNTY') errors.push({ field: at('regionCode'), message: `${r.regionCode} ${regions[i]!.name} is a ${regions[i]!.level.toLowerCase()}; reports are per county-level unit.`, code: 'INVALID' });
      else if (!inForce(regions[i]!, r.date)) errors.push({ field: at('regionCode'), message: notInForce(regions[i]!, r.date), code: 'INVALID' });
      if (r.date > today) errors.push({ field: at('date'), message: `${r.date} is in the future (today is ${today}, China Standard Time).`, code: 'INVALID' });
      if (r.date < EARLIEST_DATE) errors.push({ field: at('date'), message: `${r.date} is before ${EARLIEST_DATE}.`, code: 'INVALID' });
      for (const k of COUNTS) {
        const v = r[k];
        if (!Number.isInteger(v) || v < 0 || v > MAX_DAILY_COUNT) errors.push({ field: at(k), message: `${k} must be a whole number from 0 to ${MAX_DAILY_COUNT}, got ${v}.`, code: 'INVALID' });
      }
      const key = `${r.regionCode}|${r.date}`;
      if (seen.has(key)) errors.push({ field: at('date'), message: `Report ${seen.get(key)} of this call is for the same region and date.`, code: 'CONFLICT' });
      else seen.set(key, i);
    });
    if (errors.length > 0) return { accepted: 0, userErrors: errors };
    const { accepted, belowRecords } = await this.cases.reportDaily(reports);
    for (const b of belowRecords) {
      const r = reports[b.index];
      const at = (f: string) => ['input', String(b.index), f];
      if (r.newConfirmed < b.recordedConfirmed) errors.push({ field: at('newConfirmed'), message: `${b.recordedConfirmed} case records of ${r.regionCode} were confirmed on ${r.date}; newConfirmed cannot be lower (correct the case records first).`, code: 'CONFLICT' });
      if (r.newAsymptomatic < b.recordedAsymptomatic) errors.push({ field: at('newAsymptomatic'), message: `${b.recordedAsymptomatic} asymptomatic case records of ${r.regionCode} were reported on ${r.date}; newAsymptomatic cannot be lower (correct the case records first).`, code: 'CONFLICT' });
    }
    return { accepted, userErrors: errors };
  }

  async reportCluster(input: { regionCode: string; detectedOn: string; size: number; description?: string | null }): Promise<{ cluster: ClusterRecord | null; userErrors: UserError[] }> {
    const errors: UserError[] = [];
    const at = (f: string) => ['input', f];
    const region = isRegionCode(input.regionCode) ? await this.regions.byCode.load(input.regionCode) : null;
    if (!isRegionCode(input.regionCode)) errors.push({ field: at('regionCode'), message: `"${input.regionCode.slice(0, 20)}" is not a six-digit region code.`, code: 'INVALID' });
    else if (!region) errors.push({ field: at('regionCode'), message: `No region has code ${input.regionCode}.`, code: 'NOT_FOUND' });
    else if (region.level !== 'COUNTY') errors.push({ field: at('regionCode'), message: `${input.regionCode} ${region.name} is not a county-level unit.`, code: 'INVALID' });
    else if (!inForce(region, input.detectedOn)) errors.push({ field: at('regionCode'), message: notInForce(region, input.detectedOn), code: 'INVALID' });
    const today = todayCst();
    if (input.detectedOn > today) errors.push({ field: at('detectedOn'), message: `${input.detectedOn} is in the future (today is ${today}).`, code: 'INVALID' });
    if (input.detectedOn < EARLIEST_DATE) errors.push({ field: at('detectedOn'), message: `${input.detectedOn} is before ${EARLIEST_DATE}.`, code: 'INVALID' });
    if (!Number.isInteger(input.size) || input.size < 2 || input.size > 100_000) errors.push({ field: at('size'), message: `size must be a whole number from 2 to 100000, got ${input.size}.`, code: 'INVALID' });
    if (input.description != null && [...input.description].length > 500) errors.push({ field: at('description'), message: 'description must be at most 500 characters.', code: 'INVALID' });
    if (errors.length > 0) return { cluster: null, userErrors: errors };
    const cluster = await this.cases.reportCluster({ regionCode: input.regionCode, detectedOn: input.detectedOn, size: input.size, description: input.description ?? null });
    return { cluster, userErrors: [] };
  }
}
