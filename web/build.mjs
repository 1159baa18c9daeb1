#!/usr/bin/env node
/**
 * Builds the pages (web/ → web/dist) with Vite when web/dist is missing or older than its sources:
 * `npm start` runs it first (prestart), so `npm install && npm start` shows the dashboard; browser
 * tests run it too. `--force` always builds. Vite is a devDependency: a production install
 * (`npm ci --omit=dev`) must ship a built web/dist, and this then only checks that it is there.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const web = path.dirname(fileURLToPath(import.meta.url));
const root = path.dirname(web);
const dist = path.join(web, 'dist');
const marker = path.join(dist, 'index.html');

function newestMtime(entry) {
  if (!existsSync(entry)) return 0;
  const stat = statSync(entry);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = 0;
  for (const name of readdirSync(entry)) {
    if (name === 'dist' || name === 'node_modules') continue;
    newest = Math.max(newest, newestMtime(path.join(entry, name)));
  }
  return newest;
}

const force = process.argv.includes('--force');
const sources = Math.max(newestMtime(web), newestMtime(path.join(root, 'examples/operations')), newestMtime(path.join(root, 'package-lock.json')));
const built = existsSync(marker) ? statSync(marker).mtimeMs : 0;
if (!force && built >= sources) {
  console.log('web/dist is up to date');
  process.exit(0);
}

let vite;
try {
  vite = await import('vite');
} catch {
  if (built > 0) {
    console.warn('web/dist may be stale, but Vite is not installed (devDependencies omitted): serving it as it is');
    process.exit(0);
  }
  console.error('web/dist is missing and Vite is not installed: run `npm install` (with devDependencies), then `npm run build:web`');
  process.exit(1);
}
const started = Date.now();
console.log(built ? 'web/ changed: building web/dist…' : 'building web/dist (first start)…');
await vite.build({ configFile: path.join(web, 'vite.config.mts') });
console.log(`web/dist built in ${((Date.now() - started) / 1000).toFixed(1)} s`);
