import { freshDatabase, type OwnDatabase } from './fixtures';

/**
 * A database of its own holding only the region list (migrated, every GB/T 2260 unit, and the demo
 * API keys to call the API with; no case, person, flow or stay): where a test feeds every other
 * datasource through the public ingestion paths, as a deployment with real data would (issue 17).
 * A file-level copy of the run's regions-only template (tests/helpers/fixtures.ts, globalSetup.ts).
 */
export function createRegionsOnlyDatabase(label = 'regions_only'): Promise<OwnDatabase> {
  return freshDatabase(label);
}
