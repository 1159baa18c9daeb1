import type { Context } from '../src/context';
import type { Region } from '../datasources/region';
import type { RegionRisk } from '../datasources/risk';
import type { ImportRiskEstimate } from '../src/risk';
import { intInRange, resolveAsOf } from '../src/args';
import { IMPORT_RISK_MAX_DAYS, IMPORT_RISK_MIN_DAYS } from '../src/risk';

const MAX_TOP_SOURCES = 50;

type ImportRiskResult = ImportRiskEstimate & { tripsByOrigin: Map<string, number> };

export const riskResolvers = {
  Region: {
    risk: (r: Region, args: { asOf?: string | null; ruleset?: string | null }, { sources }: Context) =>
      sources.risk.regionRisk(r, resolveAsOf(args.asOf), args.ruleset ?? 'CN_2020_COUNTY'),
    importRisk: (r: Region, args: { days?: number | null; asOf?: string | null }, { sources }: Context) =>
      sources.risk.importRisk(
        r,
        intInRange(args.days, IMPORT_RISK_MIN_DAYS, IMPORT_RISK_MAX_DAYS, IMPORT_RISK_MAX_DAYS, 'days'),
        resolveAsOf(args.asOf),
        MAX_TOP_SOURCES,
      ),
  },
  RiskAssessment: {
    countyCounts: (v: RegionRisk) => ({ low: v.countyCounts.LOW, medium: v.countyCounts.MEDIUM, high: v.countyCounts.HIGH }),
  },
  ImportRisk: {
    from: (e: ImportRiskResult) => e.windowStart,
    topSources: (e: ImportRiskResult, args: { first?: number | null }) =>
      e.topSources.slice(0, intInRange(args.first, 1, MAX_TOP_SOURCES, 5, 'first')).map((s) => ({
        ...s,
        trips: e.tripsByOrigin.get(s.originCode) ?? 0,
      })),
    parameters: (e: ImportRiskResult) => [
      ...Object.entries(e.parameters).map(([name, value]) => ({ name, value: String(value) })),
      { name: 'prevalence', value: 'active cases (new confirmed + asymptomatic over the preceding 14 days) ÷ population' },
    ],
  },
  ImportRiskSource: {
    region: (s: { originCode: string }, _: unknown, { sources }: Context) => sources.regions.byCode.get(s.originCode),
  },
};
