import { createScratchDatabase } from './scratchDatabase';

/**
 * A database of its own holding only the region list (migrated, every GB/T 2260 unit, and the demo
 * API keys to call the API with; no case, person, flow or stay): where a test feeds every other
 * datasource through the public ingestion paths, as a deployment with real data would (issue 17).
 * A copy of the template the run's global set-up made (tests/helpers/globalSetup.ts): made in
 * well under a second, and each suite's copy is its own to write to.
 */
export async function createRegionsOnlyDatabase(prefix = 'changxing_regions'): Promise<{ url: string; drop(): Promise<void> }> {
  const template = process.env.TEST_REGIONS_TEMPLATE;
  if (!template) throw new Error('TEST_REGIONS_TEMPLATE is not set: run through jest (tests/helpers/globalSetup.ts)');
  return createScratchDatabase(prefix, { template });
}
