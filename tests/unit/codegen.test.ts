import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');
const COMMITTED = path.join(ROOT, 'web/src/gql');

describe('the generated client types (npm run codegen)', () => {
  it('are what codegen makes from the schema and the operations of web/src/operations and examples/operations', () => {
    const out = mkdtempSync(path.join(os.tmpdir(), 'changxing-codegen-'));
    try {
      // The codegen CLI is ESM-heavy; run it as the npm script does, in a child process.
      execFileSync(process.execPath, [path.join(ROOT, 'node_modules/@graphql-codegen/cli/cjs/bin.js'), '--config', 'codegen.ts', '--silent'], {
        cwd: ROOT,
        env: { ...process.env, CODEGEN_OUT: out + path.sep },
        stdio: ['ignore', 'ignore', 'pipe'],
        timeout: 120_000,
      });
      const files = readdirSync(out).sort();
      expect(readdirSync(COMMITTED).sort()).toEqual(files);
      for (const file of files) {
        const stale = readFileSync(path.join(COMMITTED, file), 'utf8') !== readFileSync(path.join(out, file), 'utf8');
        if (stale) throw new Error(`web/src/gql/${file} is stale: run \`npm run codegen\` and commit the result`);
      }
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
