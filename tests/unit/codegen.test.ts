import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');
const CLIENT = 'web/src/gql';
const RESOLVER_TYPES = 'resolvers/types.generated.ts';

describe('the generated types (npm run codegen)', () => {
  let out: string;

  beforeAll(() => {
    out = mkdtempSync(path.join(os.tmpdir(), 'changxing-codegen-'));
    // The codegen CLI is ESM-heavy; run it as the npm script does, in a child process. CODEGEN_OUT
    // puts every output of codegen.ts under the temporary folder, at its path in the repository.
    execFileSync(process.execPath, [path.join(ROOT, 'node_modules/@graphql-codegen/cli/cjs/bin.js'), '--config', 'codegen.ts', '--silent'], {
      cwd: ROOT,
      env: { ...process.env, CODEGEN_OUT: out + path.sep },
      stdio: ['ignore', 'ignore', 'pipe'],
      timeout: 120_000,
    });
  }, 150_000);

  afterAll(() => rmSync(out, { recursive: true, force: true }));

  const stale = (file: string) => readFileSync(path.join(ROOT, file), 'utf8') !== readFileSync(path.join(out, file), 'utf8');

  it('of the client are what codegen makes from the schema and the operations of web/src/operations and examples/operations', () => {
    const files = readdirSync(path.join(out, CLIENT)).sort();
    expect(readdirSync(path.join(ROOT, CLIENT)).sort()).toEqual(files);
    for (const file of files) {
      if (stale(`${CLIENT}/${file}`)) throw new Error(`${CLIENT}/${file} is stale: run \`npm run codegen\` and commit the result`);
    }
  });

  it('of the resolvers are what codegen makes from the schema and the mappers of codegen.ts', () => {
    if (stale(RESOLVER_TYPES)) throw new Error(`${RESOLVER_TYPES} is stale: run \`npm run codegen\` and commit the result`);
  });
});
