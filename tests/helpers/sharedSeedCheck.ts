import path from 'node:path';
import { refusedWrites } from './sharedSeedGuard';

/**
 * Runs in every suite (jest.config.js, setupFilesAfterEnv): fails a suite during which the shared
 * seeds refused a write (tests/helpers/sharedSeedGuard.ts), naming the suite, since the refusal
 * itself reaches the suite only as an internal error of some mutation. `npm test` runs suites one
 * at a time (--runInBand), so a refusal between this suite's first and last hook is its own.
 * Unit suites start no server on the seed and are left out (no connection for them).
 */
const suite = expect.getState().testPath ?? '';
const checked = !suite.includes(`${path.sep}unit${path.sep}`) && Boolean(process.env.TEST_DATABASE_URL);
const seeds = () => [process.env.TEST_DATABASE_URL!, process.env.TEST_DATABASE_URL_50!];
let before: number[] = [];

if (checked) {
  beforeAll(async () => {
    before = await Promise.all(seeds().map(refusedWrites));
  });
  afterAll(async () => {
    const after = await Promise.all(seeds().map(refusedWrites));
    const refused = after.reduce((sum, n, i) => sum + n - before[i], 0);
    if (refused > 0) {
      throw new Error(
        `${path.relative(process.cwd(), suite)} wrote to the shared test seed ${refused} time(s); the writes were refused. ` +
          'Make the data it writes in a database of its own: seededCopy() or freshDatabase() and Fixtures from tests/helpers/fixtures.ts (docs/testing.md).',
      );
    }
  });
}
