import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * The project's root folder, found from this file whether it runs as TypeScript (src/paths.ts)
 * or compiled (dist/src/paths.js): files read at run time (schema/, migrations/, web/dist,
 * documents/, supergraph.graphql) are addressed from here, never from a module's own folder.
 */
export const PROJECT_ROOT = findRoot(__dirname);

function findRoot(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const manifest = path.join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'changxing') return dir;
    if (path.dirname(dir) === dir) throw new Error(`no package.json of changxing above ${from}`);
  }
}

/** The version in package.json (apiInfo.version). */
export const PROJECT_VERSION = (JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'package.json'), 'utf8')) as { version: string }).version;

/** A path under the project's root. */
export const projectPath = (...segments: string[]) => path.join(PROJECT_ROOT, ...segments);

/** True when this code runs compiled (npm run build → dist/), false under a TypeScript loader. */
export const RUNS_COMPILED = __filename.endsWith('.js');

/**
 * How to run another entry point of the project in a child process (`gateway/main`, say), the
 * way this process runs: compiled JavaScript with plain `node`, or TypeScript through tsx.
 */
export function entryPointCommand(entry: string): { args: string[] } {
  return RUNS_COMPILED
    ? { args: [projectPath('dist', `${entry}.js`)] }
    : { args: ['--import', 'tsx', projectPath(`${entry}.ts`)] };
}
