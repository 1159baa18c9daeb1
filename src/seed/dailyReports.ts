import type { EpidemicSimulation } from './epidemic';
import type { DailyReportInput } from '../../datasources/case';

/** One row of cases.daily_reports, with the running values the ingestion path would maintain. */
export interface DailyReportRow extends DailyReportInput {
  cumulativeConfirmed: number;
  cumulativeRecovered: number;
  cumulativeDeaths: number;
  /** Last date ≤ date with new confirmed cases; null before the first. */
  lastConfirmedOn: string | null;
}

/**
 * One row per county per day, zero days included (the risk rule reads dense rows), in primary-key
 * order (region, date) so the running values are computed in one pass and the index is filled in order.
 */
export function* dailyReportRows(sim: EpidemicSimulation): Generator<DailyReportRow> {
  const { dates, days: D } = sim.timeline;
  for (let c = 0; c < sim.countyCodes.length; c++) {
    let cumulativeConfirmed = 0;
    let cumulativeRecovered = 0;
    let cumulativeDeaths = 0;
    let lastConfirmedOn: string | null = null;
    for (let t = 0; t < D; t++) {
      const i = c * D + t;
      cumulativeConfirmed += sim.confirmed[i];
      cumulativeRecovered += sim.recovered[i];
      cumulativeDeaths += sim.deaths[i];
      if (sim.confirmed[i] > 0) lastConfirmedOn = dates[t];
      yield {
        regionCode: sim.countyCodes[c],
        date: dates[t],
        newConfirmed: sim.confirmed[i],
        newAsymptomatic: sim.asymptomatic[i],
        newSuspected: sim.suspected[i],
        newRecovered: sim.recovered[i],
        newDeaths: sim.deaths[i],
        cumulativeConfirmed,
        cumulativeRecovered,
        cumulativeDeaths,
        lastConfirmedOn,
      };
    }
  }
}
