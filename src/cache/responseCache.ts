import { createHash } from 'node:crypto';
import { HeaderMap, type ApolloServerPlugin, type GraphQLResponse } from '@apollo/server';
import { Kind, type OperationDefinitionNode } from 'graphql';
import type { Context } from '../context';
import { todayCst } from '../clock';
import { addDays } from '../risk/dates';
import type Redis from 'ioredis';
import type { Logger } from 'pino';
import { RedisTextStore } from './redisText';

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
 *
 * With Redis (REDIS_URL) answers are shared: a miss stores the answer's JSON text there, and an
 * instance that has not seen the key reads and parses it once, then keeps it in its own small LRU
 * (the key holds the version, so the local copy cannot be staler than Redis). Redis failing is a miss.
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
  /** Answers kept in this process (in front of Redis when there is one). */
  maxEntries: number;
  /** Redis only: at most this long, and never past the end of the key's day (its key is dead then). */
  ttlSeconds: number;
}

/** Where answers are shared between instances (REDIS_URL); without it each process has its own. */
export interface SharedResponseStore {
  redis: Redis | null;
  keyPrefix: string;
  logger?: Pick<Logger, 'warn'> | null;
}

export function responseCachePlugin(options: ResponseCacheOptions, store: SharedResponseStore = { redis: null, keyPrefix: '' }): ApolloServerPlugin<Context> {
  // Map iteration order is insertion order: re-inserting on a hit makes it a small LRU.
  const entries = new Map<string, Record<string, unknown>>();
  const remember = (key: string, data: Record<string, unknown>) => {
    entries.delete(key);
    entries.set(key, data);
    if (entries.size > options.maxEntries) entries.delete(entries.keys().next().value as string);
  };
  // A key holds the data version, so a text in Redis can never be stale, only unused.
  const shared = store.redis ? new RedisTextStore(store.redis, `${store.keyPrefix}response:`, store.logger) : null;
  return {
    async requestDidStart() {
      if (!options.enabled) return {};
      let key: string | null = null;
      let day = '';
      let hit = false;
      return {
        async responseForOperation({ operation, source, request, contextValue }): Promise<GraphQLResponse | null> {
          // Apollo calls this even when no operation matched operationName (execution then reports it).
          if (!operation || !isCacheable(operation)) return null;
          // No version, no cache: the operation runs and reports the database's state itself.
          const version = await contextValue.sources.cases.dataVersion().catch(() => null);
          if (version === null) return null;
          day = todayCst();
          const material = keyMaterial(source, request.variables, contextValue.viewer.role, day, version);
          if (material === null) return null;
          key = createHash('sha256').update(material).digest('base64url');
          const data = entries.get(key) ?? (shared ? await fromShared(shared, key) : undefined);
          if (!data) return null;
          hit = true;
          remember(key, data);
          return { http: { status: undefined, headers: new HeaderMap([['x-changxing-cache', 'hit']]) }, body: { kind: 'single', singleResult: { data } } };
        },
        async willSendResponse({ response }) {
          if (!key || hit || response.body.kind !== 'single') return;
          const { data, errors } = response.body.singleResult;
          if (errors?.length || !data) return;
          remember(key, data);
          cachedData.add(data);
          if (!shared) return;
          // Apollo writes `{ data }` exactly so (stringifyCachedResults): the text is made once, here.
          const text = `${JSON.stringify({ data })}\n`;
          serialized.set(data, text);
          // Awaited, so that once this answer is sent every instance can read it (a miss costs far more).
          await shared.set(key, text, Math.min(options.ttlSeconds, secondsUntilEndOf(day)));
        },
      };
    },
  };
}

/** An answer stored by another instance: parsed once, and its text kept for `stringifyCachedResults`. */
async function fromShared(shared: RedisTextStore, key: string): Promise<Record<string, unknown> | undefined> {
  const text = await shared.get(key);
  if (text === undefined) return undefined;
  let data: unknown;
  try {
    data = (JSON.parse(text) as { data?: unknown }).data;
  } catch {
    return undefined; // not written by us: run the operation and overwrite it
  }
  if (typeof data !== 'object' || data === null) return undefined;
  serialized.set(data, text);
  return data as Record<string, unknown>;
}

/** Seconds from now to the end of a CST day (`YYYY-MM-DD`). */
function secondsUntilEndOf(day: string): number {
  return (Date.parse(`${addDays(day, 1)}T00:00:00+08:00`) - Date.now()) / 1000;
}

/** Dashboards send a few small variables; anything large or unserialisable is simply not cached. */
const MAX_VARIABLES_JSON = 10_000;

function keyMaterial(source: string, variables: unknown, role: string, day: string, version: string): string | null {
  let vars: string;
  try {
    vars = JSON.stringify(variables ?? {});
  } catch {
    return null; // e.g. nesting too deep to serialise
  }
  if (vars.length > MAX_VARIABLES_JSON) return null;
  return JSON.stringify([source, vars, role, day, version]);
}

function isCacheable(operation: OperationDefinitionNode): boolean {
  return (
    operation.operation === 'query' &&
    operation.selectionSet.selections.every((s) => s.kind === Kind.FIELD && CACHEABLE_ROOT_FIELDS.has(s.name.value))
  );
}
