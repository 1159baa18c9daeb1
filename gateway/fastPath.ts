import http from 'node:http';
import { randomUUID } from 'node:crypto';
import Negotiator from 'negotiator';
import { getVariableValues, type ExecutionResult, type GraphQLError, type GraphQLSchema } from 'graphql';
import type { Logger } from 'pino';
import { Counter, type Histogram } from 'prom-client';
import type { Role } from '../src/auth/viewer';
import { SqlRecorder } from '../src/db/sql';
import { costRefusal, type OperationLimits } from '../src/limits';
import { requestPolicy, type ClassLimits, type RequestClass } from '../src/limits/requestClass';
import { AdmissionRefusal, type Admission, type Ticket } from '../src/limits/admission';
import { sha256 } from '../src/documents/manifest';
import { clientAddressOf } from '../src/http/clientAddress';
import { compressNow } from '../src/http/compression';
import { cacheControlFor, GRAPHQL_VARY } from '../src/http/conditional';
import { representationOf } from '../src/http/representation';
import { CLIENT_ADDRESS_HEADER, DEADLINE_HEADER, REQUEST_CLASS_HEADER, SUBGRAPH_SECRET_HEADER, type SubgraphName } from '../src/federation/names';
import type { Metrics } from '../src/observability/metrics';
import { ErrorCode } from '../src/errors';
import type { KeyAuthenticator } from './serverModules';
import { bodyLimitBytes, recordRequest, responseBudgetRefusal, responseTooLargeRefusal } from './answers';
import type { SingleSubgraphOperation } from './singleSubgraph';

export interface FastPathOptions {
  /** Trusted documents that one subgraph answers whole, by SHA-256 (gateway/singleSubgraph.ts). */
  operations: ReadonlyMap<string, SingleSubgraphOperation>;
  /** The supergraph's schema: variables are coerced and costs counted on it, as in Hive's path. */
  supergraph: GraphQLSchema;
  urls: Record<SubgraphName, string>;
  secret: string;
  graphqlEndpoint: string;
  limits: OperationLimits;
  authenticator: KeyAuthenticator;
  admission: Admission;
  classLimits: Readonly<Record<RequestClass, ClassLimits>>;
  trustProxy: (address: string, hop: number) => boolean;
  metrics: Metrics;
  logger: Logger;
}

/** The subgraph answer's headers a client gets as they are: a refusal's wait, its scheme, its methods. */
const RELAYED_HEADERS = ['retry-after', 'www-authenticate', 'allow'];

/** What became of a forwarded operation. */
type Upstream = { status: number; headers: http.IncomingHttpHeaders; text: string } | 'unreachable' | 'too large';

/** How long past a request's deadline the gateway still waits for its subgraph's own refusal (503). */
const UPSTREAM_GRACE_MS = 1_000;

/**
 * The most a subgraph's answer may hold for a role, in bytes: twice the role's budget for its data
 * (errors and JSON escapes come on top of it) and 64 KiB.
 */
function upstreamByteCap(budgetBytes: number): number {
  return 2 * budgetBytes + 64 * 1024;
}

/** A request the fast path hands to Hive's path, its body already read. */
type Fallback = (req: http.IncomingMessage, res: http.ServerResponse) => void;

/**
 * The gateway's fast path: a trusted operation that one subgraph answers whole — a partner's pass
 * check, a holder's self-service — is forwarded as it is and its answer sent back, without Hive's
 * planner, executor and plugin pipeline, which cost ≈ 0.9 ms of the gateway's CPU per pass check
 * against ≈ 0.35 ms for the whole check on `npm start` (docs/benchmarks.md).
 *
 * It makes the checks of gateway/contract.ts that a clean request meets, with the same functions:
 * body limit and JSON, the API key, the trusted document (validated, depth- and token-checked once
 * at start), variables coerced and the cost counted on the supergraph, a turn in the request's
 * class (refused as there: 429/503 with Retry-After), the class and deadline sent on, the response
 * budget, `no-store` for personal answers, compression, the request id, the log line and metrics.
 * Anything else — another media type, an unknown or mismatched document, a refused key, bad
 * variables, a cost over budget — goes to Hive's path with the body already read, and is answered
 * there exactly as before; so every refusal keeps one implementation.
 *
 * The subgraph's answer is relayed with its status: the subgraph is `npm start`'s code, so its 401,
 * 429 and 503 are the single server's (gateway/server.ts maps them the same way on Hive's path).
 * Its `extensions` (statement counts outside production) are dropped, as Hive drops them.
 */
export class FastPath {
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: Infinity, scheduling: 'lifo' });
  private readonly maxBodyBytes: number;
  private fetchHistogram: Histogram | null | undefined;
  /** Candidates (a POST of JSON to /graphql) by what became of them: forwarded here, or handed to Hive's path. */
  private readonly taken: Counter<'path'>;

  constructor(private readonly options: FastPathOptions) {
    this.maxBodyBytes = bodyLimitBytes(options.limits.bodyLimit);
    this.taken = new Counter({
      name: 'changxing_gateway_fast_path_requests_total',
      help: 'GraphQL POSTs the gateway read for its fast path, by path taken: fast (forwarded to the one subgraph that answers it) or hive (handed to Hive)',
      labelNames: ['path'],
      registers: [options.metrics.registry],
    });
  }

  /**
   * Takes a request that may be a fast one and returns true (it then answers it, or hands it to
   * `fallback`), or returns false at once for every other request. Decided on the headers alone:
   * a POST of application/json to the GraphQL endpoint with a Content-Length within the body limit,
   * from a client that accepts application/json (Yoga answers application/graphql-response+json
   * to one that asks for it).
   */
  handle(req: http.IncomingMessage, res: http.ServerResponse, fallback: Fallback): boolean {
    if (req.method !== 'POST' || req.url !== this.options.graphqlEndpoint || this.options.operations.size === 0) return false;
    const essence = req.headers['content-type']?.split(';')[0].trim().toLowerCase();
    if (essence !== 'application/json' || !acceptsPlainJson(req.headers.accept)) return false;
    const length = Number(req.headers['content-length']);
    if (!Number.isInteger(length) || length <= 0 || length > this.maxBodyBytes) return false;
    const started = process.hrtime.bigint();
    readBody(req, length).then(
      (body) => {
        if (body === null) return; // the client went away
        this.serve(req, res, body, started).then(
          (served) => {
            this.taken.inc({ path: served ? 'fast' : 'hive' });
            if (!served) replay(req, res, body, fallback);
          },
          (err: unknown) => {
            this.options.logger.error({ err }, 'gateway fast path failed');
            if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json; charset=utf-8' }).end(errorBody('Internal server error.', { code: ErrorCode.INTERNAL_SERVER_ERROR }));
            else res.destroy();
          },
        );
      },
      () => res.destroy(),
    );
    return true;
  }

  /** Answers the request and returns true, or returns false (nothing sent, no turn held) for Hive's path. */
  private async serve(req: http.IncomingMessage, res: http.ServerResponse, body: Buffer, started: bigint): Promise<boolean> {
    const { options } = this;
    const params = fastParams(body);
    const entry = params && options.operations.get(params.hash);
    if (!params || !entry || (params.operationName != null && params.operationName !== entry.name)) return false;
    const address = clientAddressOf(req, options.trustProxy);
    const sql = new SqlRecorder();
    const viewer = await options.authenticator.viewerFor(req.headers.authorization, address, sql).catch(() => null);
    if (!viewer) return false;
    const role = viewer.role;
    const coerced = getVariableValues(options.supergraph, entry.operation.variableDefinitions ?? [], params.variables ?? {});
    if (coerced.errors) return false;
    const variables = coerced.coerced;
    if (costRefusal(options.limits, role, { schema: options.supergraph, document: entry.document, operation: entry.operation, variables })) return false;
    const policy = requestPolicy(role, entry.rootFields);
    const arrivedAt = Date.now();
    const deadlineAt = arrivedAt + options.classLimits[policy.requestClass].deadlineMs;
    const requestId = typeof req.headers['x-request-id'] === 'string' && req.headers['x-request-id'] !== '' ? req.headers['x-request-id'] : randomUUID();
    const answer = async (status: number, text: string, codes: string[], noData: boolean, relayed: Record<string, string> = {}) => {
      await this.send(req, res, { status, text, role, personal: policy.personal, failed: codes.length > 0 || noData, requestId, relayed });
      recordRequest(options.logger, options.metrics, {
        requestId,
        role,
        operationName: entry.name,
        durationSeconds: Number(process.hrtime.bigint() - started) / 1e9,
        sqlStatements: sql.statements,
        codes,
        noData,
      });
    };
    // an answer of one error of the gateway's own, with its code in the log line
    const refuse = (status: number, message: string, extensions: Record<string, unknown>, headers?: Record<string, string>) =>
      answer(status, errorBody(message, extensions), [String(extensions.code)], true, headers);
    let ticket: Ticket;
    try {
      ticket = await options.admission.admit(policy.requestClass, viewer.clientId, deadlineAt);
    } catch (err) {
      if (!(err instanceof AdmissionRefusal)) throw err;
      await refuse(err.status, err.message, err.extensions(), { 'retry-after': String(err.retryAfterSeconds) });
      return true;
    }
    let upstream: Upstream;
    try {
      upstream = await this.forward(entry, params.variables, { deadlineAt, maxBytes: upstreamByteCap(options.limits.maxResponseBytes[role]) }, {
        authorization: req.headers.authorization,
        [SUBGRAPH_SECRET_HEADER]: options.secret,
        [CLIENT_ADDRESS_HEADER]: address,
        [REQUEST_CLASS_HEADER]: policy.requestClass,
        [DEADLINE_HEADER]: String(Math.max(1, Math.round(deadlineAt - Date.now()))),
        'x-request-id': requestId,
      });
    } finally {
      ticket.release();
    }
    if (upstream === 'unreachable') {
      await refuse(503, `The ${entry.subgraph} subgraph is unavailable.`, { code: ErrorCode.SERVICE_UNAVAILABLE }, { 'retry-after': '2' });
      return true;
    }
    if (upstream === 'too large') {
      const refused = responseTooLargeRefusal(role, options.limits);
      await refuse(400, refused.message, publicExtensions(refused));
      return true;
    }
    const relayed: Record<string, string> = {};
    for (const name of RELAYED_HEADERS) {
      const value = upstream.headers[name];
      if (typeof value === 'string') relayed[name] = value;
    }
    // A clean answer is sent as the subgraph wrote it (less Apollo's final newline); one that may
    // carry errors or extensions is read, to log its codes, drop its extensions and apply the budget.
    // The markers cannot occur inside a string value (its quotes are escaped there): a false hit only costs the parse.
    const text = upstream.text.trimEnd();
    const maxBytes = options.limits.maxResponseBytes[role];
    if (upstream.status === 200 && text.startsWith('{"data":') && !text.includes('"errors"') && !text.includes('"extensions"') && Buffer.byteLength(text) <= maxBytes) {
      await answer(200, text, [], false, relayed);
      return true;
    }
    const result = parseResult(text);
    if (!result) {
      await refuse(502, `The ${entry.subgraph} subgraph sent an answer that is not GraphQL.`, { code: ErrorCode.INTERNAL_SERVER_ERROR });
      return true;
    }
    const tooLarge = responseBudgetRefusal(result, role, options.limits);
    if (tooLarge) {
      await refuse(400, tooLarge.message, publicExtensions(tooLarge));
      return true;
    }
    const codes = (result.errors ?? []).map((e) => String(e.extensions?.code ?? ErrorCode.INTERNAL_SERVER_ERROR));
    await answer(upstream.status, JSON.stringify(asHiveWrites(result, entry.subgraph)), codes, result.data == null, relayed);
    return true;
  }

  /**
   * POSTs the operation to its subgraph on a kept-alive connection. Its answer; `unreachable` when
   * it could not be asked or did not answer by the request's deadline and a grace period (the
   * subgraph stops its own statements at the deadline and answers 503 itself); `too large` past
   * `maxBytes`, read no further (the subgraph applies the same budget: only a faulty one sends more).
   */
  private forward(
    entry: SingleSubgraphOperation,
    variables: Record<string, unknown> | null | undefined,
    bounds: { deadlineAt: number; maxBytes: number },
    headers: Record<string, string | undefined>,
  ): Promise<Upstream> {
    const payload = `{"query":${entry.textJson},"operationName":${JSON.stringify(entry.name)},"variables":${JSON.stringify(variables ?? {})}}`;
    const url = this.options.urls[entry.subgraph];
    const sent = performance.now();
    const outgoing: http.OutgoingHttpHeaders = { 'content-type': 'application/json', accept: 'application/json', 'content-length': Buffer.byteLength(payload) };
    for (const [name, value] of Object.entries(headers)) if (value !== undefined) outgoing[name] = value;
    return new Promise((resolve) => {
      let size = 0;
      const request = http.request(url, { method: 'POST', agent: this.agent, headers: outgoing }, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (c: Buffer) => {
          size += c.length;
          if (size > bounds.maxBytes) {
            resolve('too large');
            request.destroy();
            return;
          }
          chunks.push(c);
        });
        response.on('end', () => {
          this.observeFetch(url, response.statusCode ?? 0, response.statusMessage ?? '', (performance.now() - sent) / 1000);
          resolve({ status: response.statusCode ?? 502, headers: response.headers, text: Buffer.concat(chunks).toString('utf8') });
        });
        response.on('error', () => resolve('unreachable'));
      });
      const timer = setTimeout(() => request.destroy(new Error('the subgraph did not answer in time')), Math.max(0, bounds.deadlineAt - Date.now()) + UPSTREAM_GRACE_MS);
      request.on('close', () => clearTimeout(timer));
      request.on('error', () => resolve('unreachable'));
      request.end(payload);
    });
  }

  /** Hive's subgraph fetch histogram (graphql_gateway_fetch_duration), kept whichever path made the fetch. */
  private observeFetch(url: string, statusCode: number, statusText: string, seconds: number): void {
    if (this.fetchHistogram === undefined) {
      this.fetchHistogram = (this.options.metrics.registry.getSingleMetric('graphql_gateway_fetch_duration') as Histogram | undefined) ?? null;
    }
    this.fetchHistogram?.observe({ url, method: 'POST', statusCode, statusText }, seconds);
  }

  /** Writes an answer as gateway/responseCache.ts writes Hive's: Vary, Cache-Control, the client's coding, the request id. */
  private async send(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    a: { status: number; text: string; role: Role; personal: boolean; failed: boolean; requestId: string; relayed: Record<string, string> },
  ): Promise<void> {
    if (res.destroyed) return;
    const headers: http.OutgoingHttpHeaders = { 'content-type': 'application/json; charset=utf-8', vary: GRAPHQL_VARY.join(', '), 'x-request-id': a.requestId, ...a.relayed };
    const cacheControl = cacheControlFor({ method: 'POST', keyed: a.role !== 'PUBLIC', personal: a.personal, aggregate: false, errors: a.failed, status: a.status });
    if (cacheControl) headers['cache-control'] = cacheControl;
    const wire = representationOf({ method: 'POST', acceptEncoding: req.headers['accept-encoding'] }, a.status, a.text);
    let bytes: Buffer | string = a.text;
    if (wire.encoding !== 'identity') {
      bytes = await compressNow(wire.encoding, Buffer.from(a.text));
      headers['content-encoding'] = wire.encoding;
    }
    headers['content-length'] = Buffer.byteLength(bytes);
    res.writeHead(a.status, headers).end(bytes);
  }
}

/** The parameters of a POST body the fast path can take, or null (then Hive's path reads them). */
function fastParams(body: Buffer): { hash: string; operationName: string | null | undefined; variables: Record<string, unknown> | null | undefined } | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    return null;
  }
  if (!isRecord(parsed)) return null;
  const { query, operationName, variables, extensions, ...rest } = parsed;
  if (Object.keys(rest).length > 0) return null;
  if (query !== undefined && typeof query !== 'string') return null;
  if (operationName != null && typeof operationName !== 'string') return null;
  if (variables != null && !isRecord(variables)) return null;
  let sent: string | undefined;
  if (extensions != null) {
    // only Apollo's APQ extension, version 1, naming a document the gateway has
    if (!isRecord(extensions) || Object.keys(extensions).length !== 1 || !isRecord(extensions.persistedQuery)) return null;
    const { version, sha256Hash, ...others } = extensions.persistedQuery;
    if (version !== 1 || typeof sha256Hash !== 'string' || Object.keys(others).length > 0) return null;
    sent = sha256Hash;
  }
  const hash = typeof query === 'string' ? sha256(query) : sent;
  if (hash === undefined || (sent !== undefined && sent !== hash)) return null;
  return { hash, operationName, variables: variables as Record<string, unknown> | null | undefined };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * The client takes application/json before application/graphql-response+json, as negotiated by
 * Accept (negotiator, q-values included; no Accept: the first): otherwise Yoga, on Hive's path,
 * answers in the other media type, or refuses.
 */
function acceptsPlainJson(accept: string | undefined): boolean {
  return new Negotiator({ headers: { accept } }).mediaType(GRAPHQL_MEDIA_TYPES) === 'application/json';
}
const GRAPHQL_MEDIA_TYPES = ['application/json', 'application/graphql-response+json'];

/** The body of a request whose Content-Length is `length`, or null when the client left before sending it. */
function readBody(req: http.IncomingMessage, length: number): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      chunks.push(c);
    });
    req.on('end', () => resolve(size === length ? Buffer.concat(chunks, size) : null));
    req.on('close', () => resolve(null));
    req.on('error', reject);
  });
}

/**
 * Hands a request whose body was read here to Hive's path: its server adapter (@whatwg-node/server)
 * takes a body already read from `req.body`, as it does behind express' body parser.
 */
function replay(req: http.IncomingMessage, res: http.ServerResponse, body: Buffer, fallback: Fallback): void {
  (req as http.IncomingMessage & { body?: Buffer }).body = body;
  fallback(req, res);
}

function parseResult(text: string): ExecutionResult | null {
  try {
    const parsed: unknown = JSON.parse(text);
    return isRecord(parsed) && ('data' in parsed || 'errors' in parsed) ? (parsed as ExecutionResult) : null;
  } catch {
    return null;
  }
}

/**
 * A subgraph's answer as Hive's path writes it: data first, each error without the subgraph
 * document's `locations` and with the subgraph's name in `extensions.serviceName`.
 */
function asHiveWrites(result: ExecutionResult, subgraph: SubgraphName): Record<string, unknown> {
  const errors = result.errors?.map(({ locations: _locations, ...error }) => ({ ...error, extensions: { ...error.extensions, serviceName: subgraph } }));
  if (!('data' in result)) return { errors };
  return errors ? { data: result.data, errors } : { data: result.data };
}

/** A GraphQL answer of one error, as Yoga writes the gateway's refusals. */
function errorBody(message: string, extensions: Record<string, unknown>): string {
  return JSON.stringify({ errors: [{ message, extensions }] });
}

/** An error's extensions without the HTTP part, which no client sees. */
function publicExtensions(error: GraphQLError): Record<string, unknown> {
  const { http: _http, ...rest } = error.extensions;
  return rest;
}
