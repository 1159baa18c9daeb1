import { existsSync, readFileSync, realpathSync } from 'node:fs';
import path from 'node:path';
import semver from 'semver';

/**
 * `npm test` runs on the project's runtime (node_modules/.bin/node, from the node-<platform>
 * package in optionalDependencies) whatever Node.js the system has: on these machines the
 * system's is Node 20, past its end of life.
 */
const ROOT = path.resolve(__dirname, '../..');
const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { engines: { node: string }; optionalDependencies: Record<string, string> };

describe('the runtime', () => {
  it('is a Node.js the project supports (package.json engines: Node 24 LTS)', () => {
    expect(semver.satisfies(process.version, pkg.engines.node)).toBe(true);
    expect(semver.major(process.version)).toBe(24);
  });

  const runtimePackage = `node-${process.platform}-${process.arch}`;
  (pkg.optionalDependencies[runtimePackage] ? it : it.skip)(`is the ${runtimePackage} package's binary, linked as node_modules/.bin/node`, () => {
    const bin = path.join(ROOT, 'node_modules/.bin/node');
    expect(existsSync(bin)).toBe(true);
    expect(realpathSync(bin)).toBe(realpathSync(path.join(ROOT, 'node_modules', runtimePackage, 'bin/node')));
    expect(realpathSync(process.execPath)).toBe(realpathSync(bin));
    expect(process.version).toBe(`v${pkg.optionalDependencies[runtimePackage]}`);
  });
});
