#!/usr/bin/env node
/**
 * `npm run build`: the server, gateway and CLIs compiled to JavaScript in dist/ (tsc,
 * tsconfig.build.json) and the pages of web/ built into web/dist (Vite).
 *
 *   node scripts/build.mjs [--if-stale] [--only server|web]
 *
 * --if-stale builds a part only when its sources are newer than its last build: `npm install`
 * (postinstall) and `npm start` (prestart) call it so that a fresh checkout, or one whose sources
 * changed, starts on current code. TypeScript and Vite are devDependencies: a production install
 * (`npm ci --omit=dev`) must ship what `npm run build` made, and this then only checks it is there.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const args = process.argv.slice(2);
const ifStale = args.includes('--if-stale');
const only = args.includes('--only') ? args[args.indexOf('--only') + 1] : null;

/** Newest modification time under `entry` (0 when missing), skipping build outputs. */
function newestMtime(entry) {
  if (!existsSync(entry)) return 0;
  const stat = statSync(entry);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs; // a deleted file changes its folder
  for (const name of readdirSync(entry)) {
    if (name === 'dist' || name === 'node_modules') continue;
    newest = Math.max(newest, newestMtime(path.join(entry, name)));
  }
  return newest;
}

const at = (...p) => path.join(root, ...p);
const lockfile = at('package-lock.json');
const parts = {
  server: {
    output: at('dist', '.build-stamp'),
    sources: ['src', 'resolvers', 'services', 'datasources', 'gateway', 'tsconfig.json', 'tsconfig.build.json'].map((p) => at(p)).concat(lockfile),
    tool: 'typescript',
    build() {
      if (!ifStale) rmSync(at('dist'), { recursive: true, force: true });
      for (const project of ['tsconfig.build.json', 'gateway/tsconfig.build.json']) {
        execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', at(project)], { cwd: root, stdio: 'inherit' });
      }
    },
  },
  web: {
    output: at('web', 'dist', '.build-stamp'),
    sources: [at('web'), at('examples', 'operations'), lockfile],
    tool: 'vite',
    async build() {
      const vite = await import('vite');
      await vite.build({ configFile: at('web', 'vite.config.mts'), logLevel: 'warn' });
    },
  },
};

function installed(tool) {
  try {
    require.resolve(`${tool}/package.json`);
    return true;
  } catch {
    return false;
  }
}

let failed = false;
for (const [name, part] of Object.entries(parts)) {
  if (only && only !== name) continue;
  const built = existsSync(part.output) ? statSync(part.output).mtimeMs : 0;
  const sources = Math.max(...part.sources.map(newestMtime));
  if (ifStale && built >= sources) continue;
  if (!installed(part.tool)) {
    if (built > 0) {
      console.warn(`${name}: sources are newer than the build, but ${part.tool} is not installed (devDependencies omitted): using the build as it is`);
      continue;
    }
    console.error(`${name}: not built, and ${part.tool} is not installed (devDependencies omitted): run \`npm run build\` where devDependencies are installed and ship its output`);
    failed = true;
    continue;
  }
  const started = Date.now();
  console.log(`building ${name}${built ? ' (sources changed)' : ''}…`);
  try {
    await part.build();
  } catch (err) {
    console.error(`${name}: build failed${err.status ? '' : `: ${err.message}`}`); // tsc has printed its errors
    process.exit(1);
  }
  writeFileSync(part.output, `${new Date().toISOString()}\n`);
  console.log(`${name} built in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}
process.exit(failed ? 1 : 0);
