import type { EpidemicSimulation } from './epidemic';
import { CN_2020_COUNTY, RULESETS, rateCounty, type CountyRiskInputs, type RiskLevel } from '../risk';

/**
 * A county's CN_2020_COUNTY level on a simulated day, rated by the API's own rule (src/risk) on the
 * inputs the loaded rows will give: the seed uses it to place the demo people and to check their
 * facts before anything is loaded, so what it promises is what the API will answer.
 */
export function countyRiskOn(sim: EpidemicSimulation, county: number, day: number): RiskLevel {
  return rateCounty(CN_2020_COUNTY, simulatedInputs(sim, county, day)).level;
}

/** The rule's inputs of a county on day index `day`, from the simulated daily counts and clusters. */
function simulatedInputs(sim: EpidemicSimulation, county: number, day: number): CountyRiskInputs {
  const { days: D, dates } = sim.timeline;
  const windowStart = day - (RULESETS[CN_2020_COUNTY].windowDays - 1);
  let cumulativeConfirmed = 0;
  let newConfirmedInWindow = 0;
  let lastConfirmed = -1;
  for (let t = 0; t <= day; t++) {
    const n = sim.confirmed[county * D + t];
    if (n === 0) continue;
    cumulativeConfirmed += n;
    lastConfirmed = t;
    if (t >= windowStart) newConfirmedInWindow += n;
  }
  let clustersInWindow = 0;
  let lastCluster = -1;
  for (const k of sim.clusters) {
    if (k.county !== county || k.day > day) continue;
    lastCluster = Math.max(lastCluster, k.day);
    if (k.day >= windowStart) clustersInWindow++;
  }
  return {
    asOf: dates[day],
    cumulativeConfirmed,
    newConfirmedInWindow,
    lastConfirmedOn: lastConfirmed < 0 ? null : dates[lastConfirmed],
    clustersInWindow,
    lastClusterOn: lastCluster < 0 ? null : dates[lastCluster],
  };
}
