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
import type { FormattedExecutionResult } from 'graphql';
import { SingleFlight, type SingleFlightLimits, type Turn } from './singleFlight';
import { AdmissionRefusal, type RefusalReason } from '../limits/admission';
import { refusalResponse } from '../limits/admissionPlugin';
import type { ClassLimits, RequestClass } from '../limits/requestClass';
import type { Metrics } from '../observability/metrics';

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
 *
 * While an answer is being computed, requests with its key wait for it instead of computing it
 * again (`responseCachePlugin`, src/cache/singleFlight.ts).
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
  /** Bounds of the requests waiting for an answer being computed (src/cache/singleFlight.ts). */
  coalesce: SingleFlightLimits;
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

/** What a computation ended with, for the requests that waited for it (src/cache/singleFlight.ts). */
type Computed =
  /** Its answer's body, and the cache's entry for it unless the answer is too large to keep. */
  | { kind: 'answer'; body: string; entry: CachedAnswer | undefined }
  /** An answer with errors, or none: each waiter is answered the same, with its status and Retry-After. */
  | { kind: 'failure'; result: Pick<FormattedExecutionResult, 'data' | 'errors'>; status: number | undefined; retryAfter: string | undefined };

type Lead = Extract<Turn<Computed>, { kind: 'lead' }>;

/** How long a leading request without a deadline (none outside HTTP) may go unheard of before a newcomer leads. */
const UNBOUNDED_LEAD_MS = 60_000;

export interface ResponseCacheParts {
  options: ResponseCacheOptions;
  versions: CaseDataVersionReads;
  store?: SharedResponseStore;
  answers?: AnswerStore;
  /** A caller may wait for as many answers at once as it may run requests of its class (`perCaller`). */
  classLimits: Readonly<Record<RequestClass, Pick<ClassLimits, 'perCaller'>>>;
  metrics?: Pick<Metrics, 'observeCacheLookup' | 'observeRefused' | 'watchCoalescing'>;
}

/**
 * Identical requests computed once (single flight, issue 15): while the answer under a key is being
 * computed, a request with that key waits for it (until its own deadline) instead of taking a turn
 * of its class and computing it again; it is answered the same bytes (`x-changxing-cache:
 * coalesced`), or, when that computation failed or was refused for load, the same failure. A
 * computation refused for its own caller's count (`caller_limit`) is not shared: the first waiter
 * computes instead, the others wait for it. Waiting takes no turn and no connection.
 */
export function responseCachePlugin({ options, versions, store = { redis: null, keyPrefix: '' }, answers = cachedAnswers(options), classLimits, metrics }: ResponseCacheParts): ApolloServerPlugin<Context> {
  // A key holds the data version, so a text in Redis can never be stale, only unused. Texts of `data`
  // alone, under `response-data:` (`response:` held whole answers, which this code does not read).
  const shared = store.redis ? new RedisTextStore(store.redis, `${store.keyPrefix}response-data:`, store.logger) : null;
  const maxEntryBytes = Math.floor(options.maxBytes / 16);
  const flights = new SingleFlight<Computed>(options.coalesce);
  metrics?.watchCoalescing(flights);
  /** The computation each leading request owes its waiters, by its request context (the same object in every hook). */
  const leads = new WeakMap<object, Lead>();
  return {
    async requestDidStart(requestContext) {
      if (!options.enabled) return {};
      // the version must come from a read sent after this moment
      const arrivedAt = performance.now();
      let key: string | null = null;
      let day = '';
      // answered from a stored answer or another request's computation: nothing to store
      let answered = false;
      /** The answer `body` as a response (its entry, if kept, is what the HTTP layer sends the bytes of). */
      const answerWith = (contextValue: Context, body: string, entry: CachedAnswer | undefined, result: 'hit' | 'coalesced'): GraphQLResponse => {
        answered = true;
        metrics?.observeCacheLookup(result);
        if (entry && key) hits.set(contextValue.sql, { key, answer: entry });
        const data = {};
        serialized.set(data, body);
        return { http: { status: undefined, headers: new HeaderMap([['x-changxing-cache', result]]) }, body: { kind: 'single', singleResult: { data } } };
      };
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
          const kept = answers.get(key);
          if (kept !== undefined) return answerWith(contextValue, kept.body, kept, 'hit');
          const turn = await flights.turn(key, waitFor(contextValue, classLimits));
          if (turn.kind === 'shared' || turn.kind === 'deadline') {
            answered = true;
            if (turn.kind === 'deadline') return waitedPastDeadline(contextValue);
            const computed = turn.value;
            return computed.kind === 'answer' ? answerWith(contextValue, computed.body, computed.entry, 'coalesced') : sharedFailure(computed);
          }
          if (turn.kind === 'lead') leads.set(requestContext, turn);
          if (shared) {
            const text = dataText(await shared.get(key));
            if (text !== undefined) {
              const entry = answers.set(key, bodyOfData(text));
              settle(requestContext, { kind: 'answer', body: entry.body, entry });
              return answerWith(contextValue, entry.body, entry, 'hit');
            }
          }
          metrics?.observeCacheLookup(turn.kind === 'lead' ? 'miss' : 'uncoalesced');
          return null;
        },
        async willSendResponse({ response }) {
          if (!key || answered) return;
          if (response.body.kind !== 'single') return void abandon(requestContext);
          const { data, errors } = response.body.singleResult;
          if (errors?.length || !data) {
            // the caller's own count is not the waiters': the next one computes instead
            if (errors?.some((e) => e.extensions?.reason === ('caller_limit' satisfies RefusalReason))) abandon(requestContext);
            else settle(requestContext, { kind: 'failure', result: { data, errors }, status: response.http.status, retryAfter: response.http.headers.get('retry-after') });
            return;
          }
          // Made once: stringifyCachedResults writes the answer with it.
          const body = bodyOfData(JSON.stringify(data));
          serialized.set(data, body);
          const entry = textBytes(body) > maxEntryBytes ? undefined : answers.set(key, body);
          settle(requestContext, { kind: 'answer', body, entry });
          // Awaited, so that once this answer is sent every instance can read it (a miss costs far more).
          if (entry && shared) await shared.set(key, dataTextOf(body), Math.min(options.ttlSeconds, secondsUntilEndOf(day)));
        },
      };
    },
    // a plugin threw before the answer was made (no willSendResponse): the waiters must not wait for it
    async unexpectedErrorProcessingRequest({ requestContext }) {
      abandon(requestContext);
    },
  };

  function settle(requestContext: object, computed: Computed): void {
    leads.get(requestContext)?.settle(computed);
    leads.delete(requestContext);
  }

  function abandon(requestContext: object): void {
    leads.get(requestContext)?.abandon();
    leads.delete(requestContext);
  }

  /** A waiter answered with the failure of the computation it waited for: the same answer, status and Retry-After. */
  function sharedFailure(computed: Extract<Computed, { kind: 'failure' }>): GraphQLResponse {
    metrics?.observeCacheLookup('coalesced_failure');
    const headers = new HeaderMap([['x-changxing-cache', 'coalesced']]);
    if (computed.retryAfter) headers.set('retry-after', computed.retryAfter);
    const { data, errors } = computed.result;
    return { http: { status: computed.status, headers }, body: { kind: 'single', singleResult: { data, errors: errors && [...errors] } } };
  }

  /** The refusal of a waiter whose deadline passed first: what admission answers a request that waited as long for a turn. */
  function waitedPastDeadline(contextValue: Context): GraphQLResponse {
    const lane = contextValue.lane!;
    const requestClass = lane.requestClass!;
    metrics?.observeCacheLookup('deadline');
    metrics?.observeRefused(requestClass, 'deadline');
    const ms = lane.deadlineAt - lane.arrivedAt;
    return refusalResponse(
      new AdmissionRefusal(`The request waited past its deadline of ${ms} ms for the same answer, being computed for another request; retry later.`, requestClass, 'deadline', 503, 'SERVICE_UNAVAILABLE', 2),
    );
  }
}

/**
 * How one request waits for an answer in flight: until its own deadline (its class's, from its
 * arrival: src/db/lane.ts), counted against its caller's share of its class (a key, a PUBLIC address;
 * a subgraph's fetch is the gateway's, not counted). The flight it leads is joined until twice its
 * deadline from its arrival: past that its end is taken to be lost.
 */
function waitFor(contextValue: Context, classLimits: ResponseCacheParts['classLimits']) {
  const lane = contextValue.lane;
  const requestClass = lane?.requestClass ?? null;
  const deadlineAt = lane?.deadlineAt ?? Number.POSITIVE_INFINITY;
  return {
    caller: contextValue.forwarded ? null : contextValue.viewer.clientId,
    callerLimit: requestClass ? classLimits[requestClass].perCaller : Number.POSITIVE_INFINITY,
    deadlineAt,
    expiresAt: lane && Number.isFinite(deadlineAt) ? 2 * deadlineAt - lane.arrivedAt : Date.now() + UNBOUNDED_LEAD_MS,
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
