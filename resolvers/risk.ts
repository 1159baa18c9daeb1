import type { Context } from '../src/context';
import type { Region } from '../datasources/region';
import type { NationalForecastIndex, RegionRisk } from '../services/risk';
import type { CountyForecast, CountyIndex, ImportRiskEstimate, NationalForecast } from '../src/risk';
import { resolveAsOf } from '../src/args';
import { badInput } from '../src/errors';
import { parseRegionCode } from '../src/regionCode';
import { connection, decodeCursor, pageOf } from '../src/graphql/pagination';
import { IMPORT_RISK_MAX_DAYS, IMPORT_RISK_MIN_DAYS } from '../src/risk';
import { argumentDefault, intArgument, pageArgument } from '../src/limits/arguments';
import { maxItems } from '../src/limits/listSize';

type ImportRiskResult = ImportRiskEstimate & { tripsByOrigin: Map<string, number>; region: Region };
/** A county's forecast with the national run it belongs to (model, window, parameters, fit). */
type ForecastNode = CountyForecast & { national: NationalForecast };
type IndexNode = CountyIndex & { national: NationalForecast };

/** The import-risk window: the bounds are the model's (src/risk/importRisk.ts), the default the field's SDL default. */
const windowDays = (field: string, days: number | null | undefined) =>
  intArgument(field, 'days', days, { min: IMPORT_RISK_MIN_DAYS, max: IMPORT_RISK_MAX_DAYS });
const nodeOf = (national: NationalForecast) => (county: CountyForecast | null): ForecastNode | null => county && { ...county, national };
/** Rank, zero-padded so that cursors compare in ranking order. */
const rankKey = (n: ForecastNode) => String(n.rank).padStart(6, '0');

const parameterList = (parameters: object, extra: { name: string; value: string }[] = []) => [
  ...Object.entries(parameters).map(([name, value]) => ({ name, value: String(value) })),
  ...extra,
];
const PREVALENCE = { name: 'prevalence', value: 'active cases (new confirmed + asymptomatic over the preceding 14 days) ÷ population' };

export const riskResolvers = {
  Query: {
    riskForecast: async (
      _: unknown,
      args: { asOf?: string | null; days?: number | null; firstCaseOnly?: boolean | null; within?: string | null; first?: number | null; after?: string | null },
      { sources, services }: Context,
    ) => {
      const first = pageArgument('Query.riskForecast', args.first);
      const after = decodeCursor('forecast', args.after);
      const [national, within] = await Promise.all([
        services.risk.nationalForecast(resolveAsOf(args.asOf), windowDays('Query.riskForecast', args.days)),
        args.within == null ? null : countiesWithin(sources, args.within),
      ]);
      const ranked = national.counties
        .filter((c) => (!args.firstCaseOnly || c.confirmedLast14Days === 0) && (within == null || within.has(c.code)))
        .map(nodeOf(national)) as ForecastNode[];
      return { ...connection(pageOf(ranked, rankKey, 'forecast', first, after)), national };
    },
  },
  Region: {
    risk: (r: Region, args: { asOf?: string | null; ruleset?: string | null }, { services }: Context) =>
      services.risk.regionRisk(r, resolveAsOf(args.asOf), args.ruleset ?? (argumentDefault('Region.risk', 'ruleset') as string)),
    importRisk: (r: Region, args: { days?: number | null; asOf?: string | null }, { services }: Context) =>
      services.risk.importRisk(r, windowDays('Region.importRisk', args.days), resolveAsOf(args.asOf), maxItems('ImportRisk.topSources')),
  },
  RiskAssessment: {
    countyCounts: (v: RegionRisk) => ({ low: v.countyCounts.LOW, medium: v.countyCounts.MEDIUM, high: v.countyCounts.HIGH }),
  },
  ImportRisk: {
    from: (e: ImportRiskResult) => e.windowStart,
    topSources: (e: ImportRiskResult, args: { first?: number | null }) =>
      e.topSources.slice(0, intArgument('ImportRisk.topSources', 'first', args.first)).map((s) => ({
        ...s,
        trips: e.tripsByOrigin.get(s.originCode) ?? 0,
      })),
    parameters: (e: ImportRiskResult) => parameterList(e.parameters, [PREVALENCE]),
    forecast: (e: ImportRiskResult, _: unknown, { services }: Context) => forecastOf(e, services),
    observedExpected: async (e: ImportRiskResult, _: unknown, { services }: Context) => indexOf(await forecastOf(e, services)),
  },
  ImportRiskSource: {
    region: (s: { originCode: string }, _: unknown, { sources }: Context) => sources.regions.byCode.get(s.originCode),
  },
  RiskForecastConnection: {
    model: (c: { national: NationalForecastIndex }) => c.national.model,
    asOf: (c: { national: NationalForecastIndex }) => c.national.asOf,
    observedExpectedFit: (c: { national: NationalForecastIndex }) => fitOf(c.national),
    parameters: (c: { national: NationalForecastIndex }) => parameterList(c.national.parameters, [PREVALENCE]),
  },
  ImportRiskForecast: {
    region: (n: ForecastNode, _: unknown, { sources }: Context) => sources.regions.byCode.get(n.code),
    model: (n: ForecastNode) => n.national.model,
    asOf: (n: ForecastNode) => n.national.asOf,
    horizonDays: (n: ForecastNode) => n.national.parameters.horizonDays,
    windowDays: (n: ForecastNode) => n.national.days,
    firstCaseCandidate: (n: ForecastNode) => n.confirmedLast14Days === 0,
    localTrend: (n: ForecastNode) => ({
      direction: n.trend,
      recentCases: n.recentCases,
      previousCases: n.previousCases,
      recentSuspected: n.recentSuspected,
      growth: n.growth,
    }),
    topSources: (n: ForecastNode, args: { first?: number | null }) =>
      n.topSources.slice(0, intArgument('ImportRiskForecast.topSources', 'first', args.first)).map((s) => ({ ...s, trips: Math.round(s.trips) })),
    observedExpected: (n: ForecastNode) => indexOf(n),
    parameters: (n: ForecastNode) => parameterList(n.national.parameters, [PREVALENCE]),
  },
  ObservedExpectedIndex: {
    inflowFromActiveAreas: (i: IndexNode) => i.inflow,
    observedCases: (i: IndexNode) => i.observed,
    expectedCases: (i: IndexNode) => i.expected,
    fit: (i: IndexNode) => fitOf(i.national),
  },
};

/** The county codes of the `within` argument; every region has some, so none means no such region. */
async function countiesWithin(sources: Context['sources'], code: string): Promise<Set<string>> {
  const counties = await sources.regions.countyCodesUnder.load(parseRegionCode(code, 'within'));
  if (counties.length === 0) throw badInput(`"within": there is no region with the code ${code}`, 'within');
  return new Set(counties);
}

/** The forecast of an import-risk estimate's county (null for a province or city), on the estimate's window. */
async function forecastOf(e: ImportRiskResult, services: Context['services']): Promise<ForecastNode | null> {
  const [national, county] = await Promise.all([services.risk.nationalForecast(e.asOf, e.days), services.risk.countyForecast(e.region, e.asOf, e.days)]);
  return nodeOf(national)(county);
}

function indexOf(n: ForecastNode | null): IndexNode | null {
  return n?.index ? { ...n.index, national: n.national } : null;
}

function fitOf(national: NationalForecast) {
  return national.indexFit && { model: national.indexModel, ...national.indexFit };
}
