import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { parse, print, type OperationDefinitionNode } from 'graphql';
import { readManifest } from '../src/documents/manifest';

const dir = path.resolve(__dirname, '../examples/operations');
const ops = new Map<string, string>();
for (const f of readdirSync(dir).filter((f) => f.endsWith('.graphql'))) {
  for (const d of parse(readFileSync(path.join(dir, f), 'utf8')).definitions) {
    const op = d as OperationDefinitionNode;
    if (op.kind === 'OperationDefinition' && op.name) ops.set(op.name.value, print(op));
  }
}

/**
 * A contract operation (examples/operations) printed on its own, or else a trusted document of the
 * pages (documents/manifest.json: the dashboard's NationalDaily), as the manifest holds it.
 */
export function operationText(name: string): string {
  const text = ops.get(name) ?? readManifest().operations.find((o) => o.name === name)?.body;
  if (!text) throw new Error(`no contract operation or trusted document ${name}`);
  return text;
}
