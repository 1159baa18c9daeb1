#!/usr/bin/env node
/**
 * After `npm install` / `npm ci`: say which Node.js runs the project, check every installed
 * package's `engines` against it, and build what `npm start` runs (scripts/build.mjs --if-stale).
 *
 * The runtime is the Node.js of the node-<platform>-<arch> package (optionalDependencies), which
 * npm links as node_modules/.bin/node; npm scripts find it first on PATH, so this script, npm
 * start, npm test and every CLI run on it whatever Node runs npm. npm checks engines against the
 * Node that runs npm itself (the system's, Node 20 on these machines), which is not the one that
 * runs the code: its check is silenced in .npmrc (loglevel=error) and made here instead, against
 * the real runtime, with npm's own words (EBADENGINE) for any package that does not accept it.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import semver from 'semver';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
const lock = JSON.parse(readFileSync(path.join(root, 'package-lock.json'), 'utf8'));
const runtime = process.version;
const bundled = path.join(root, 'node_modules', '.bin', 'node');
const fromBundle = existsSync(bundled) && process.execPath.startsWith(path.join(root, 'node_modules'));

if (!semver.satisfies(runtime, pkg.engines.node)) {
  console.error(
    `changxing: EBADENGINE this project runs on Node.js ${pkg.engines.node}, and ${runtime} (${process.execPath}) would run it: ` +
      `no node-${process.platform}-${process.arch} runtime package was installed for this machine. Install Node.js 24 LTS and run npm install again.`,
  );
}

let checked = 0;
const mismatches = [];
for (const [where, entry] of Object.entries(lock.packages)) {
  if (!where || !existsSync(path.join(root, where))) continue; // the root, or an optional package of another platform
  checked += 1;
  const wanted = entry.engines?.node;
  if (wanted && !semver.satisfies(runtime, wanted, { includePrerelease: true })) mismatches.push(`${where.replace(/^.*node_modules\//, '')} requires node ${wanted}`);
}
for (const line of mismatches) console.error(`changxing: EBADENGINE ${line}; the runtime is ${runtime}`);
console.log(
  `changxing: runtime Node.js ${runtime} (${fromBundle ? 'node_modules/.bin/node, from the node-' + process.platform + '-' + process.arch + ' package' : process.execPath}); ` +
    `${mismatches.length ? `${mismatches.length} of ${checked}` : `all ${checked}`} installed packages ${mismatches.length ? 'do not accept it (above)' : 'accept it'}`,
);

// Build now, so that the first `npm start` only starts. A production install without
// devDependencies has no compiler: it ships what `npm run build` made elsewhere.
try {
  execFileSync(process.execPath, [path.join(root, 'scripts', 'build.mjs'), '--if-stale'], { cwd: root, stdio: 'inherit' });
} catch {
  console.warn('changxing: nothing built (see above); `npm run build` builds the server and the pages');
}
