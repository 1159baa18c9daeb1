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
