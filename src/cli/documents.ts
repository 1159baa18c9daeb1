/**
 * Trusted documents (docs/api.md, "GraphQL over HTTP, APQ and trusted documents"; docs/limits.md):
 *
 *   npm run documents -- list                         the manifest's operations: id, type, name
 *   npm run documents -- register <file.graphql>...   adds each operation of the files (validated against the schema)
 *   npm run documents -- check                        exits 1 when an operation of examples/operations is missing
 *   npm run documents -- costs [--write]              each operation's cost per role (src/limits/contract.ts); --write puts the table in docs/limits.md
 *
 * The manifest is documents/manifest.json (or --manifest <path>).
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { buildSchema } from '../schema';
import { DEFAULT_MANIFEST_PATH, emptyManifest, OPERATIONS_DIR, operationsOf, readManifest, register, writeManifest } from '../documents/manifest';
import { COST_TABLE_PAGE, costTable, derivedBudgets, priceContract, withCostTable } from '../limits/contract';
import { declaredListSizes } from '../limits/listSize';
import { projectPath } from '../paths';

function main(argv: string[]): number {
  const args = [...argv];
  const at = args.indexOf('--manifest');
  const file = at >= 0 ? path.resolve(args.splice(at, 2)[1] ?? '') : DEFAULT_MANIFEST_PATH;
  const [command, ...files] = args;
  const manifest = existsSync(file) ? readManifest(file) : emptyManifest();
  switch (command) {
    case 'list':
      for (const op of manifest.operations) process.stdout.write(`${op.id}  ${op.type.padEnd(8)}  ${op.name ?? '(anonymous)'}\n`);
      return 0;
    case 'register': {
      if (files.length === 0) return usage('register needs at least one .graphql file');
      const schema = buildSchema();
      for (const f of files) {
        let ops;
        try {
          ops = operationsOf(readFileSync(f, 'utf8'), schema);
        } catch (err) {
          process.stderr.write(`${f}: ${(err as Error).message}\n`);
          return 1;
        }
        const added = register(manifest, ops);
        for (const op of ops) process.stdout.write(`${added.includes(op) ? 'registered' : 'already registered'} ${op.name ?? '(anonymous)'} ${op.id}\n`);
      }
      writeManifest(manifest, file);
      return 0;
    }
    case 'check': {
      const known = new Set(manifest.operations.map((o) => o.id));
      const missing = readdirSync(OPERATIONS_DIR)
        .filter((f) => f.endsWith('.graphql'))
        .flatMap((f) => operationsOf(readFileSync(path.join(OPERATIONS_DIR, f), 'utf8')).map((op) => ({ f, op })))
        .filter(({ op }) => !known.has(op.id));
      for (const { f, op } of missing) process.stderr.write(`not in the manifest: ${op.name ?? '(anonymous)'} of examples/operations/${f}\n`);
      if (missing.length > 0) process.stderr.write('run: npm run documents -- register examples/operations/*.graphql\n');
      return missing.length > 0 ? 1 : 0;
    }
    case 'costs': {
      const schema = buildSchema();
      const priced = priceContract(schema, declaredListSizes(), manifest.operations);
      const table = costTable(priced, derivedBudgets(priced));
      if (!files.includes('--write')) {
        process.stdout.write(`${table}\n`);
        return 0;
      }
      const page = projectPath(COST_TABLE_PAGE);
      writeFileSync(page, withCostTable(readFileSync(page, 'utf8'), table));
      process.stdout.write(`wrote the table of ${priced.length} operations to ${page}\n`);
      return 0;
    }
    default:
      return usage(command ? `unknown command ${command}` : 'no command');
  }
}

function usage(problem: string): number {
  process.stderr.write(`${problem}\nusage: npm run documents -- list | register <file.graphql>... | check | costs [--write]  [--manifest <path>]\n`);
  return 2;
}

process.exitCode = main(process.argv.slice(2));
