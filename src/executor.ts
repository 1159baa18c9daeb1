import {
  execute,
  getVariableValues,
  GraphQLError,
  type DocumentNode,
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
 * - a document it cannot compile is executed by graphql-js (counted by `fallbacks`).
 * Promise-valued properties (a connection's lazy `totalCount`) are not awaited by jit's inlined
 * property reads; every field of this schema has a resolver (the response budget wraps them all,
 * src/limits/responseSize.ts), and a resolver's promise is awaited.
 */
export type ExecutorName = 'jit' | 'js';

export interface ExecutorOptions {
  /** Compiled documents kept (least recently used dropped first). */
  maxCompiled: number;
  /** Called once per document graphql-jit cannot compile, with its reason. */
  onFallback?: (reason: string) => void;
  /** Called once per operation with the engine that ran it (metrics: `changxing_graphql_executions_total`). */
  onExecute?: (engine: ExecutorName) => void;
}

/** What the executor is asked to run: the parsed, validated document and the request's variables. */
export interface ExecutionRequest {
  schema: GraphQLSchema;
  document: DocumentNode;
  operation: OperationDefinitionNode;
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
export function jitExecutor({ maxCompiled, onFallback, onExecute }: ExecutorOptions): Execute & { compiled(): number } {
  // null: jit refused this document; it is then always executed by graphql-js
  const cache = new LRUCache<string, CompiledQuery | { fallback: true }>({ max: maxCompiled });
  const compiledFor = (request: ExecutionRequest): CompiledQuery | null => {
    const key = `${request.operationName ?? ''}\u0000${request.documentKey}`;
    let entry = cache.get(key);
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
    const compiled = compiledFor(request);
    onExecute?.(compiled ? 'jit' : 'js');
    if (!compiled) return executeWithGraphqlJs(request);
    // graphql-js's coercion first: its errors are the ones clients (and Apollo's 400) know
    const definitions = request.operation.variableDefinitions ?? [];
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

/** The engine GRAPHQL_EXECUTOR names, as Apollo Server options: a gateway for jit, the schema itself for js. */
export function executionOptions(schema: GraphQLSchema, name: ExecutorName, options: ExecutorOptions): { schema: GraphQLSchema } | { gateway: GatewayInterface } {
  return name === 'js' ? { schema } : { gateway: executorGateway(schema, jitExecutor(options)) };
}
