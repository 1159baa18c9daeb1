import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { parse, print, type OperationDefinitionNode } from 'graphql';
import { DEMO_PEOPLE, NOBODY_ID_NUMBER } from '../../src/seed/demoPeople';
import { todayCst } from '../../src/clock';
import { addDays } from '../../src/risk/dates';

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

/**
 * Variables to run each contract operation with against the demo seed (`tokens`: passes issued to the
 * demo people, for the checks). Ingestion inputs are refused (userErrors: an unknown region, a
 * cluster of one), so suites that share the seeded data leave it as it was.
 */
export function contractVariables(name: string, tokens: string[]): Record<string, unknown>[] {
  const today = todayCst();
  const people = DEMO_PEOPLE.map((p) => ({ name: p.name, idNumber: p.idNumber }));
  switch (name) {
    case 'NationalRiskMap':
      return [{}, { asOf: addDays(today, -3) }];
    case 'ProvinceDrilldown':
      return [{ code: '420000', from: addDays(today, -6), to: today }];
    case 'CountyInflows':
      return [{ code: '420106', days: 7 }];
    case 'PersonRecord':
      return [...people.map((p) => ({ idNumber: p.idNumber })), { idNumber: NOBODY_ID_NUMBER }];
    case 'ReportDailyCases':
      return [{ input: [{ regionCode: '999999', date: today, newConfirmed: 1 }] }];
    case 'ReportCluster':
      return [{ input: { regionCode: '420106', detectedOn: today, size: 1 } }];
    case 'CheckPass':
      return [...tokens.map((token) => ({ token })), { token: 'not-a-pass' }];
    case 'CheckPasses':
      return [{ tokens: [...tokens, 'not-a-pass'] }];
    case 'IssuePass':
    case 'CloseContactCheck':
      return [...people, { name: '王红', idNumber: NOBODY_ID_NUMBER }];
    default:
      throw new Error(`no variables for contract operation ${name}: add them to contractVariables (tests/helpers/operations.ts)`);
  }
}
