import { createHash } from 'node:crypto';
import { HeaderMap, type ApolloServerPlugin, type GraphQLResponse } from '@apollo/server';
import { Kind, type OperationDefinitionNode } from 'graphql';
import type { Context } from '../context';
import { todayCst } from '../clock';

/**
 * Whole-response cache for aggregate queries (dashboards): the national map is the same for every
 * caller of a role on a given day, and changes only when case data is ingested.
 *
 * Key: document text, variables, role (fields visible differ by role), today (the default asOf)
 * and the case data version (cases.data_version, bumped in every ingestion transaction and by the
 * seed). Reading the version costs one primary-key SELECT per request, and makes invalidation exact
 * across instances: no instance can serve an answer older than the last committed report.
 *
 * Only operations whose root fields are all in CACHEABLE_ROOT_FIELDS are cached: those read no
 * personal data, so a hit skips no audit row. Answers with errors are never stored.
 */
export const CACHEABLE_ROOT_FIELDS: ReadonlySet<string> = new Set(['regions', 'region', 'apiInfo', '__typename']);

/**
 * JSON text of cached answers, by their `data` object. A hit would otherwise stringify the whole
 * national map again (≈ 1 MB, ≈ 10 ms of CPU): Apollo's `stringifyResult` hook
 * (`stringifyCachedResults`) looks the text up here instead. Weak: an evicted answer's text goes
 * with it.
 */
const serialized = new WeakMap<object, string>();
/** `data` objects held by a cache: their text is worth keeping once computed. */
const cachedData = new WeakSet<object>();

/**
 * Apollo's `stringifyResult`: the stored text of a cached answer, else what Apollo itself writes
 * (`JSON.stringify(value) + '\n'`). Only an answer that is exactly `{ data }` (no errors, no
 * extensions) is looked up or kept, so a text can never stand for anything but its data.
 */
export function stringifyCachedResults(value: { data?: unknown; errors?: unknown; extensions?: unknown }): string {
  const plain = value.errors === undefined && value.extensions === undefined && typeof value.data === 'object' && value.data !== null;
  const known = plain ? serialized.get(value.data as object) : undefined;
  if (known !== undefined) return known;
  const text = `${JSON.stringify(value)}\n`;
  if (plain && cachedData.has(value.data as object)) serialized.set(value.data as object, text);
  return text;
}

export interface ResponseCacheOptions {
  enabled: boolean;
  maxEntries: number;
}

export function responseCachePlugin(options: ResponseCacheOptions): ApolloServerPlugin<Context> {
  // Map iteration order is insertion order: re-inserting on a hit makes it a small LRU.
  const entries = new Map<string, Record<string, unknown>>();
  return {
    async requestDidStart() {
      if (!options.enabled) return {};
      let key: string | null = null;
      let hit = false;
      return {
        async responseForOperation({ operation, source, request, contextValue }): Promise<GraphQLResponse | null> {
          // Apollo calls this even when no operation matched operationName (execution then reports it).
          if (!operation || !isCacheable(operation)) return null;
          // No version, no cache: the operation runs and reports the database's state itself.
          const version = await contextValue.sources.cases.dataVersion().catch(() => null);
          if (version === null) return null;
          const material = keyMaterial(source, request.variables, contextValue.viewer.role, version);
          if (material === null) return null;
          key = createHash('sha256').update(material).digest('base64url');
          const data = entries.get(key);
          if (!data) return null;
          hit = true;
          entries.delete(key);
          entries.set(key, data);
          return { http: { status: undefined, headers: new HeaderMap([['x-changxing-cache', 'hit']]) }, body: { kind: 'single', singleResult: { data } } };
        },
        async willSendResponse({ response }) {
          if (!key || hit || response.body.kind !== 'single') return;
          const { data, errors } = response.body.singleResult;
          if (errors?.length || !data) return;
          entries.set(key, data);
          cachedData.add(data);
          if (entries.size > options.maxEntries) entries.delete(entries.keys().next().value as string);
        },
      };
    },
  };
}

/** Dashboards send a few small variables; anything large or unserialisable is simply not cached. */
const MAX_VARIABLES_JSON = 10_000;

function keyMaterial(source: string, variables: unknown, role: string, version: string): string | null {
  let vars: string;
  try {
    vars = JSON.stringify(variables ?? {});
  } catch {
    return null; // e.g. nesting too deep to serialise
  }
  if (vars.length > MAX_VARIABLES_JSON) return null;
  return JSON.stringify([source, vars, role, todayCst(), version]);
}

function isCacheable(operation: OperationDefinitionNode): boolean {
  return (
    operation.operation === 'query' &&
    operation.selectionSet.selections.every((s) => s.kind === Kind.FIELD && CACHEABLE_ROOT_FIELDS.has(s.name.value))
  );
}
