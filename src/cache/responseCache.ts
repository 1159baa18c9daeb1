import { createHash } from 'node:crypto';
import { HeaderMap, type ApolloServerPlugin, type GraphQLResponse } from '@apollo/server';
import { Kind, type OperationDefinitionNode } from 'graphql';
import type { Context } from '../context';
import { todayCst } from '../clock';
import { addDays } from '../risk/dates';
import type Redis from 'ioredis';
import type { Logger } from 'pino';
import { LRUCache } from 'lru-cache';
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
 * What is kept is the JSON text of an answer's `data`, not its objects: a text is the answer's size
 * in memory (2 bytes a character: V8 keeps text with Chinese characters as two-byte strings), where
 * the objects of the national map took several times its ≈ 1 MB of JSON. The cache is bounded by
 * those bytes (`maxBytes`) and by `maxEntries`, a segmented LRU (`SegmentedTexts`); an answer larger than
 * a sixteenth of `maxBytes` is not stored at all, so that one answer cannot empty the cache.
 *
 * With Redis (REDIS_URL) answers are shared: a miss stores the text there too, and an instance that
 * has not seen the key reads it and keeps it in its own cache (the key holds the version, so the
 * local copy cannot be staler than Redis). Redis failing is a miss.
 */
export const CACHEABLE_ROOT_FIELDS: ReadonlySet<string> = new Set(['regions', 'region', 'apiInfo', '__typename']);

/**
 * JSON text of answers' `data` objects: the cache's, and each answer the cache has just stored.
 * Apollo's `stringifyResult` hook (`stringifyCachedResults`) writes `data` from here instead of
 * serialising it (again). A hit's `data` is an empty stand-in object whose text is here. Weak: a
 * text goes with its answer.
 */
const serialized = new WeakMap<object, string>();

/**
 * Apollo's `stringifyResult`: what `JSON.stringify(value) + '\n'` writes, with a known text in place
 * of `data` (key order kept: Apollo orders errors, data, extensions).
 */
export function stringifyCachedResults(value: { data?: unknown; errors?: unknown; extensions?: unknown }): string {
  const data = value.data;
  const text = typeof data === 'object' && data !== null ? serialized.get(data) : undefined;
  if (text === undefined) return `${JSON.stringify(value)}\n`;
  const members: string[] = [];
  for (const [key, member] of Object.entries(value as Record<string, unknown>)) {
    if (member === undefined) continue;
    members.push(`${JSON.stringify(key)}:${key === 'data' ? text : JSON.stringify(member)}`);
  }
  return `{${members.join(',')}}\n`;
}

/** Memory held by a cached text, in bytes. */
export const textBytes = (text: string) => 2 * text.length;

export interface ResponseCacheOptions {
  enabled: boolean;
  /** Answers kept in this process (in front of Redis when there is one). */
  maxEntries: number;
  /** Bytes of answer text kept in this process; answers over a sixteenth of it are not kept. */
  maxBytes: number;
  /** Redis only: at most this long, and never past the end of the key's day (its key is dead then). */
  ttlSeconds: number;
}

/** Where answers are shared between instances (REDIS_URL); without it each process has its own. */
export interface SharedResponseStore {
  redis: Redis | null;
  keyPrefix: string;
  logger?: Pick<Logger, 'warn'> | null;
}

/** The texts kept in process, bounded by count and bytes (exposed for tests and metrics). */
export interface ResponseTexts {
  get(key: string): string | undefined;
  set(key: string, text: string): void;
  /** Bytes held (2 per character). */
  readonly calculatedSize: number;
  /** Answers held. */
  readonly size: number;
}

/**
 * A segmented LRU: a new answer goes to a probation segment; an answer asked for again there moves to
 * the protected segment (at most three quarters of the bytes and entries), where it stays while it is
 * asked for. When the whole is over `maxBytes` or `maxEntries`, probation's least recently used answers
 * go first, protected ones only when probation is empty. So answers asked for once — what a caller
 * varying its variables makes, one per request — fill what is free and push each other out, but
 * cannot evict the national map or a drill-down that dashboards ask for every few seconds (issue 15,
 * item 8: under the attack bench the maps were computed again, and shed). An answer larger than a
 * sixteenth of `maxBytes` is not kept at all.
 */
class SegmentedTexts implements ResponseTexts {
  private readonly probation: LRUCache<string, string>;
  private readonly protectedTexts: LRUCache<string, string>;

  constructor(private readonly limits: Pick<ResponseCacheOptions, 'maxEntries' | 'maxBytes'>) {
    const segment = (share: number) =>
      new LRUCache<string, string>({
        max: Math.max(1, Math.floor(limits.maxEntries * share)),
        maxSize: Math.max(1, Math.floor(limits.maxBytes * share)),
        maxEntrySize: Math.floor(limits.maxBytes / 16),
        sizeCalculation: textBytes,
      });
    this.probation = segment(1);
    this.protectedTexts = segment(0.75);
  }

  get(key: string): string | undefined {
    const kept = this.protectedTexts.get(key);
    if (kept !== undefined) return kept;
    const once = this.probation.get(key);
    if (once !== undefined) {
      this.probation.delete(key);
      this.protectedTexts.set(key, once);
      this.trim();
    }
    return once;
  }

  set(key: string, text: string): void {
    if (this.protectedTexts.has(key)) this.protectedTexts.set(key, text);
    else this.probation.set(key, text);
    this.trim();
  }

  get calculatedSize(): number {
    return this.probation.calculatedSize + this.protectedTexts.calculatedSize;
  }

  get size(): number {
    return this.probation.size + this.protectedTexts.size;
  }

  /** Back within the bounds of the whole: probation's oldest first. */
  private trim(): void {
    while (this.calculatedSize > this.limits.maxBytes || this.size > this.limits.maxEntries) {
      if (this.probation.size > 0) this.probation.pop();
      else if (this.protectedTexts.size > 0) this.protectedTexts.pop();
      else return;
    }
  }
}

export function responseTexts(options: Pick<ResponseCacheOptions, 'maxEntries' | 'maxBytes'>): ResponseTexts {
  return new SegmentedTexts(options);
}

export function responseCachePlugin(
  options: ResponseCacheOptions,
  versions: CaseDataVersionReads,
  store: SharedResponseStore = { redis: null, keyPrefix: '' },
  texts: ResponseTexts = responseTexts(options),
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
          const material = keyMaterial(source, operation.name?.value ?? null, request.variables, contextValue.viewer.role, day, version);
          if (material === null) return null;
          key = createHash('sha256').update(material).digest('base64url');
          let text = texts.get(key);
          if (text === undefined && shared) {
            text = dataText(await shared.get(key));
            if (text !== undefined) texts.set(key, text);
          }
          if (text === undefined) return null;
          hit = true;
          const data = {};
          serialized.set(data, text);
          return { http: { status: undefined, headers: new HeaderMap([['x-changxing-cache', 'hit']]) }, body: { kind: 'single', singleResult: { data } } };
        },
        async willSendResponse({ response }) {
          if (!key || hit || response.body.kind !== 'single') return;
          const { data, errors } = response.body.singleResult;
          if (errors?.length || !data) return;
          // Made once: stringifyCachedResults writes the answer with it.
          const text = JSON.stringify(data);
          serialized.set(data, text);
          if (textBytes(text) > maxEntryBytes) return;
          texts.set(key, text);
          // Awaited, so that once this answer is sent every instance can read it (a miss costs far more).
          if (shared) await shared.set(key, text, Math.min(options.ttlSeconds, secondsUntilEndOf(day)));
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

/** Dashboards send a few small variables; anything large or unserialisable is simply not cached. */
const MAX_VARIABLES_JSON = 10_000;

function keyMaterial(source: string, operationName: string | null, variables: unknown, role: string, day: string, version: string): string | null {
  let vars: string;
  try {
    vars = JSON.stringify(variables ?? {});
  } catch {
    return null; // e.g. nesting too deep to serialise
  }
  if (vars.length > MAX_VARIABLES_JSON) return null;
  return JSON.stringify([source, operationName, vars, role, day, version]);
}

function isCacheable(operation: OperationDefinitionNode): boolean {
  return (
    operation.operation === 'query' &&
    operation.selectionSet.selections.every((s) => s.kind === Kind.FIELD && CACHEABLE_ROOT_FIELDS.has(s.name.value))
  );
}
