import { simulateEpidemic } from '../seed/epidemic';
import { buildNetwork, tripsOn, type MobilityNetwork } from '../seed/network';
import { generateRegions } from '../seed/regions';
import { makeTimeline, type Scale } from '../seed/timeline';
import { prevalenceSeries, type EpidemicSeries } from './replay';

/**
 * The reported epidemic straight from the deterministic simulation, without a database: what the
 * seed would load, as dense series. Used by unit tests and to cross-check the database path.
 */
export function seriesFromSimulation(scale: Scale, seedDay: string, limitCounties?: number): { series: EpidemicSeries; pressure: Float64Array } {
  const timeline = makeTimeline(scale, seedDay);
  const regions = generateRegions({ limitCounties });
  const network = buildNetwork(regions);
  const sim = simulateEpidemic(regions, network, timeline);
  const series: EpidemicSeries = {
    dates: timeline.dates,
    codes: sim.countyCodes,
    population: Float64Array.from(regions.counties, (c) => c.population),
    confirmed: sim.confirmed,
    asymptomatic: sim.asymptomatic,
    suspected: sim.suspected,
  };
  return { series, pressure: importPressure(series, network, (p, t) => tripsOn(network, timeline, p, t)) };
}

/** Σ_origins prevalence_origin(t) × trips_origin→c(t) per county and day, over the network's pairs. */
function importPressure(series: EpidemicSeries, network: MobilityNetwork, trips: (pair: number, day: number) => number): Float64Array {
  const D = series.dates.length;
  const prevalence = prevalenceSeries(series);
  const pressure = new Float64Array(series.codes.length * D);
  for (let p = 0; p < network.size; p++) {
    const o = network.origin[p];
    const d = network.dest[p];
    for (let t = 0; t < D; t++) {
      const prev = prevalence[o * D + t];
      if (prev > 0) pressure[d * D + t] += prev * trips(p, t);
    }
  }
  return pressure;
}
