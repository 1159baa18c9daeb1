#!/usr/bin/env node
/**
 * `npm run layers`: checks the imports of the code against the layers of docs/architecture.md, with
 * dependency-cruiser's API and the rules of .dependency-cruiser.cjs. Prints one line per forbidden
 * import (`rule: importer → imported`) and exits 1 when there is any; tests/unit/layers.test.ts runs it.
 *
 *   node scripts/layers.mjs [--base DIR] [FOLDER…]
 *
 * --base cruises another tree laid out like this one (the test's fixture of a forbidden import);
 * the folders default to every folder of code.
 */
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { cruise } from 'dependency-cruiser';
import extractTSConfig from 'dependency-cruiser/config-utl/extract-ts-config';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const baseAt = args.indexOf('--base');
const base = baseAt >= 0 ? path.resolve(root, args[baseAt + 1]) : root;
const given = args.filter((_, i) => i !== baseAt && i !== baseAt + 1);
const folders = given.length > 0 ? given : ['src', 'resolvers', 'services', 'datasources', 'gateway', 'web/src'];

const { forbidden, options } = createRequire(import.meta.url)(path.join(root, '.dependency-cruiser.cjs'));
const tsConfigFile = path.join(root, 'tsconfig.json');
// dependency-cruiser reads paths relative to the working folder: the rules' paths are the tree's own
process.chdir(base);
const { output } = await cruise(
  folders,
  { ...options, ruleSet: { forbidden }, validate: true, tsConfig: { fileName: tsConfigFile } },
  {},
  { tsConfig: extractTSConfig(tsConfigFile) },
);
const { summary } = typeof output === 'string' ? JSON.parse(output) : output;
for (const v of summary.violations) {
  const cycle = v.cycle ? ` (cycle: ${v.cycle.map((c) => c.name ?? c).join(' → ')})` : '';
  console.log(`${v.rule.name}: ${v.from} → ${v.to}${cycle}`);
}
console.error(`layers: ${summary.totalCruised} modules, ${summary.totalDependenciesCruised} imports, ${summary.violations.length} forbidden`);
process.exit(summary.violations.length > 0 ? 1 : 0);
