import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { Kind, parse, print, validate, type DefinitionNode, type FragmentDefinitionNode, type GraphQLSchema, type OperationDefinitionNode, visit } from 'graphql';
import { projectPath } from '../paths';

/** The manifest the server reads by default: documents/manifest.json at the project root. */
export const DEFAULT_MANIFEST_PATH = projectPath('documents', 'manifest.json');
export const OPERATIONS_DIR = projectPath('examples', 'operations');

/**
 * One trusted document. The format is Apollo's persisted query manifest
 * (`apollo-persisted-query-manifest`, version 1), so Apollo Client's persisted-query link and
 * Apollo's tooling can read it: `id` is the SHA-256 (hex) of `body`, exactly the text a client sends,
 * which is also the `extensions.persistedQuery.sha256Hash` of automatic persisted queries.
 */
export interface TrustedOperation {
  id: string;
  name: string | null;
  type: 'query' | 'mutation' | 'subscription';
  body: string;
}

export interface Manifest {
  format: 'apollo-persisted-query-manifest';
  version: 1;
  operations: TrustedOperation[];
}

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/**
 * The refusal of an automatic persisted query's extension sent with its document, else null:
 * a protocol version other than 1, or a hash that is not the document's SHA-256. Both are the
 * client's mistake, answered 400 with a code of their own before Apollo sees the request: Apollo
 * raises them without a code, so they became INTERNAL_SERVER_ERROR and an error log line (with a
 * stack) per request. Shared by `npm start` (src/http/graphqlHttp.ts) and the gateway.
 * A hash sent without a document is a lookup (PERSISTED_QUERY_NOT_FOUND when unknown), not checked here.
 */
export function persistedQueryRefusal(query: unknown, extensions: unknown): { message: string; code: 'BAD_REQUEST' | 'PERSISTED_QUERY_HASH_MISMATCH' } | null {
  // Apollo's tests, in its order: any truthy `persistedQuery`, then its version, then the hash
  const persisted = (extensions as { persistedQuery?: { version?: unknown; sha256Hash?: unknown } } | null | undefined)?.persistedQuery;
  if (!persisted) return null;
  if (persisted.version !== 1) return { message: 'Unsupported persisted query version', code: 'BAD_REQUEST' };
  if (typeof query !== 'string') return null;
  if (sha256(query) !== persisted.sha256Hash) {
    return { message: 'provided sha does not match query', code: 'PERSISTED_QUERY_HASH_MISMATCH' };
  }
  return null;
}

export function emptyManifest(): Manifest {
  return { format: 'apollo-persisted-query-manifest', version: 1, operations: [] };
}

export function readManifest(file: string = DEFAULT_MANIFEST_PATH): Manifest {
  const parsed = JSON.parse(readFileSync(file, 'utf8')) as Manifest;
  if (parsed?.format !== 'apollo-persisted-query-manifest' || parsed.version !== 1 || !Array.isArray(parsed.operations)) {
    throw new Error(`${file}: expected {"format": "apollo-persisted-query-manifest", "version": 1, "operations": [...]}`);
  }
  for (const op of parsed.operations) {
    if (sha256(op.body) !== op.id) throw new Error(`${file}: operation ${op.name ?? op.id} has id ${op.id}, but its body hashes to ${sha256(op.body)}`);
  }
  return parsed;
}

export function writeManifest(manifest: Manifest, file: string = DEFAULT_MANIFEST_PATH): void {
  writeFileSync(file, JSON.stringify(manifest, null, 2) + '\n');
}

/**
 * Splits GraphQL source into one document per operation, each printed with graphql's `print`
 * together with the fragments it uses: the exact text a client should send (tests/helpers/operations.ts
 * sends the contract operations the same way).
 */
export function operationsOf(source: string, schema?: GraphQLSchema): TrustedOperation[] {
  const document = parse(source);
  if (schema) {
    const errors = validate(schema, document);
    if (errors.length > 0) throw new Error(`invalid against the schema:\n  ${errors.map((e) => e.message).join('\n  ')}`);
  }
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const def of document.definitions) if (def.kind === Kind.FRAGMENT_DEFINITION) fragments.set(def.name.value, def);
  return document.definitions
    .filter((def): def is OperationDefinitionNode => def.kind === Kind.OPERATION_DEFINITION)
    .map((op) => {
      const definitions: DefinitionNode[] = [op, ...fragmentsUsed(op, fragments)];
      const body = print({ kind: Kind.DOCUMENT, definitions });
      return { id: sha256(body), name: op.name?.value ?? null, type: op.operation, body };
    });
}

function fragmentsUsed(op: OperationDefinitionNode, fragments: Map<string, FragmentDefinitionNode>): FragmentDefinitionNode[] {
  const used = new Map<string, FragmentDefinitionNode>();
  const walk = (node: OperationDefinitionNode | FragmentDefinitionNode) =>
    visit(node, {
      FragmentSpread(spread) {
        const fragment = fragments.get(spread.name.value);
        if (fragment && !used.has(fragment.name.value)) {
          used.set(fragment.name.value, fragment);
          walk(fragment);
        }
      },
    });
  walk(op);
  return [...used.values()].sort((a, b) => a.name.value.localeCompare(b.name.value));
}

/** Adds operations not yet in the manifest (by id); returns those added. Order: by name, then id. */
export function register(manifest: Manifest, operations: TrustedOperation[]): TrustedOperation[] {
  const known = new Set(manifest.operations.map((o) => o.id));
  const added = operations.filter((o) => !known.has(o.id) && known.add(o.id));
  manifest.operations.push(...added);
  manifest.operations.sort((a, b) => (a.name ?? '').localeCompare(b.name ?? '') || a.id.localeCompare(b.id));
  return added;
}

/** The trusted documents by id, as the server uses them. */
export function documentsById(manifest: Manifest): Map<string, string> {
  return new Map(manifest.operations.map((o) => [o.id, o.body]));
}
