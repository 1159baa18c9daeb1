import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { makeExecutableSchema } from '@graphql-tools/schema';
import type { GraphQLSchema } from 'graphql';
import { resolvers } from '../resolvers';
import { applyAuth } from './auth/directive';
import { projectPath } from './paths';

export const SCHEMA_DIR = projectPath('schema');

/** The SDL files, base first (it declares the root types that the domain files extend). */
export function loadTypeDefs(): string[] {
  const files = readdirSync(SCHEMA_DIR).filter((f) => f.endsWith('.graphql')).sort((a, b) =>
    a === 'base.graphql' ? -1 : b === 'base.graphql' ? 1 : a.localeCompare(b),
  );
  return files.map((f) => readFileSync(path.join(SCHEMA_DIR, f), 'utf8'));
}

/** The executable schema; @auth rules (schema/auth.graphql) are enforced last, over the attached resolvers. */
export function buildSchema(): GraphQLSchema {
  return applyAuth(makeExecutableSchema({ typeDefs: loadTypeDefs(), resolvers }));
}
