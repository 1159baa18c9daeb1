import { assertDemoFacts } from './guarantees';
import { assertReportable } from './reportInputs';
import { type EpidemicSimulation, simulateEpidemic } from './epidemic';
import { buildNetwork, type MobilityNetwork } from './network';
import { generatePeople, type PeopleData } from './persons';
import { generateRegions, type RegionSet } from './regions';
import { demoStays } from './stays';
import { makeTimeline, type Scale, type Timeline } from './timeline';

/** Everything the seed loads, except the rows produced lazily while loading (flows, stays). */
export interface SeedData {
  timeline: Timeline;
  regions: RegionSet;
  network: MobilityNetwork;
  sim: EpidemicSimulation;
  people: PeopleData;
}

export interface GenerateOptions {
  scale: Scale;
  /** The last simulated day, 'YYYY-MM-DD'. */
  seedDay: string;
  limitCounties?: number;
}

const STEPS = ['generate regions', 'build network', 'simulate epidemic', 'generate persons'] as const;

/**
 * The pure pipeline regions → network → epidemic → persons, with the demo facts checked. The same
 * options always give the same data; nothing here touches a database.
 */
export function generateSeedData(options: GenerateOptions, onStep?: (phase: string, done: number, total: number) => void): SeedData {
  const step = <T>(index: number, work: () => T): T => {
    onStep?.(STEPS[index], 0, 1);
    const result = work();
    onStep?.(STEPS[index], 1, 1);
    return result;
  };
  const timeline = makeTimeline(options.scale, options.seedDay);
  const regions = step(0, () => generateRegions({ limitCounties: options.limitCounties }));
  const network = step(1, () => buildNetwork(regions));
  const sim = step(2, () => simulateEpidemic(regions, network, timeline));
  const people = step(3, () => generatePeople(regions, sim));
  assertDemoFacts(regions, sim, people, demoStays(people, regions, sim));
  // the simulator is a client like any other: its records pass the reporting path's own rules
  assertReportable(people, options.seedDay);
  return { timeline, regions, network, sim, people };
}
