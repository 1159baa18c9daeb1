import { GraphQLError, getOperationAST, type ExecutionResult, type GraphQLSchema } from 'graphql';
import type { GraphQLParams } from 'graphql-yoga';
import type { GatewayPlugin } from '@graphql-hive/gateway';
import type { KeyAuthenticator, PersistedQueries } from './serverModules';
import type { Role, Viewer } from '../src/auth/viewer';
import { SqlRecorder } from '../src/db/sql';
import { costRefusal, httpOperationRefusal, limitValidationRules, type OperationLimits } from '../src/limits';
import { precheckDocument } from '../src/limits/precheck';
import { listSizeProblems } from '../src/limits/listSize';
import { idNumberOverGetMessage, policyOf, requestPolicy, rootFieldNames, type ClassLimits, type RequestClass, type RequestPolicy } from '../src/limits/requestClass';
import { AdmissionRefusal, type Admission, type Ticket } from '../src/limits/admission';
import { persistedQueryRefusal, sha256 } from '../src/documents/manifest';
import { ErrorCode } from '../src/errors';
import type { IncomingMessage } from 'node:http';
import { clientAddressOf } from '../src/http/clientAddress';
import type { GatewayResponseCache } from './responseCache';
import { bodyLimitBytes, responseBudgetRefusal } from './answers';

/**
 * What `npm start` enforces on a client's request before any resolver runs, enforced at the gateway
 * the same way, so that a client sees the same HTTP status, error code and `extensions.limit` from
 * either (tests/integration/federationLimits.test.ts), and a refused request reaches no subgraph:
 *
 *   body limit (413) and JSON          src/http/graphqlHttp.ts (express.json)
 *   tokens and gross nesting (400)     src/limits/precheck.ts
 *   CSRF prevention (400)              Apollo's csrfPrevention
 *   API key (401/503)                  src/auth/authenticate.ts, the context function of src/server.ts
 *   APQ                                Apollo's persisted queries over src/documents/trusted.ts's cache
 *   depth, aliases, directives (400)   limitValidationRules
 *   mutations over GET (405)           Apollo's message (checked on the parsed document, before
 *                                      validation, where Yoga checks it: an invalid mutation over GET
 *                                      is 405 here and 400 on `npm start`)
 *   subscriptions over HTTP (400)      httpOperationRefusal
 *   cost per role (400)                costRefusal, on the supergraph's API schema
 *   trusted documents per role (403)   trustedDocumentsPlugin
 *   bulkheads (429, 503)               src/limits/admissionPlugin.ts: the request's class, a turn in
 *                                      it, per-caller cap, shedding by the gateway's event-loop lag;
 *                                      the class and the time left go to the subgraphs
 *
 * in that order, which is Apollo's, but for CSRF prevention, checked here before the body is read
 * (Yoga answers 415 to the text/plain it cannot parse): a GET of too many tokens without a preflight
 * header is refused for CSRF here and for its tokens on `npm start`, 400 BAD_REQUEST on both. The
 * subgraphs check the key and their own limits again (defence in depth); the gateway's checks are
 * what a client meets first.
 */
export interface ContractOptions {
  limits: OperationLimits;
  authenticator: KeyAuthenticator;
  /** The trusted documents by SHA-256 (documents/manifest.json), and the roles limited to them. */
  trusted: ReadonlyMap<string, string>;
  trustedRoles: ReadonlySet<Role>;
  /** Apollo's APQ cache shape; keys carry Apollo's `apq:` prefix, so a shared Redis holds one set. */
  persistedQueries: PersistedQueries;
  graphqlEndpoint: string;
  /** TRUST_PROXY as a trust function (src/http/clientAddress.ts). */
  trustProxy: (address: string, hop: number) => boolean;
  /** Told when the supergraph has list fields schema/ does not size (every operation is then refused). */
  onUnsizedLists?: (problems: string) => void;
  /** Bulkheads (docs/limits.md, "Bulkheads and load shedding"): the gateway's own turns per class, and the classes' deadlines. */
  admission: Admission;
  classLimits: Readonly<Record<RequestClass, ClassLimits>>;
  /** The gateway's response cache (gateway/responseCache.ts): asked once a request passed every check, before it takes a turn. */
  responseCache?: Pick<GatewayResponseCache, 'lookup'>;
}

/** What the gateway learnt of one request before execution, for the checks after validation and the log line. */
export interface RequestFacts {
  viewer: Viewer;
  /** The operation's name: the client's until the document is resolved, then the operation's own. */
  operationName: string | null;
  /** Key lookups made for this request (0 when the key was cached). */
  sqlStatements: number;
  /** SHA-256 of the document received, or the APQ hash sent: what the trusted-documents check looks up. */
  queryHash: string;
  /** A document sent with its APQ hash: stored once the request passed every check (Apollo does the same). */
  register: string | null;
  /** Class, ID number lookup, personal answer (src/limits/requestClass.ts): known once the operation is. */
  policy?: RequestPolicy;
  /** When the gateway had the request's parameters; its class's deadline counts from here. */
  arrivedAt: number;
  /** Arrival + the class's deadline, once the class is known. */
  deadlineAt?: number;
  /** The request's turn in its class, given back when its answer is sent. */
  ticket?: Ticket;
}

/** The class and the milliseconds left of a request, for the subgraphs it reaches (src/federation/names.ts), else null. */
export function forwardedClass(request: Request): { requestClass: RequestClass; deadlineMs: number } | null {
  const known = facts.get(request);
  if (!known?.policy || known.deadlineAt === undefined) return null;
  return { requestClass: known.policy.requestClass, deadlineMs: Math.max(1, Math.round(known.deadlineAt - Date.now())) };
}

const facts = new WeakMap<Request, RequestFacts>();
/** Requests whose caller was refused (the error code): `npm start` logs them apart, having no role. */
const callerRefusals = new WeakMap<Request, string>();

/** The facts of a request that got as far as its parameters (null: refused earlier, or not GraphQL). */
export function requestFacts(request: Request): RequestFacts | null {
  return facts.get(request) ?? null;
}

/** The code of a request refused for its caller (UNAUTHENTICATED, SERVICE_UNAVAILABLE), else null. */
export function callerRefusal(request: Request): string | null {
  return callerRefusals.get(request) ?? null;
}

/** Apollo's prefix of APQ cache keys (requestPipeline APQ_CACHE_PREFIX). */
const APQ_PREFIX = 'apq:';

/** Apollo's CSRF prevention: requests a browser may send cross-site without a preflight. */
const NON_PREFLIGHTED_CONTENT_TYPES = ['application/x-www-form-urlencoded', 'multipart/form-data', 'text/plain'];
const PREFLIGHT_HEADERS = ['x-apollo-operation-name', 'apollo-require-preflight'];

/**
 * A request error answered with this status whatever the client accepts: Yoga answers errors it
 * marks as the GraphQL-over-HTTP spec's with 200 to application/json clients, Apollo with 400.
 */
function refusal(status: number, message: string, extensions: Record<string, unknown> = {}, headers?: Record<string, string>): GraphQLError {
  return new GraphQLError(message, { extensions: { ...extensions, http: { status, spec: false, ...(headers ? { headers } : {}) } } });
}

/** The same error with Yoga's idea of `extensions.http`: headers as a plain object, never the spec's status. */
function forYoga(error: GraphQLError): GraphQLError {
  const http = (error.extensions.http ?? {}) as { status?: number; headers?: Map<string, string> | Record<string, string> };
  const headers = http.headers instanceof Map ? Object.fromEntries(http.headers) : http.headers;
  const { http: _http, ...extensions } = error.extensions;
  return refusal(http.status ?? 400, error.message, extensions, headers);
}

/** The body as text, refused (413) as soon as it grows past `max` bytes, also without a Content-Length. */
async function readLimited(request: Request, max: number, tooLarge: () => GraphQLError): Promise<string> {
  if (!request.body) return '';
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      await reader.cancel();
      throw tooLarge();
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

const isRecord = (o: unknown): o is Record<string, unknown> => o !== null && typeof o === 'object' && !Array.isArray(o);

/** Apollo's refusal of a POST body's fields (runHttpQuery), in its words, else null. */
function postBodyRefusal(body: Record<string, unknown>): string | null {
  if (!isRecord(body) || Object.keys(body).length === 0) return 'POST body missing, invalid Content-Type, or JSON object has no keys.';
  if (body.query && typeof body.query !== 'string') return 'GraphQL queries must be strings.';
  for (const field of ['variables', 'extensions'] as const) {
    if (typeof body[field] === 'string') return `\`${field}\` in a POST body should be provided as an object, not a recursively JSON-encoded string.`;
  }
  for (const field of ['extensions', 'variables'] as const) {
    if (field in body && body[field] !== null && !isRecord(body[field])) return `\`${field}\` in a POST body must be an object if provided.`;
  }
  if ('operationName' in body && body.operationName !== null && typeof body.operationName !== 'string') return '`operationName` in a POST body must be a string if provided.';
  return null;
}

/** A GET's parameters as Apollo reads them (runHttpQuery), or its refusal in Apollo's words (400; 415 for a content type). */
function getParams(request: Request): GraphQLParams {
  const contentType = request.headers.get('content-type');
  if (contentType !== null && contentType.split(';')[0].trim().toLowerCase() !== 'application/json') {
    throw refusal(415, 'GET requests may not have a content-type header other than application/json.', { code: ErrorCode.BAD_REQUEST });
  }
  const search = new URL(request.url, 'http://gateway').searchParams;
  const bad = (message: string) => refusal(400, message, { code: ErrorCode.BAD_REQUEST });
  const once = (name: string): string | undefined => {
    const values = search.getAll(name);
    if (values.length > 1) throw bad(`The '${name}' search parameter may only be specified once.`);
    return values[0];
  };
  const object = (name: string): Record<string, unknown> | undefined => {
    const value = once(name);
    if (value === undefined) return undefined;
    let parsed: unknown;
    try {
      parsed = JSON.parse(value);
    } catch {
      throw bad(`The ${name} search parameter contains invalid JSON.`);
    }
    if (!isRecord(parsed)) throw bad(`The ${name} search parameter should contain a JSON-encoded object.`);
    return parsed;
  };
  return { query: once('query'), operationName: once('operationName'), variables: object('variables'), extensions: object('extensions') };
}

/**
 * The caller's address, from the Node request Hive's server adapter puts in the server context: the
 * socket's, or under TRUST_PROXY the nearest untrusted X-Forwarded-For entry (as express' req.ip on `npm start`).
 */
export function callerAddress(context: unknown, trust: (address: string, hop: number) => boolean): string {
  const req = (context as { req?: IncomingMessage } | null)?.req;
  return req ? clientAddressOf(req, trust) : 'unknown';
}

/**
 * The contract as one Hive plugin, made of one hook set per stage of a request (each below says
 * which of the checks listed at ContractOptions it makes). Their hooks do not overlap, so the
 * merged plugin runs them exactly as Hive would run the stages.
 */
export function useClientContract(options: ContractOptions): GatewayPlugin {
  return {
    ...useRequestBody(options),
    ...useCallerAndDocument(options),
    ...useNoStoreForPersonalAnswers(),
    ...useGetRules(),
    ...useValidationLimits(options),
    ...useCallerChecks(options),
  };
}

/** Before the body is read: CSRF prevention, the body limit (413), JSON, no batching. */
function useRequestBody(options: ContractOptions): GatewayPlugin {
  const { limits } = options;
  const maxBytes = bodyLimitBytes(limits.bodyLimit);
  const tooLarge = () => refusal(413, `The request body is larger than the limit of ${limits.bodyLimit}.`, { code: ErrorCode.BAD_REQUEST });
  const isGraphQL = (request: Request) => new URL(request.url, 'http://gateway').pathname === options.graphqlEndpoint;
  return {
    onRequestParse({ request, setRequestParser }) {
      if (!isGraphQL(request)) return;
      const contentType = request.headers.get('content-type');
      const essence = contentType?.split(';')[0].trim().toLowerCase();
      const preflighted = PREFLIGHT_HEADERS.some((h) => (request.headers.get(h) ?? '') !== '');
      if ((contentType === null || NON_PREFLIGHTED_CONTENT_TYPES.includes(essence!)) && !preflighted) {
        throw refusal(
          400,
          `This operation has been blocked as a potential Cross-Site Request Forgery (CSRF). Please either specify a 'content-type' header ` +
            `(with a type that is not one of ${NON_PREFLIGHTED_CONTENT_TYPES.join(', ')}) or provide a non-empty value for one of the following headers: ${PREFLIGHT_HEADERS.join(', ')}\n`,
          { code: ErrorCode.BAD_REQUEST },
        );
      }
      if (request.method === 'GET') {
        // the document for the token precheck now; the rest is read after the key lookup, as Apollo does
        setRequestParser((req) => {
          const search = new URL(req.url, 'http://gateway').searchParams;
          return { query: search.get('query') ?? undefined, operationName: search.get('operationName') ?? undefined };
        });
        return;
      }
      if (request.method !== 'POST' || essence !== 'application/json') return;
      const length = request.headers.get('content-length');
      if (length !== null && Number(length) > maxBytes) throw tooLarge();
      // express.json's reading: an empty body is {}, anything but an object or array is not JSON
      setRequestParser(async (req) => {
        const text = await readLimited(req, maxBytes, tooLarge);
        if (text.length === 0) return {};
        let body: unknown;
        try {
          body = JSON.parse(text);
        } catch {
          body = undefined;
        }
        if (typeof body !== 'object' || body === null) throw refusal(400, 'The request body is not valid JSON.', { code: ErrorCode.BAD_REQUEST });
        // Apollo's allowBatchedHttpRequests is off on `npm start`
        if (Array.isArray(body)) throw refusal(400, 'Operation batching disabled.', { code: ErrorCode.BAD_REQUEST });
        return body as Record<string, unknown>;
      });
    },

  };
}

/** The request's parameters: tokens and nesting, the API key (401/503), Apollo's reading of GET and POST, APQ. */
function useCallerAndDocument(options: ContractOptions): GatewayPlugin {
  const { limits, authenticator, persistedQueries } = options;
  return {
    async onParams({ params: received, request, setParams, context }) {
      let params = received;
      if (typeof params.query === 'string') {
        const refused = precheckDocument(params.query, limits);
        if (refused) throw refusal(400, refused.message, { code: refused.code, limit: refused.limit });
      }
      // as in `npm start`'s context function: the caller is known (or refused) before the document is looked at
      let viewer: Viewer;
      const sql = new SqlRecorder();
      try {
        viewer = await authenticator.viewerFor(request.headers.get('authorization') ?? undefined, callerAddress(context, options.trustProxy), sql);
      } catch (err) {
        callerRefusals.set(request, String((err as GraphQLError).extensions?.code ?? ErrorCode.INTERNAL_SERVER_ERROR));
        throw err instanceof GraphQLError ? forYoga(err) : err;
      }
      // Apollo's reading of the request's parameters, after the caller is known (its runHttpQuery runs after the context)
      if (request.method === 'GET') {
        params = getParams(request);
        setParams(params);
      } else {
        const malformed = postBodyRefusal(params as unknown as Record<string, unknown>);
        if (malformed) throw refusal(400, malformed, { code: ErrorCode.BAD_REQUEST });
      }
      const persisted = (params.extensions as { persistedQuery?: { version?: unknown; sha256Hash?: unknown } } | undefined)?.persistedQuery;
      let query = params.query;
      let queryHash: string;
      let register: string | null = null;
      if (persisted) {
        const refused = persistedQueryRefusal(query, params.extensions);
        if (refused) throw refusal(400, refused.message, { code: refused.code });
        queryHash = String(persisted.sha256Hash);
        if (query === undefined) {
          query = await persistedQueries.get(`${APQ_PREFIX}${queryHash}`);
          if (query === undefined) {
            throw refusal(200, 'PersistedQueryNotFound', { code: 'PERSISTED_QUERY_NOT_FOUND' }, { 'cache-control': 'private, no-cache, must-revalidate' });
          }
        } else {
          register = query;
        }
        // the subgraphs get the gateway's own documents; the client's APQ extension stays here
        const { persistedQuery: _sent, ...extensions } = params.extensions as Record<string, unknown>;
        setParams({ ...params, query, extensions });
      } else if (query) {
        queryHash = sha256(query);
      } else {
        throw refusal(400, 'GraphQL operations must contain a non-empty `query` or a `persistedQuery` extension.', { code: ErrorCode.BAD_REQUEST });
      }
      facts.set(request, { viewer, operationName: params.operationName ?? null, sqlStatements: sql.statements, queryHash, register, arrivedAt: Date.now() });
    },

  };
}

function useNoStoreForPersonalAnswers(): GatewayPlugin {
  return {
    // an answer about a person is kept by no cache, whatever it says (src/privacy/transport.ts)
    onResponse({ request, response }) {
      const known = facts.get(request);
      if (known?.policy?.personal) response.headers.set('cache-control', 'no-store');
      // the turn ends with the answer, also one that never finished executing (idempotent)
      known?.ticket?.release();
    },

  };
}

/** Mutations over GET (405), and ID number lookups never in a URL. */
function useGetRules(): GatewayPlugin {
  return {
    // Apollo's words for a mutation over GET; Yoga's own check (same status and code) runs after this one
    onParse({ context }) {
      return ({ result }) => {
        const { request, params } = context as { request?: Request; params?: { operationName?: string } };
        if (request?.method !== 'GET' || !result || result instanceof Error) return;
        const operation = getOperationAST(result, params?.operationName);
        if (operation && operation.operation !== 'query') {
          throw refusal(405, `GET requests only support query operations, not ${operation.operation} operations`, { code: ErrorCode.BAD_REQUEST }, { allow: 'POST' });
        }
        // an ID number never in a URL (src/privacy/transport.ts on `npm start`)
        const lookup = operation && requestPolicy('PUBLIC', rootFieldNames(result, operation)).idNumberLookup;
        if (lookup) throw refusal(405, idNumberOverGetMessage(lookup), { code: ErrorCode.BAD_REQUEST }, { allow: 'POST', 'cache-control': 'no-store' });
      };
    },

  };
}

/** Depth, aliases, directives (400), subscriptions over HTTP; parse and validation errors answered 400 as Apollo does. */
function useValidationLimits(options: ContractOptions): GatewayPlugin {
  const rules = limitValidationRules(options.limits);
  return {
    onValidate({ addValidationRule, params: { documentAST, schema }, context }) {
      for (const rule of rules) addValidationRule(rule);
      return ({ valid, setResult }) => {
        if (!valid) return;
        // role-independent, so it may be kept in Yoga's validation cache with the document
        const operation = getOperationAST(documentAST, (context as { params?: { operationName?: string } }).params?.operationName);
        const refused = operation && httpOperationRefusal(schema, operation);
        if (refused) setResult([forYoga(refused)]);
      };
    },

    // Apollo answers parse and validation errors with 400 also to application/json clients; Yoga
    // marks them as the GraphQL-over-HTTP spec's (`spec`), which it answers with 200 to those.
    onResultProcess({ result }) {
      const errors = Array.isArray(result) ? result.flatMap((r) => r.errors ?? []) : 'errors' in result ? (result.errors ?? []) : [];
      for (const error of errors) {
        const http = error.extensions?.http as { spec?: boolean } | undefined;
        if (http?.spec) http.spec = false;
      }
    },

  };
}

/** After validation, per caller: cost per role, trusted documents per role, the bulkheads, the response budget. */
function useCallerChecks(options: ContractOptions): GatewayPlugin {
  const { limits, trusted, trustedRoles, persistedQueries } = options;
  return {
    // Checks that depend on the caller run here, after validation: results set in onValidate are
    // cached per document by Yoga, whoever asked.
    async onExecute({ args, setResultAndStopExecution }) {
      const known = requestFacts((args.contextValue as { request?: Request }).request ?? ({} as Request));
      const operation = getOperationAST(args.document, args.operationName ?? undefined);
      if (!operation) return; // graphql-js reports the unknown operation itself
      // Fail closed: an execution whose request did not pass onParams (the key lookup) runs nothing.
      if (!known) {
        setResultAndStopExecution({ errors: [refusal(400, 'The request was not checked by the gateway.', { code: ErrorCode.BAD_REQUEST })] });
        return;
      }
      known.operationName = operation.name?.value ?? known.operationName;
      // Fail closed: a supergraph with a list field that schema/ does not size is priced by nothing.
      if (unsizedLists(args.schema, options.onUnsizedLists)) {
        setResultAndStopExecution({ errors: [refusal(500, 'The gateway cannot price operations on this supergraph.', { code: ErrorCode.INTERNAL_SERVER_ERROR })] });
        return;
      }
      const role = known.viewer.role;
      known.policy = policyOf(known, role, args.document, operation);
      const refused =
        costRefusal(limits, role, { schema: args.schema, document: args.document, operation, variables: args.variableValues as Record<string, unknown> | undefined }) ??
        (trustedRoles.has(role) && !trusted.has(known.queryHash)
          ? refusal(
              403,
              `Role ${role} may run only trusted documents: send one of documents/manifest.json, as its exact text or as extensions.persistedQuery.sha256Hash.`,
              { code: ErrorCode.PERSISTED_QUERY_NOT_ALLOWED },
            )
          : null);
      if (refused) {
        setResultAndStopExecution({ errors: [forYoga(refused)] });
        return;
      }
      const register = () => {
        if (known.register !== null) void persistedQueries.set(`${APQ_PREFIX}${known.queryHash}`, known.register).catch(() => undefined);
      };
      // a cached answer takes no turn and is never shed, as on `npm start` (its bytes are sent by gateway/responseCache.ts)
      const request = (args.contextValue as { request?: Request }).request;
      const cached =
        request && options.responseCache
          ? await options.responseCache.lookup(request, { operation, queryHash: known.queryHash, variables: args.variableValues, role, personal: known.policy.personal })
          : null;
      if (cached) {
        register();
        setResultAndStopExecution(cached);
        return;
      }
      // a turn in the request's class (src/limits/admission.ts), as on `npm start`, before any subgraph is asked
      const requestClass = known.policy.requestClass;
      known.deadlineAt = known.arrivedAt + options.classLimits[requestClass].deadlineMs;
      try {
        known.ticket = await options.admission.admit(requestClass, known.viewer.clientId, known.deadlineAt);
      } catch (err) {
        if (!(err instanceof AdmissionRefusal)) throw err;
        setResultAndStopExecution({ errors: [refusal(err.status, err.message, err.extensions(), { 'retry-after': String(err.retryAfterSeconds) })] });
        return;
      }
      register();
      const ticket = known.ticket;
      return {
        onExecuteDone: ({ result, setResult }) => {
          ticket.release();
          if (!isAsyncIterable(result)) enforceResponseBudget(result, role, limits, setResult);
        },
      };
    },
  };
}

/** Sizing problems of each supergraph schema the gateway has executed on, found once per schema (null: none). */
const checkedSchemas = new WeakMap<GraphQLSchema, string | null>();

function unsizedLists(schema: GraphQLSchema, report?: (problems: string) => void): string | null {
  let problems = checkedSchemas.get(schema);
  if (problems === undefined) {
    const found = listSizeProblems(schema);
    problems = found.length > 0 ? found.join('; ') : null;
    checkedSchemas.set(schema, problems);
    if (problems) report?.(problems);
  }
  return problems;
}

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return typeof (value as { [Symbol.asyncIterator]?: unknown } | null)?.[Symbol.asyncIterator] === 'function';
}

/**
 * The response budget (src/limits/responseSize.ts) on the gateway's answer: each subgraph counts its
 * own part as it builds it (and refuses over the role's budget, RESPONSE_TOO_LARGE); the merged
 * answer is counted here, before it is serialised, stopping at the budget. Either way the client
 * gets `npm start`'s answer: that one error, no data, HTTP 400.
 */
function enforceResponseBudget(result: ExecutionResult, role: Role, limits: Pick<OperationLimits, 'maxResponseBytes'>, setResult: (r: ExecutionResult) => void): void {
  const refused = responseBudgetRefusal(result, role, limits);
  if (refused) setResult({ data: null, errors: [forYoga(refused)] });
}
