import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';

/**
 * Browser tests drive Debian's chromium (never a downloaded browser build): CHROMIUM_PATH, else
 * /usr/bin/chromium, which .ci/run installs with apt when it is missing.
 */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

const ROOT = path.resolve(__dirname, '../..');

/** Builds web/dist if it is missing or older than web/ (Vite is ESM-only, so it runs in a child process). */
export function buildWeb(): void {
  execFileSync(process.execPath, [path.join(ROOT, 'scripts/build.mjs'), '--if-stale', '--only', 'web'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'], timeout: 180_000 });
}

/** `extraArgs`: e.g. the fake camera flags of the scanning test (tests/helpers/camera.ts). */
export async function launchChromium(extraArgs: readonly string[] = []): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} not found: install Debian's chromium (apt-get install -y chromium) or set CHROMIUM_PATH`);
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-gpu', '--no-first-run', ...extraArgs],
  });
}

/**
 * Screenshots go to SCREENSHOT_DIR (`npm run screenshots` sets docs/screenshots, which docs/pages.md
 * shows); by default to a temporary folder, so that `npm test` leaves the work tree as it was.
 */
export function screenshotDir(): string {
  const dir = process.env.SCREENSHOT_DIR ? path.resolve(ROOT, process.env.SCREENSHOT_DIR) : path.join(os.tmpdir(), 'changxing-screenshots');
  mkdirSync(dir, { recursive: true });
  return dir;
}
