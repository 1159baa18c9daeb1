import type { ExecutionResult, OperationDefinitionNode } from 'graphql';
import type { GatewayPlugin } from '@graphql-hive/gateway';
import type { Role } from '../src/auth/viewer';
import { AnswerStore, textBytes, type CachedAnswer } from '../src/cache/answerStore';
import { isCacheable, responseKey } from '../src/cache/responseKey';
import type { SegmentedLruLimits } from '../src/cache/segmentedLru';
import type { CaseDataVersionReads } from '../datasources/dataVersion';
import type { StatementRecorder } from '../src/db/sql';
import { todayCst } from '../src/clock';
import { compressNow } from '../src/http/compression';
import { GRAPHQL_VARY, cacheControlFor } from '../src/http/conditional';
import { representationOf } from '../src/http/representation';
import { requestFacts } from './contract';

/**
 * The gateway's response cache, in front of the subgraphs: an aggregate answer (the national map, a
 * drill-down) is kept as the bytes the gateway sends — text, brotli-11 and gzip made once per entry —
 * under the key `npm start` uses (src/cache/responseKey.ts): document hash, operation name, variables,
 * role, day and the case data version. The version is read where ingestion publishes it,
 * `cases.data_version` in the case datasource's database (CASE_DATABASE_URL, else DATABASE_URL), on a
 * small pool of the gateway's own, by `npm start`'s shared reads (datasources/dataVersion.ts): one
 * primary-key SELECT sent after the request arrived, shared by the requests waiting for it. A hit is
 * exact across every instance and subgraph, never older than the last committed report
 * (docs/http-caching.md).
 *
 * Personal operations are never cached (their root fields are not aggregate ones, and the request
 * policy's `personal` is checked too): every personal read reaches its subgraph and is audited.
 *
 * Every GraphQL answer of the gateway is also written here: compressed in the client's coding, a strong
 * ETag per coding on GET 200 answers, 304 on If-None-Match, `Cache-Control` per operation class and
 * `Vary` — what `npm start` does (src/http/graphqlAnswer.ts), with one decision (src/http/representation.ts).
 */
export interface GatewayResponseCacheOptions extends SegmentedLruLimits {
  enabled: boolean;
  /** The data version's reads, on the gateway's pool to the case datasource's database. */
  versions: CaseDataVersionReads;
}

/** What the gateway knows of one request's answer. */
interface Pending {
  key: string | null;
  hit?: CachedAnswer;
  /** The operation: aggregate (cacheable, public to HTTP caches) or not. */
  aggregate: boolean;
  /** The final result had errors or no data: never stored, `no-store`. */
  failed?: boolean;
}

/** The gateway counts no statements per request (its log line has its key lookups only). */
const UNRECORDED: StatementRecorder = { record: () => undefined };

export class GatewayResponseCache {
  readonly answers: AnswerStore;
  private readonly pending = new WeakMap<Request, Pending>();

  constructor(private readonly options: GatewayResponseCacheOptions) {
    this.answers = new AnswerStore(options);
  }

  /**
   * Called by the client contract (gateway/contract.ts) once a request has passed every check and
   * before it takes a turn in its class: the stand-in result of a hit (its bytes are sent by
   * `plugin()`'s onResponse), or null to execute. A cached answer takes no turn and is never shed.
   */
  async lookup(request: Request, args: { operation: OperationDefinitionNode; queryHash: string; variables: unknown; role: Role; personal: boolean }): Promise<ExecutionResult | null> {
    const aggregate = isCacheable(args.operation) && !args.personal;
    this.pending.set(request, { key: null, aggregate });
    if (!this.options.enabled || !aggregate) return null;
    // No version, no cache: the operation runs and reports the database's state itself.
    const read = await this.options.versions.read(performance.now(), UNRECORDED).catch(() => null);
    if (read === null) return null;
    const key = responseKey(args.queryHash, args.operation.name?.value ?? null, args.variables, args.role, todayCst(), read.version);
    const hit = key === null ? undefined : this.answers.get(key);
    this.pending.set(request, { key, aggregate, ...(hit ? { hit } : {}) });
    return hit ? { data: {} } : null;
  }

  /** The gateway plugin that records the final result and writes every GraphQL answer (after the contract's plugin). */
  plugin(graphqlEndpoint: string): GatewayPlugin {
    return {
      onResultProcess: ({ request, result }) => {
        const known = this.pending.get(request);
        if (!known || Array.isArray(result)) return;
        const single = result as ExecutionResult;
        known.failed = Boolean(single.errors?.length) || single.data == null;
      },
      onResponse: async ({ request, response, setResponse, fetchAPI }) => {
        if (new URL(request.url, 'http://gateway').pathname !== graphqlEndpoint) return;
        if (response.headers.has('content-encoding') || !/json/.test(response.headers.get('content-type') ?? '') || !response.body) return;
        const known = this.pending.get(request);
        const headers = lowerCaseCopy(response.headers, new fetchAPI.Headers());
        for (const field of GRAPHQL_VARY) appendVary(headers, field);
        // the contract's `no-store` for personal answers (and Yoga's own headers) have the last word
        if (!headers.has('cache-control')) {
          const facts = requestFacts(request);
          const cacheControl = cacheControlFor({
            method: request.method,
            keyed: (facts?.viewer.role ?? 'PUBLIC') !== 'PUBLIC',
            personal: facts?.policy?.personal ?? false,
            aggregate: known?.aggregate ?? false,
            errors: known?.failed ?? true,
            status: response.status,
          });
          if (cacheControl) headers.set('cache-control', cacheControl);
        }
        let answer = known?.hit;
        const body = answer ? answer.body : await response.text();
        if (answer) headers.set('x-changxing-cache', 'hit');
        else if (known?.key && known.failed === false && response.status === 200 && textBytes(body) <= this.options.maxBytes / 16) {
          answer = this.answers.set(known.key, body);
        }
        const wire = representationOf(
          { method: request.method, acceptEncoding: request.headers.get('accept-encoding'), ifNoneMatch: request.headers.get('if-none-match'), cacheControl: request.headers.get('cache-control') },
          response.status,
          body,
          answer?.etag,
        );
        if (wire.etag) headers.set('etag', wire.etag);
        headers.delete('content-length');
        if (wire.notModified) {
          headers.delete('content-type');
          setResponse(new fetchAPI.Response(null, { status: 304, headers }));
          return;
        }
        if (wire.encoding === 'identity') {
          setResponse(new fetchAPI.Response(body, { status: response.status, headers }));
          return;
        }
        headers.set('content-encoding', wire.encoding);
        const stored = answer && known?.key ? this.answers.variant(known.key, answer, wire.encoding) : undefined;
        const bytes = stored ?? (await compressNow(wire.encoding, Buffer.from(body)));
        // a Buffer is a Uint8Array, which Response takes (the DOM typings want an ArrayBuffer-backed one)
        setResponse(new fetchAPI.Response(bytes as unknown as BodyInit, { status: response.status, headers }));
      },
    };
  }
}

/**
 * The answer's headers, copied under lower-case names. `new Headers(response.headers)` is no such
 * copy in @whatwg-node/node-fetch: from a Headers made of a plain object — Yoga's
 * `{ 'Content-Type': … }` — it keeps the name `Content-Type` as it was written, where
 * `get('content-type')` does not find it. A Response made with that copy and a text body then added
 * `content-type: text/plain;charset=UTF-8` of its own, which Node wrote after Yoga's: every answer
 * sent uncompressed (under 1 KiB, or to a client that accepts no coding) went out as text/plain — what
 * four graphql-http audits of the answer's media type (22EB, 4655, 47DE, 80D8) saw — and a 304 kept
 * the Content-Type it should drop (docs/http-caching.md, "The gateway").
 */
function lowerCaseCopy(from: Headers, to: Headers): Headers {
  from.forEach((value, name) => to.append(name.toLowerCase(), value));
  return to;
}

function appendVary(headers: Headers, field: string): void {
  const current = headers.get('vary');
  if (!current) headers.set('vary', field);
  else if (!current.split(',').some((f) => f.trim().toLowerCase() === field.toLowerCase())) headers.set('vary', `${current}, ${field}`);
}
