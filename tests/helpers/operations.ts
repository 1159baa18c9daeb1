import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { parse, print, type OperationDefinitionNode } from 'graphql';

export const OPERATIONS_DIR = path.resolve(__dirname, '../../examples/operations');

/** The contract operations (examples/operations/*.graphql) by operation name, each as its own document. */
export function contractOperations(): Map<string, { file: string; document: string }> {
  const ops = new Map<string, { file: string; document: string }>();
  for (const file of readdirSync(OPERATIONS_DIR).filter((f) => f.endsWith('.graphql'))) {
    const doc = parse(readFileSync(path.join(OPERATIONS_DIR, file), 'utf8'));
    for (const def of doc.definitions) {
      const op = def as OperationDefinitionNode;
      if (op.kind === 'OperationDefinition' && op.name) ops.set(op.name.value, { file, document: print(op) });
    }
  }
  return ops;
}

export function operation(name: string): string {
  const op = contractOperations().get(name);
  if (!op) throw new Error(`no contract operation named ${name} in ${OPERATIONS_DIR}`);
  return op.document;
}
