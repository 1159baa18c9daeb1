import type { EpidemicSimulation } from './epidemic';
import type { RegionSet } from './regions';

/** One row of cases.clusters; ids are assigned here so case records can refer to them. */
export interface ClusterRow {
  id: number;
  regionCode: string;
  detectedOn: string;
  size: number;
  description: string;
  /** County index of regionCode, for linking case records. */
  county: number;
  day: number;
}

export function clusterRows(sim: EpidemicSimulation, regions: RegionSet): ClusterRow[] {
  return sim.clusters.map((cluster, i) => {
    const county = regions.counties[cluster.county];
    return {
      id: i + 1,
      regionCode: county.code,
      detectedOn: sim.timeline.dates[cluster.day],
      size: cluster.size,
      description: `${county.name}${cluster.setting}聚集性疫情（模拟）`,
      county: cluster.county,
      day: cluster.day,
    };
  });
}
