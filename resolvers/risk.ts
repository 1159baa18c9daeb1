import type { Context } from '../src/context';
import type { Resolvers } from './types.generated';
import type { ImportRiskForecastModel as ForecastNode, ImportRiskModel, ObservedExpectedFitModel, ObservedExpectedIndexModel as IndexNode } from './models';
import type { CountyForecast, NationalForecast } from '../src/risk';
import { resolveAsOf } from '../src/args';
import { badInput } from '../src/errors';
import { parseRegionCode } from '../src/regionCode';
import { connection, decodeCursor, pageOf } from '../src/graphql/pagination';
import { IMPORT_RISK_MAX_DAYS, IMPORT_RISK_MIN_DAYS } from '../src/risk';
import { argumentDefault, intArgument, pageArgument } from '../src/limits/arguments';
import { maxItems } from '../src/limits/listSize';
import { lookedAhead } from './lookahead';
import type { RegionRisk } from '../services/risk';

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

export const riskResolvers: Resolvers = {
  Query: {
    riskForecast: async (_, args, { sources, services }) => {
      const first = pageArgument('Query.riskForecast', args.first);
      const after = decodeCursor('forecast', args.after);
      const [national, within] = await Promise.all([
        services.risk.nationalForecast(resolveAsOf(args.asOf), windowDays('Query.riskForecast', args.days)),
        args.within == null ? null : countiesWithin(sources, args.within),
      ]);
      const ranked = national.counties
        .filter((c) => (!args.firstCaseOnly || c.confirmedLast14Days === 0) && (within == null || within.has(c.code)))
        .map((county): ForecastNode => ({ ...county, national }));
      return { ...connection(pageOf(ranked, rankKey, 'forecast', first, after)), national };
    },
  },
  Region: {
    risk: (r, args, ctx, info) =>
      // A list's look-ahead computed it with every other node's (resolvers/lookahead.ts).
      lookedAhead<RegionRisk>(ctx, info, r) ??
      ctx.services.risk.regionRisk(r, resolveAsOf(args.asOf), args.ruleset ?? (argumentDefault('Region.risk', 'ruleset') as string)),
    importRisk: (r, args, { services }) =>
      services.risk.importRisk(r, windowDays('Region.importRisk', args.days), resolveAsOf(args.asOf), maxItems('ImportRisk.topSources')),
  },
  RiskAssessment: {
    countyCounts: (v) => ({ low: v.countyCounts.LOW, medium: v.countyCounts.MEDIUM, high: v.countyCounts.HIGH }),
  },
  ImportRisk: {
    from: (e) => e.windowStart,
    topSources: (e, args) =>
      e.topSources.slice(0, intArgument('ImportRisk.topSources', 'first', args.first)).map((s) => ({
        ...s,
        trips: e.tripsByOrigin.get(s.originCode) ?? 0,
      })),
    parameters: (e) => parameterList(e.parameters, [PREVALENCE]),
    forecast: (e, _, { services }) => forecastOf(e, services),
    observedExpected: async (e, _, { services }) => indexOf(await forecastOf(e, services)),
  },
  ImportRiskSource: {
    region: (s, _, { sources }) => sources.regions.referenced(s.originCode),
  },
  RiskForecastConnection: {
    model: (c) => c.national.model,
    asOf: (c) => c.national.asOf,
    observedExpectedFit: (c) => fitOf(c.national),
    parameters: (c) => parameterList(c.national.parameters, [PREVALENCE]),
  },
  ImportRiskForecast: {
    region: (n, _, { sources }) => sources.regions.referenced(n.code),
    model: (n) => n.national.model,
    asOf: (n) => n.national.asOf,
    horizonDays: (n) => n.national.parameters.horizonDays,
    windowDays: (n) => n.national.days,
    firstCaseCandidate: (n) => n.confirmedLast14Days === 0,
    localTrend: (n) => ({
      direction: n.trend,
      recentCases: n.recentCases,
      previousCases: n.previousCases,
      recentSuspected: n.recentSuspected,
      growth: n.growth,
    }),
    topSources: (n, args) =>
      n.topSources.slice(0, intArgument('ImportRiskForecast.topSources', 'first', args.first)).map((s) => ({ ...s, trips: Math.round(s.trips) })),
    observedExpected: (n) => indexOf(n),
    parameters: (n) => parameterList(n.national.parameters, [PREVALENCE]),
  },
  ObservedExpectedIndex: {
    inflowFromActiveAreas: (i) => i.inflow,
    observedCases: (i) => i.observed,
    expectedCases: (i) => i.expected,
  },
};

/** The county codes of the `within` argument; every region has some, so none means no such region. */
async function countiesWithin(sources: Context['sources'], code: string): Promise<Set<string>> {
  const counties = await sources.regions.countyCodesUnder.load(parseRegionCode(code, 'within'));
  if (counties.length === 0) throw badInput(`"within": there is no region with the code ${code}`, 'within');
  return new Set(counties);
}

/** The forecast of an import-risk estimate's county (null for a province or city), on the estimate's window. */
async function forecastOf(e: ImportRiskModel, services: Context['services']): Promise<ForecastNode | null> {
  const [national, county] = await Promise.all([services.risk.nationalForecast(e.asOf, e.days), services.risk.countyForecast(e.region, e.asOf, e.days)]);
  return nodeOf(national)(county);
}

/** A county's index with the line it is measured against; null outside the fit (the model gives no index without a line). */
function indexOf(n: ForecastNode | null): IndexNode | null {
  const fit = n && fitOf(n.national);
  return n?.index && fit ? { ...n.index, fit } : null;
}

function fitOf(national: NationalForecast): ObservedExpectedFitModel | null {
  return national.indexFit && { model: national.indexModel, ...national.indexFit };
}
