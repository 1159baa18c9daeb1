import { spawnSync } from 'node:child_process';
import path from 'node:path';

/**
 * The layers of docs/architecture.md, checked by dependency-cruiser with the rules of
 * .dependency-cruiser.cjs (scripts/layers.mjs, `npm run layers`): a forbidden import anywhere in the
 * server, services, stores, gateway or pages fails this test, naming the rule, the importer and what
 * it imported. dependency-cruiser is ESM only, so it runs in a child process as the npm script does.
 */
const ROOT = path.resolve(__dirname, '../..');

function layers(...args: string[]): { status: number | null; violations: string[]; stderr: string } {
  const run = spawnSync(process.execPath, [path.join(ROOT, 'scripts/layers.mjs'), ...args], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
  return { status: run.status, violations: run.stdout.split('\n').filter(Boolean), stderr: run.stderr };
}

describe('the layers (docs/architecture.md, .dependency-cruiser.cjs)', () => {
  it('hold across the code: no forbidden import, no cycle', () => {
    const { status, violations, stderr } = layers();
    expect(violations).toEqual([]);
    expect(stderr).toMatch(/layers: [1-9][0-9]{2,} modules/);
    expect(status).toBe(0);
  }, 150_000);

  it('are enforced: a store that imports a service is caught and fails the check', () => {
    const { status, violations } = layers('--base', 'tests/unit/fixtures/layers', 'datasources', 'services');
    expect(violations).toEqual(['datasources-not-up: datasources/leaky.ts → services/advice.ts']);
    expect(status).toBe(1);
  }, 60_000);
});
