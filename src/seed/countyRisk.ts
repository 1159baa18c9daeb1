import type { EpidemicSimulation } from './epidemic';

export type RiskLevel = 'LOW' | 'MEDIUM' | 'HIGH';

/**
 * CN_2020_COUNTY evaluated on the simulated reports, as the API will evaluate it on the loaded
 * rows: LOW without a new confirmed case in the 14 days ending on `day`; HIGH with more than 50
 * cumulative and a cluster in those 14 days; MEDIUM otherwise. The seed uses it to place the demo
 * people and to check their facts before anything is loaded.
 */
export function countyRiskOn(sim: EpidemicSimulation, county: number, day: number): RiskLevel {
  const D = sim.timeline.days;
  let cumulative = 0;
  let recent = 0;
  for (let t = 0; t <= day; t++) {
    const n = sim.confirmed[county * D + t];
    cumulative += n;
    if (t > day - 14) recent += n;
  }
  if (recent === 0) return 'LOW';
  const cluster = sim.clusters.some((k) => k.county === county && k.day <= day && k.day > day - 14);
  return cumulative > 50 && cluster ? 'HIGH' : 'MEDIUM';
}
