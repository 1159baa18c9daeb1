import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { parse, print, type OperationDefinitionNode } from 'graphql';

const dir = path.resolve(__dirname, '../examples/operations');
const ops = new Map<string, string>();
for (const f of readdirSync(dir).filter((f) => f.endsWith('.graphql'))) {
  for (const d of parse(readFileSync(path.join(dir, f), 'utf8')).definitions) {
    const op = d as OperationDefinitionNode;
    if (op.kind === 'OperationDefinition' && op.name) ops.set(op.name.value, print(op));
  }
}

/** A contract operation (examples/operations) printed on its own. */
export function operationText(name: string): string {
  const text = ops.get(name);
  if (!text) throw new Error(`no contract operation ${name}`);
  return text;
}
