import { CN_2020_COUNTY, CN_2020_WINDOW_DAYS, rateCountyCn2020, type CountyRiskInputs, type RiskVerdict } from './cn2020County';

/**
 * County risk rulesets by id. Rules change over an epidemic (the 2020 guidance was later
 * revised), and a verdict names the ruleset that produced it, so each version stays here under
 * its own id and a new one is added beside it rather than edited in place.
 */
export interface CountyRuleset {
  id: string;
  title: string;
  /** The official document the rule transcribes. */
  source: string;
  /** Length of the trailing window, in calendar days ending on asOf inclusive. */
  windowDays: number;
  rate(inputs: CountyRiskInputs): RiskVerdict;
}

export const RULESETS: Readonly<Record<string, CountyRuleset>> = Object.freeze({
  [CN_2020_COUNTY]: {
    id: CN_2020_COUNTY,
    title: 'County-level epidemic risk (low / medium / high), China, February 2020',
    source:
      'State Council joint prevention and control mechanism, guidance of 17 Feb 2020 ' +
      '《关于科学防治精准施策分区分级做好新冠肺炎疫情防控工作的指导意见》',
    windowDays: CN_2020_WINDOW_DAYS,
    rate: rateCountyCn2020,
  },
});

export function rateCounty(rulesetId: string, inputs: CountyRiskInputs): RiskVerdict {
  // hasOwn, not `in`: 'toString' or 'constructor' must not resolve to Object.prototype.
  if (!Object.hasOwn(RULESETS, rulesetId)) {
    throw new Error(
      `rateCounty: expected a ruleset id (${Object.keys(RULESETS).join(', ')}), got ${JSON.stringify(rulesetId)}`,
    );
  }
  return RULESETS[rulesetId].rate(inputs);
}
