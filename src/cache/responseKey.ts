import { createHash } from 'node:crypto';
import { Kind, type OperationDefinitionNode } from 'graphql';

/**
 * Which answers the response caches keep, and under what key: `npm start`'s and each subgraph's
 * (src/cache/responseCache.ts) and the gateway's (gateway/responseCache.ts).
 *
 * Only operations whose root fields are all in CACHEABLE_ROOT_FIELDS are cached: those read no
 * personal data, so a hit skips no audit row.
 */
export const CACHEABLE_ROOT_FIELDS: ReadonlySet<string> = new Set(['regions', 'region', 'apiInfo', '__typename']);

/** A query whose root fields are all aggregate ones (CACHEABLE_ROOT_FIELDS): cached, and public to HTTP caches. */
export function isCacheable(operation: OperationDefinitionNode): boolean {
  return (
    operation.operation === 'query' &&
    operation.selectionSet.selections.every((s) => s.kind === Kind.FIELD && CACHEABLE_ROOT_FIELDS.has(s.name.value))
  );
}

/** Dashboards send a few small variables; anything large or unserialisable is simply not cached. */
const MAX_VARIABLES_JSON = 10_000;

/**
 * The key of an answer: the document (its text, or its SHA-256), operation name (a document may hold
 * several operations), variables, role (fields visible differ by role), today (the default asOf) and
 * the case data version. Null: not cacheable (variables too large or not serialisable).
 */
export function responseKey(document: string, operationName: string | null, variables: unknown, role: string, day: string, version: string): string | null {
  let vars: string;
  try {
    vars = JSON.stringify(variables ?? {});
  } catch {
    return null; // e.g. nesting too deep to serialise
  }
  if (vars.length > MAX_VARIABLES_JSON) return null;
  return createHash('sha256').update(JSON.stringify([document, operationName, vars, role, day, version])).digest('base64url');
}
