import {
  execute,
  getVariableValues,
  GraphQLError,
  Kind,
  type DocumentNode,
  type FragmentDefinitionNode,
  type SelectionSetNode,
  type ExecutionResult,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from 'graphql';
import { compileQuery, isCompiledQuery, type CompiledQuery } from 'graphql-jit';
import { LRUCache } from 'lru-cache';
import type { GatewayExecutor, GatewayInterface } from '@apollo/server-gateway-interface';

/**
 * Which engine executes operations (GRAPHQL_EXECUTOR): `jit` compiles each distinct document once
 * into a JavaScript function (graphql-jit) and runs that; `js` is graphql-js's interpreter.
 *
 * Why jit: the national map is ≈ 45,000 field values. graphql-js walks the document for each of
 * them (field collection, argument coercion, `completeValue` dispatch, a path object each);
 * graphql-jit does that walk once per document and leaves straight-line code (docs/benchmarks.md,
 * "W1 uncached"). Both run the same resolvers of the same schema, so @auth, the response budget and
 * the look-ahead apply alike; tests/integration/executors.test.ts checks that both answer every
 * contract operation, for every role, byte for byte the same.
 *
 * What graphql-jit does differently, and what this module does about it:
 * - variable coercion: its compiled coercion words some errors differently; graphql-js's
 *   `getVariableValues` runs first, so a bad variable gets graphql-js's errors (and Apollo's 400);
 * - errors: its own GraphQLError class copies `extensions` only from the original error and has no
 *   `nodes`; each error is rebuilt as a graphql-js GraphQLError with the same message, locations,
 *   path, original error and extensions (so `formatError` sees what graphql-js gives it);
 * - a document it cannot compile is executed by graphql-js (counted by `fallbacks`);
 * - fragments: graphql-jit expands every fragment spread where it is used, where graphql-js collects
 *   a fragment once per selection set. A document of 40 fragments each spreading the next one twice
 *   passes validation and runs on graphql-js in microseconds, but expands to 2^40 selections: jit's
 *   compiler never returned (found by tests/integration/corpus.test.ts's nested-fragment case). A
 *   document whose expanded selections pass `MAX_EXPANDED_SELECTIONS` is run by graphql-js, decided
 *   by a count linear in the document's size (`expandedSelections`), before anything is compiled.
 * Function- and promise-valued properties (a connection's lazy `totalCount`, `edges`) are not called
 * or awaited by jit's inlined property reads: such fields keep a resolver (`LAZY_FIELDS`,
 * src/graphql/pagination.ts; the response budget wraps every field but plain leaves, and refuses a
 * plain leaf holding a function or a promise), and a resolver's promise is awaited.
 */
/**
 * `trusted`: jit for the trusted documents (documents/manifest.json: the contract's operations and
 * the dashboards' own), graphql-js for any other. What is compiled is then a fixed, known set: a
 * caller cannot make the server compile (a few milliseconds to tens of them per document, kept in
 * memory) by sending documents it has never seen, nor churn the compiled-document cache.
 */
export type ExecutorName = 'jit' | 'js' | 'trusted';

export interface ExecutorOptions {
  /** Compiled documents kept (least recently used dropped first). */
  maxCompiled: number;
  /** Called once per document graphql-jit cannot compile, with its reason. */
  onFallback?: (reason: string) => void;
  /** Called once per operation with the engine that ran it (metrics: `changxing_graphql_executions_total`). */
  onExecute?: (engine: 'jit' | 'js') => void;
  /** Whether a document (by its key, Apollo's queryHash) may be compiled; others run on graphql-js. Default: all. */
  compiles?: (documentKey: string) => boolean;
}

/** What the executor is asked to run: the parsed, validated document and the request's variables. */
export interface ExecutionRequest {
  schema: GraphQLSchema;
  document: DocumentNode;
  /** Undefined when Apollo resolved none (graphql-js then reports why). */
  operation: OperationDefinitionNode | undefined;
  operationName: string | null | undefined;
  /** Identifies the document text (Apollo's queryHash); the compiled-query cache's key with the operation name. */
  documentKey: string;
  variables: Record<string, unknown> | undefined;
  contextValue: unknown;
}

export type Execute = (request: ExecutionRequest) => Promise<ExecutionResult>;

/** graphql-js's execute, as Apollo Server calls it. */
export const executeWithGraphqlJs: Execute = async ({ schema, document, operationName, variables, contextValue }) =>
  execute({ schema, document, operationName, variableValues: variables, contextValue });

/** graphql-jit with a bounded cache of compiled documents; graphql-js where jit cannot compile. */
export function jitExecutor({ maxCompiled, onFallback, onExecute, compiles = () => true }: ExecutorOptions): Execute & { compiled(): number } {
  // null: jit refused this document; it is then always executed by graphql-js
  const cache = new LRUCache<string, CompiledQuery | { fallback: true }>({ max: maxCompiled });
  const compiledFor = (request: ExecutionRequest, operation: OperationDefinitionNode): CompiledQuery | null => {
    const key = `${request.operationName ?? ''}\u0000${request.documentKey}`;
    let entry = cache.get(key);
    if (entry === undefined && expandedSelections(request.document, operation, MAX_EXPANDED_SELECTIONS) > MAX_EXPANDED_SELECTIONS) {
      // not a failure of jit's: graphql-js is the right engine for it (nothing logged, counted as js)
      cache.set(key, (entry = { fallback: true }));
    }
    if (entry === undefined) {
      const result = compileQuery(request.schema, request.document, request.operationName ?? undefined);
      if (isCompiledQuery(result)) {
        entry = result;
      } else {
        entry = { fallback: true };
        onFallback?.(result.errors?.map((e) => e.message).join('; ') ?? 'unknown');
      }
      cache.set(key, entry);
    }
    return 'fallback' in entry ? null : entry;
  };
  const run: Execute = async (request) => {
    // no operation resolved (an unknown operationName, several operations and none named): graphql-js
    // returns the error Apollo turns into its 400
    const { operation } = request;
    const compiled = operation && compiles(request.documentKey) ? compiledFor(request, operation) : null;
    onExecute?.(compiled ? 'jit' : 'js');
    if (!operation || !compiled) return executeWithGraphqlJs(request);
    // graphql-js's coercion first: its errors are the ones clients (and Apollo's 400) know
    const definitions = operation.variableDefinitions ?? [];
    if (definitions.length > 0) {
      const coerced = getVariableValues(request.schema, definitions, request.variables ?? {}, { maxErrors: 50 });
      if (coerced.errors) return { errors: coerced.errors };
    }
    const result = await compiled.query(undefined, request.contextValue, request.variables ?? {});
    return result.errors?.length ? { ...result, errors: result.errors.map(asGraphQLJsError) } : result;
  };
  return Object.assign(run, { compiled: () => cache.size });
}

/**
 * Most selections a document may expand to and still be compiled. The contract's largest operation
 * expands to a few dozen; a dashboard's own with many aliases to a few hundred.
 */
export const MAX_EXPANDED_SELECTIONS = 5_000;

/**
 * The field selections of `operation` with every fragment spread expanded where it is used (what
 * graphql-jit compiles), counted up to just past `limit`: each fragment is counted once (memoised),
 * so the count costs time linear in the document however large the expansion. Fragment cycles are
 * refused by validation before execution; one met here counts as past the limit.
 */
export function expandedSelections(document: DocumentNode, operation: OperationDefinitionNode, limit: number): number {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
  const over = limit + 1;
  const counted = new Map<string, number>();
  const fragment = (name: string): number => {
    const known = counted.get(name);
    if (known !== undefined) return known;
    counted.set(name, over); // a cycle back to this fragment counts as past the limit
    const n = Math.min(selections(fragments.get(name)?.selectionSet), over);
    counted.set(name, n);
    return n;
  };
  const selections = (set: SelectionSetNode | undefined): number => {
    let n = 0;
    for (const s of set?.selections ?? []) {
      if (s.kind === Kind.FIELD) n += 1 + selections(s.selectionSet);
      else if (s.kind === Kind.INLINE_FRAGMENT) n += selections(s.selectionSet);
      else n += fragment(s.name.value);
      if (n >= over) return over;
    }
    return n;
  };
  return selections(operation.selectionSet);
}

/**
 * graphql-jit's error as graphql-js builds it: the same message, locations and path, the thrown
 * error as `originalError`, and that error's `extensions` (a FORBIDDEN thrown by @auth keeps its code).
 */
function asGraphQLJsError(error: GraphQLError): GraphQLError {
  if (Object.getPrototypeOf(error) === GraphQLError.prototype) return error;
  const original = error.originalError ?? undefined;
  const rebuilt = new GraphQLError(error.message, {
    path: error.path,
    originalError: original,
    extensions: (original as GraphQLError | undefined)?.extensions ?? error.extensions,
  });
  // graphql-js computes locations from the field nodes, which jit has already turned into locations
  (rebuilt as { locations?: GraphQLError['locations'] }).locations = error.locations;
  return rebuilt;
}

/**
 * The executor as Apollo Server's gateway (its documented seam for another executor): Apollo parses,
 * validates, runs every plugin hook and formats errors as usual, and calls this to execute. It serves
 * one fixed schema; `stop` has nothing to release.
 */
export function executorGateway(schema: GraphQLSchema, run: Execute): GatewayInterface {
  const executor: GatewayExecutor = async (rc) => {
    const result = await run({
      schema,
      document: rc.document,
      operation: rc.operation,
      operationName: rc.request.operationName ?? rc.operationName,
      documentKey: rc.queryHash,
      variables: rc.request.variables,
      contextValue: rc.context,
    });
    return result as Awaited<ReturnType<GatewayExecutor>>;
  };
  return {
    onSchemaLoadOrUpdate(callback) {
      callback({ apiSchema: schema, coreSupergraphSdl: '' });
      return () => {};
    },
    load: async () => ({ executor }),
    stop: async () => {},
  };
}

/**
 * The engine GRAPHQL_EXECUTOR names, as Apollo Server options: a gateway for jit and trusted (which
 * compiles the documents of `trusted` only, by Apollo's queryHash), the schema itself for js.
 */
export function executionOptions(
  schema: GraphQLSchema,
  name: ExecutorName,
  options: ExecutorOptions & { trusted: ReadonlyMap<string, unknown> },
): { schema: GraphQLSchema } | { gateway: GatewayInterface } {
  if (name === 'js') return { schema };
  const { trusted, ...rest } = options;
  return { gateway: executorGateway(schema, jitExecutor(name === 'trusted' ? { ...rest, compiles: (key) => trusted.has(key) } : rest)) };
}
