import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { projectPath } from './paths';

/**
 * The SDL files of schema/, read without the resolvers: the gateway's program (gateway/) reads the
 * sizing rules of list fields from them (src/limits/listSize.ts) and cannot type-check the resolvers.
 */
export const SCHEMA_DIR = projectPath('schema');

/** The SDL files, base first (it declares the root types that the domain files extend). */
export function loadTypeDefs(): string[] {
  const files = readdirSync(SCHEMA_DIR).filter((f) => f.endsWith('.graphql')).sort((a, b) =>
    a === 'base.graphql' ? -1 : b === 'base.graphql' ? 1 : a.localeCompare(b),
  );
  return files.map((f) => readFileSync(path.join(SCHEMA_DIR, f), 'utf8'));
}
