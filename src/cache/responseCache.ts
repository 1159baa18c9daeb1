import { HeaderMap, type ApolloServerPlugin, type GraphQLResponse } from '@apollo/server';
import type { Context } from '../context';
import { todayCst } from '../clock';
import { addDays } from '../risk/dates';
import type Redis from 'ioredis';
import type { Logger } from 'pino';
import type { SegmentedLruLimits } from './segmentedLru';
import { AnswerStore, textBytes, type CachedAnswer } from './answerStore';
import { isCacheable, responseKey } from './responseKey';

export { CACHEABLE_ROOT_FIELDS, isCacheable } from './responseKey';
import { RedisTextStore } from './redisText';
import type { CaseDataVersionReads } from '../../datasources/dataVersion';

/**
 * Whole-response cache for aggregate queries (dashboards): the national map is the same for every
 * caller of a role on a given day, and changes only when case data is ingested.
 *
 * Key: document text, operation name (a document may hold several operations), variables, role
 * (fields visible differ by role), today (the default asOf) and the case data version
 * (cases.data_version, bumped in every ingestion transaction and by the seed). The version is read
 * on the process's own connections, shared by the requests that arrived before the read was sent
 * (datasources/dataVersion.ts): one primary-key SELECT per round trip, never waiting for the
 * request class's connections (a cached answer must not wait behind the class it would be shed
 * with), and exact across instances: no instance serves an answer older than the last committed report.
 *
 * Only operations whose root fields are all in CACHEABLE_ROOT_FIELDS are cached: those read no
 * personal data, so a hit skips no audit row. Answers with errors are never stored.
 *
 * What is kept is the JSON text of an answer, not its objects: a text is the answer's size in memory
 * (2 bytes a character: V8 keeps text with Chinese characters as two-byte strings), where the objects
 * of the national map took several times its ≈ 1 MB of JSON; with it, its entity tag and, once a
 * client has asked for them, its brotli (quality 11) and gzip bytes, compressed once per entry
 * (src/cache/answerStore.ts). The cache is bounded by those bytes (`maxBytes`) and by `maxEntries`, a
 * segmented LRU (src/cache/segmentedLru.ts); an answer larger than a sixteenth of `maxBytes` is not
 * stored at all, so that one answer cannot empty the cache.
 *
 * With Redis (REDIS_URL) answers are shared: a miss stores the text there too, and an instance that
 * has not seen the key reads it and keeps it in its own cache (the key holds the version, so the
 * local copy cannot be staler than Redis). Redis failing is a miss.
 */

/**
 * Answers whose text is known: the cache's, and each answer the cache has just stored. Apollo's
 * `stringifyResult` hook (`stringifyCachedResults`) writes them from here instead of serialising
 * `data` (again). A hit's `data` is an empty stand-in object whose answer is here. Weak: a text goes
 * with its answer.
 */
const serialized = new WeakMap<object, string>();

/** The body of an answer that is `data` alone, as Apollo's stringifyResult writes it (production). */
const bodyOfData = (dataText: string) => `{"data":${dataText}}\n`;
/** The `data` text inside such a body (a slice: V8 shares the body's characters). */
const dataTextOf = (body: string) => body.slice('{"data":'.length, -'}\n'.length);

/**
 * Apollo's `stringifyResult`: what `JSON.stringify(value) + '\n'` writes, with a known body in place
 * of `data` (key order kept: Apollo orders errors, data, extensions). An answer that is `data` alone
 * (production: no diagnostics in `extensions`) is the cached body itself, the very string the cache
 * holds: src/http/graphqlAnswer.ts then sends its stored compressed bytes.
 */
export function stringifyCachedResults(value: { data?: unknown; errors?: unknown; extensions?: unknown }): string {
  const data = value.data;
  const body = typeof data === 'object' && data !== null ? serialized.get(data) : undefined;
  if (body === undefined) return `${JSON.stringify(value)}\n`;
  const members = Object.entries(value as Record<string, unknown>).filter(([, member]) => member !== undefined);
  if (members.length === 1) return body;
  return `{${members.map(([key, member]) => `${JSON.stringify(key)}:${key === 'data' ? dataTextOf(body) : JSON.stringify(member)}`).join(',')}}\n`;
}

export interface ResponseCacheOptions extends SegmentedLruLimits {
  enabled: boolean;
  /** Redis only: at most this long, and never past the end of the key's day (its key is dead then). */
  ttlSeconds: number;
}

/** Where answers are shared between instances (REDIS_URL); without it each process has its own. */
export interface SharedResponseStore {
  redis: Redis | null;
  keyPrefix: string;
  logger?: Pick<Logger, 'warn'> | null;
}

/** The answers kept in process (src/cache/answerStore.ts), bounded by count and bytes. */
export function cachedAnswers(options: SegmentedLruLimits): AnswerStore {
  return new AnswerStore(options);
}

/** A request answered from the cache: its key and entry (the HTTP layer sends the entry's stored bytes). */
export interface CacheHit {
  key: string;
  answer: CachedAnswer;
}
/**
 * By the request's SQL recorder: Apollo runs an operation on a shallow clone of the context the HTTP
 * layer made, and the recorder, made once per request, is the object both share.
 */
const hits = new WeakMap<object, CacheHit>();

/** The cache entry a request was answered from, if it was (by its context). */
export function cacheHitOf(context: Pick<Context, 'sql'>): CacheHit | undefined {
  return hits.get(context.sql);
}

export function responseCachePlugin(
  options: ResponseCacheOptions,
  versions: CaseDataVersionReads,
  store: SharedResponseStore = { redis: null, keyPrefix: '' },
  answers: AnswerStore = cachedAnswers(options),
): ApolloServerPlugin<Context> {
  // A key holds the data version, so a text in Redis can never be stale, only unused. Texts of `data`
  // alone, under `response-data:` (`response:` held whole answers, which this code does not read).
  const shared = store.redis ? new RedisTextStore(store.redis, `${store.keyPrefix}response-data:`, store.logger) : null;
  const maxEntryBytes = Math.floor(options.maxBytes / 16);
  return {
    async requestDidStart() {
      if (!options.enabled) return {};
      // the version must come from a read sent after this moment
      const arrivedAt = performance.now();
      let key: string | null = null;
      let day = '';
      let hit = false;
      return {
        async responseForOperation({ operation, source, request, contextValue }): Promise<GraphQLResponse | null> {
          // Apollo calls this even when no operation matched operationName (execution then reports it).
          if (!operation || !isCacheable(operation)) return null;
          // No version, no cache: the operation runs and reports the database's state itself.
          const read = await versions.read(arrivedAt, contextValue.sql).catch(() => null);
          if (read === null) return null;
          // the answer computed under this version must read case data at least that new
          if (read.replicaBehind) contextValue.sql.pinToPrimary('cases');
          const version = read.version;
          day = todayCst();
          key = responseKey(source, operation.name?.value ?? null, request.variables, contextValue.viewer.role, day, version);
          if (key === null) return null;
          let answer = answers.get(key);
          if (answer === undefined && shared) {
            const text = dataText(await shared.get(key));
            if (text !== undefined) answer = answers.set(key, bodyOfData(text));
          }
          if (answer === undefined) return null;
          hit = true;
          hits.set(contextValue.sql, { key, answer });
          const data = {};
          serialized.set(data, answer.body);
          return { http: { status: undefined, headers: new HeaderMap([['x-changxing-cache', 'hit']]) }, body: { kind: 'single', singleResult: { data } } };
        },
        async willSendResponse({ response }) {
          if (!key || hit || response.body.kind !== 'single') return;
          const { data, errors } = response.body.singleResult;
          if (errors?.length || !data) return;
          // Made once: stringifyCachedResults writes the answer with it.
          const body = bodyOfData(JSON.stringify(data));
          serialized.set(data, body);
          if (textBytes(body) > maxEntryBytes) return;
          answers.set(key, body);
          // Awaited, so that once this answer is sent every instance can read it (a miss costs far more).
          if (shared) await shared.set(key, dataTextOf(body), Math.min(options.ttlSeconds, secondsUntilEndOf(day)));
        },
      };
    },
  };
}

/**
 * A text read from Redis, if it is the JSON of an object: it is written into answers as it is, so
 * anything else under the key (not written by this code) is a miss, and the operation runs and
 * overwrites it. Parsed once per instance and key: afterwards the text is served from memory.
 */
function dataText(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  try {
    const data: unknown = JSON.parse(text);
    return typeof data === 'object' && data !== null && !Array.isArray(data) ? text : undefined;
  } catch {
    return undefined;
  }
}

/** Seconds from now to the end of a CST day (`YYYY-MM-DD`). */
function secondsUntilEndOf(day: string): number {
  return (Date.parse(`${addDays(day, 1)}T00:00:00+08:00`) - Date.now()) / 1000;
}
