import type { CaseSource } from '../datasources/case';
import type { MobilitySource } from '../datasources/mobility';
import type { Region, RegionSource } from '../datasources/region';
import { Loader } from '../datasources/loader';
import { then, type MaybePromise } from '../src/maybe';
import { windowEnding } from '../src/args';
import { cstDaysCovered, todayCst } from '../src/clock';
import {
  CN_2020_COUNTY,
  CN_2020_WINDOW_DAYS,
  activeOriginDays,
  estimateImportRisk,
  nationalForecast,
  nationalReadWindow,
  type CountyForecast,
  type NationalForecast,
  higherLevel,
  rateCounty,
  worstLevel,
  type ImportRiskEstimate,
  type RiskLevel,
  type RiskVerdict,
} from '../src/risk';

/** A verdict for any region: a county's own, or the highest of a province's or city's counties. */
export interface RegionRisk extends RiskVerdict {
  countyCounts: Record<RiskLevel, number>;
}

/** A region's import-risk estimate, with the trips behind each origin and the region it is for. */
export interface RegionImportRisk extends ImportRiskEstimate {
  tripsByOrigin: Map<string, number>;
  region: Region;
}

/**
 * The computed fields that federate the sources: county risk (region scope + case figures, rated
 * by the pure model) and import risk (mobility inflows × case prevalence × region population).
 * It sends no SQL of its own; every read goes through the other sources' loaders, so batching
 * across a list of regions is preserved.
 */
export class RiskService {
  /** County verdicts by `code|asOf|ruleset`. */
  private readonly countyVerdicts: Loader<{ code: string; asOf: string; ruleset: string }, RiskVerdict>;

  /** National forecasts by `asOf|days`, computed at most once per request. */
  private readonly nationals = new Map<string, Promise<NationalForecastIndex>>();

  constructor(
    private readonly regions: RegionSource,
    private readonly cases: CaseSource,
    private readonly mobility: MobilitySource,
  ) {
    // Not a DataLoader over SQL: it memoises verdicts per request and lets list resolvers read
    // them synchronously with `peek` once computed.
    this.countyVerdicts = new Loader(
      async (keys) => {
        const summaries = await cases.summary.loadAll(
          keys.map((k) => ({ code: k.code, counties: [k.code], ...windowEnding(k.asOf, CN_2020_WINDOW_DAYS) })),
        );
        return keys.map((k, i) =>
          rateCounty(k.ruleset, {
            asOf: k.asOf,
            cumulativeConfirmed: summaries[i].cumulativeConfirmed,
            newConfirmedInWindow: summaries[i].newConfirmed,
            lastConfirmedOn: summaries[i].lastConfirmedOn,
            clustersInWindow: summaries[i].clusterCount,
            lastClusterOn: summaries[i].lastClusterOn,
          }),
        );
      },
      (k) => `${k.code}|${k.asOf}|${k.ruleset}`,
    );
  }

  /** A county's level on a day (batched with every other level asked for in the same tick). */
  countyLevel(code: string, asOf: string): RiskLevel | Promise<RiskLevel> {
    const key = { code, asOf, ruleset: CN_2020_COUNTY };
    const settled = this.countyVerdicts.peek(key);
    return settled ? settled.level : this.countyVerdicts.load(key).then((v) => v.level);
  }

  /** The worst level of a county over the days of a stay (up to today, CST): the stay's risk. */
  async levelDuringStay(stay: { regionCode: string; arrivedAt: Date; leftAt: Date }): Promise<RiskLevel> {
    const today = todayCst();
    const days = cstDaysCovered(stay.arrivedAt, stay.leftAt).filter((d) => d <= today);
    return worstLevel(await Promise.all(days.map((d) => this.countyLevel(stay.regionCode, d))));
  }

  /** County-level units making up a region (itself for a county). */
  countiesOf(region: Region): readonly string[] | Promise<string[]> {
    return region.level === 'COUNTY' ? [region.code] : this.regions.countyCodesUnder.get(region.code);
  }

  /** A region's verdict; a plain value when a county's verdict is already computed in this request. */
  regionRisk(region: Region, asOf: string, ruleset: string): MaybePromise<RegionRisk> {
    if (region.level === 'COUNTY') return then(this.countyVerdicts.get({ code: region.code, asOf, ruleset }), countyRisk);
    return then(this.countiesOf(region), async (counties) => {
      const verdicts = await this.countyVerdicts.loadAll(counties.map((code) => ({ code, asOf, ruleset })));
      return aggregateVerdicts(region, asOf, ruleset, counties, verdicts);
    });
  }

  /** The verdicts of many counties at once, in order (list look-ahead): one batch, one SQL statement. */
  async countyRisks(codes: readonly string[], asOf: string, ruleset: string): Promise<RegionRisk[]> {
    return (await this.countyVerdicts.loadAll(codes.map((code) => ({ code, asOf, ruleset })))).map(countyRisk);
  }

  async importRisk(region: Region, days: number, asOf: string, topN: number): Promise<RegionImportRisk> {
    const window = windowEnding(asOf, days);
    const counties = await this.countiesOf(region);
    const inflows = await this.mobility.dailyInflows.load({ code: region.code, counties, ...window });
    const origins = [...new Set(inflows.map((f) => f.originCode))];
    const [active, originRegions] = await Promise.all([
      this.cases.activeSeries.loadAll(origins.map((code) => ({ code, counties: [code], ...window }))),
      this.regions.byCode.loadAll(origins),
    ]);
    const activeByOrigin = new Map(origins.map((code, i) => [code, active[i]]));
    const populationByOrigin = new Map(origins.map((code, i) => [code, originRegions[i]?.population ?? 0]));
    const tripsByOrigin = new Map<string, number>();
    for (const f of inflows) tripsByOrigin.set(f.originCode, (tripsByOrigin.get(f.originCode) ?? 0) + f.trips);
    const estimate = estimateImportRisk({
      asOf,
      days,
      topN,
      flows: inflows.map((f) => ({
        originCode: f.originCode,
        date: f.date,
        trips: f.trips,
        originActiveCases: activeByOrigin.get(f.originCode)?.get(f.date) ?? 0,
        originPopulation: populationByOrigin.get(f.originCode) ?? 0,
      })),
    });
    return { ...estimate, tripsByOrigin, region };
  }

  /**
   * The 7-day forecast for every county, ranked: three SQL statements whatever the number of
   * counties (the county list, the counts of the window, the prevalence-weighted inflows), computed
   * once per request and shared by `riskForecast` and every `ImportRisk.forecast` in it.
   */
  nationalForecast(asOf: string, days: number): Promise<NationalForecastIndex> {
    const key = `${asOf}|${days}`;
    let national = this.nationals.get(key);
    if (!national) this.nationals.set(key, (national = this.computeNational(asOf, days)));
    return national;
  }

  /** A county's forecast, or null for a province or city (the model is per county). */
  async countyForecast(region: Region, asOf: string, days: number): Promise<CountyForecast | null> {
    if (region.level !== 'COUNTY') return null;
    return (await this.nationalForecast(asOf, days)).byCode.get(region.code) ?? null;
  }

  private async computeNational(asOf: string, days: number): Promise<NationalForecastIndex> {
    const { countsFrom, countsTo } = nationalReadWindow(asOf, days);
    const [page, counts] = await Promise.all([
      this.regions.list({ level: 'COUNTY', asOf }, MAX_COUNTIES, null),
      this.cases.countsBetween(countsFrom, countsTo),
    ]);
    if (page.hasNextPage) throw new Error(`nationalForecast: more than ${MAX_COUNTIES} county-level units; raise MAX_COUNTIES`);
    const counties = page.nodes.map((r) => ({ code: r.code, population: r.population }));
    const active = activeOriginDays(counties, counts, asOf, days);
    const inflows = active.length > 0 ? await this.mobility.inflowsFromActive(active) : [];
    const national = nationalForecast({ asOf, days, counties, counts, inflows });
    return { ...national, byCode: new Map(national.counties.map((c) => [c.code, c])) };
  }
}

/** GB/T 2260 has about 2,900 county-level units; one page of the region list holds them all. */
const MAX_COUNTIES = 5000;

export interface NationalForecastIndex extends NationalForecast {
  byCode: Map<string, CountyForecast>;
}

/** A county's verdict as a region's: the county counts itself at its level. */
function countyRisk(verdict: RiskVerdict): RegionRisk {
  return { ...verdict, countyCounts: { LOW: 0, MEDIUM: 0, HIGH: 0, [verdict.level]: 1 } };
}

/** A province's or city's verdict: the highest county level, the counties by level, summed inputs. */
function aggregateVerdicts(
  region: Region,
  asOf: string,
  ruleset: string,
  counties: readonly string[],
  verdicts: readonly RiskVerdict[],
): RegionRisk {
  const countyCounts: Record<RiskLevel, number> = { LOW: 0, MEDIUM: 0, HIGH: 0 };
  let level: RiskLevel = 'LOW';
  const worst: string[] = [];
  verdicts.forEach((v, i) => {
    countyCounts[v.level]++;
    if (higherLevel(level, v.level) !== level) {
      level = v.level;
      worst.length = 0;
    }
    if (v.level === level) worst.push(counties[i]);
  });
  const maxDate = (values: (string | null)[]) =>
    values.reduce<string | null>((a, b) => (b != null && (a == null || b > a) ? b : a), null);
  const window = windowEnding(asOf, CN_2020_WINDOW_DAYS);
  const reasons = [
    `${region.name} has ${counties.length} county-level units: ${countyCounts.HIGH} HIGH, ${countyCounts.MEDIUM} MEDIUM, ${countyCounts.LOW} LOW on ${asOf}.`,
    level === 'LOW'
      ? 'Every county-level unit is LOW, so the region is LOW.'
      : `The region takes the highest county level, ${level} (${worst.slice(0, 5).join(', ')}${worst.length > 5 ? ', …' : ''}).`,
  ];
  return {
    level,
    ruleset,
    asOf,
    reasons,
    windowStart: window.from,
    windowEnd: window.to,
    countyCounts,
    inputs: {
      asOf,
      cumulativeConfirmed: verdicts.reduce((s, v) => s + v.inputs.cumulativeConfirmed, 0),
      newConfirmedInWindow: verdicts.reduce((s, v) => s + v.inputs.newConfirmedInWindow, 0),
      lastConfirmedOn: maxDate(verdicts.map((v) => v.inputs.lastConfirmedOn)),
      clustersInWindow: verdicts.reduce((s, v) => s + v.inputs.clustersInWindow, 0),
      lastClusterOn: maxDate(verdicts.map((v) => v.inputs.lastClusterOn)),
    },
  };
}
