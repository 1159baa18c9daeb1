import { GraphQLError, Kind, type DocumentNode, type FragmentDefinitionNode, type GraphQLSchema, type OperationDefinitionNode, type ValidationContext, type ValidationRule } from 'graphql';
import type { ApolloServerPlugin } from '@apollo/server';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { maxDirectivesRule } from '@escape.tech/graphql-armor-max-directives';
import type { Role, Viewer } from '../auth/viewer';
import { ErrorCode } from '../errors';
import { operationCost } from './cost';
import type { ListSizes } from './listSize';
import { ResponseBudget, responseTooLarge } from './responseSize';

export { ResponseBudget } from './responseSize';

/**
 * Bounds on what one request may ask for (docs/limits.md). Depth, aliases, directives
 * and tokens are checked before execution for everyone; the cost budget depends on the caller's role.
 */
export interface OperationLimits {
  maxDepth: number;
  maxAliases: number;
  maxDirectives: number;
  /** Lexical tokens per document: bounds parse and validation work before any other rule runs. */
  maxTokens: number;
  /** Request body limit of express.json, e.g. '1mb'; larger bodies are answered 413. */
  bodyLimit: string;
  /** Cost budget per role (src/limits/cost.ts), derived from the contract operations (src/limits/contract.ts). */
  maxCost: Record<Role, number>;
  /** Largest answer per role, in bytes of JSON (src/limits/responseSize.ts). */
  maxResponseBytes: Record<Role, number>;
}

const MB = 1024 * 1024;

export const DEFAULT_LIMITS: OperationLimits = {
  maxDepth: 12,
  maxAliases: 20,
  maxDirectives: 10,
  maxTokens: 5000,
  bodyLimit: '1mb',
  // The largest contract operation each role runs × 1.25 (src/limits/contract.ts; a test keeps these
  // equal to what the operations derive): ProvinceDrilldown over 30 days costs 640,202; partners
  // check at most 1,000 passes. Bulk data is the CSV export's (GOV, HEALTH), not GraphQL's.
  maxCost: { PUBLIC: 810_000, PARTNER: 1_300, GOV: 810_000, HEALTH: 810_000, CARRIER: 13_000 },
  // The national map is ≈ 1 MB of JSON, DashboardCounties ≈ 1.2 MB; 1,000 pass checks ≈ 0.3 MB.
  maxResponseBytes: { PUBLIC: 4 * MB, PARTNER: 1 * MB, GOV: 8 * MB, HEALTH: 8 * MB, CARRIER: 1 * MB },
};

/** Codes of limit errors besides QUERY_TOO_COMPLEX. */
export const BAD_REQUEST = ErrorCode.BAD_REQUEST;

function tooComplex(message: string, limit: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: ErrorCode.QUERY_TOO_COMPLEX, limit, http: { status: 400 } } });
}

/**
 * graphql-armor's rules report "Syntax Error: Query depth limit of 12 exceeded, found 13." and, by
 * default, throw out of `validate` (which Apollo answers with a 500). Here they only report, through
 * `onReject`, an error in this API's words: "depth 13 exceeds the limit of 12".
 */
function armored(limit: string, n: number, rule: (options: any) => ValidationRule): ValidationRule {
  return rule({
    n,
    exposeLimits: true,
    propagateOnRejection: false,
    // Every alias counts, __typename's too (armor exempts it by default): 1,500 of them are 1,500 fields.
    allowList: [],
    // Fragments do not count as a level of depth: only fields nest data.
    flattenFragments: true,
    onReject: [
      (context: ValidationContext | null, error: GraphQLError) => {
        const found = /found (\d+)/.exec(error.message)?.[1] ?? '?';
        context?.reportError(tooComplex(`${limit} ${found} exceeds the limit of ${n}`, limit));
      },
    ],
  });
}

/** Role-independent validation rules: they run once per distinct document (Apollo caches the result). */
export function limitValidationRules(limits: OperationLimits): ValidationRule[] {
  return [
    armored('depth', limits.maxDepth, maxDepthRule),
    armored('aliases', limits.maxAliases, maxAliasesRule),
    armored('directives', limits.maxDirectives, maxDirectivesRule),
  ];
}

/** The QUERY_TOO_COMPLEX error when an operation's cost exceeds the role's budget, else null (HTTP and WebSocket). */
export function costRefusal(
  limits: Pick<OperationLimits, 'maxCost'>,
  role: Role,
  {
    schema,
    document,
    operation,
    variables,
    sizes,
  }: { schema: GraphQLSchema; document: DocumentNode; operation: OperationDefinitionNode; variables?: Record<string, unknown> | null; sizes?: ListSizes },
): GraphQLError | null {
  const budget = limits.maxCost[role];
  const fragments: Record<string, FragmentDefinitionNode> = {};
  for (const def of document.definitions) if (def.kind === Kind.FRAGMENT_DEFINITION) fragments[def.name.value] = def;
  const cost = operationCost({ schema, operation, fragments, variables: variables ?? undefined, sizes });
  if (cost <= budget) return null;
  const shown = Number.isFinite(cost) && cost < 1e15 ? String(Math.round(cost)) : 'more than 10^15';
  return new GraphQLError(
    `cost ${shown} exceeds the limit of ${budget} for role ${role}; ask for smaller pages (first), shorter date ranges (from–to) ` +
      'or fewer nested lists; bulk daily figures are served as CSV by GET /export/daily.csv (role GOV or HEALTH)',
    { extensions: { code: ErrorCode.QUERY_TOO_COMPLEX, limit: 'cost', cost: Number.isFinite(cost) ? Math.round(cost) : null, maxCost: budget, http: { status: 400 } } },
  );
}

/** A budget for one request's answer: `responseBudget` of its context (src/limits/responseSize.ts). */
export function responseBudgetFor(limits: Pick<OperationLimits, 'maxResponseBytes'>, role: Role): ResponseBudget {
  return new ResponseBudget(limits.maxResponseBytes[role], role);
}

/**
 * The answer to send when a request's answer went over its response budget: that one error, no
 * data (what was built is dropped; the fields after the limit gave placeholders without running),
 * HTTP 400 like the other limits. Null when the budget held.
 */
export function responseBudgetRefusal(budget: ResponseBudget | null | undefined): GraphQLError | null {
  return budget?.exceeded ? responseTooLarge(budget.maxBytes, budget.role) : null;
}

/**
 * The error for an operation HTTP does not run, else null: one of a type the schema lacks, or a
 * subscription. Shared with the gateway (gateway/contract.ts), whose supergraph has no subscriptions
 * but must answer a subscription as `npm start` does.
 */
export function httpOperationRefusal(schema: GraphQLSchema, operation: OperationDefinitionNode): GraphQLError | null {
  // Subscriptions are served over WebSocket only (src/subscriptions); over HTTP they would run as a query.
  if (operation.operation === 'subscription') {
    return new GraphQLError('Subscriptions are served over WebSocket (graphql-transport-ws protocol) at /graphql, not over HTTP.', {
      extensions: { code: ErrorCode.BAD_REQUEST, http: { status: 400 } },
    });
  }
  // graphql-js 16 lets `mutation { … }` through validation on a schema without mutations and fails
  // in execute (an internal error); graphql-js 17's KnownOperationTypesRule refuses it.
  if (!schema.getRootType(operation.operation)) {
    return new GraphQLError(`This API has no ${operation.operation} operations.`, {
      extensions: { code: 'GRAPHQL_VALIDATION_FAILED', http: { status: 400 } },
    });
  }
  return null;
}

/**
 * The per-role cost budget, and the public codes of limit errors.
 *
 * Cost is checked in `didResolveOperation`: after validation (so the document is known to be valid and
 * bounded by the rules above), with the request's variables (`first: $n`) and the viewer's role.
 *
 * Apollo wraps every validation error as GRAPHQL_VALIDATION_FAILED; `didEncounterErrors` runs
 * before errors are formatted, and restores QUERY_TOO_COMPLEX on errors of the rules above.
 * Tokens and gross nesting are checked before Apollo parses (src/limits/precheck.ts); graphql-js'
 * `maxTokens` parse option stays on as a backstop (answered GRAPHQL_PARSE_FAILED).
 */
// Typed by the part of the context it reads: the gateway's type program (gateway/) imports this
// module, and src/context.ts's imports do not type-check there (Hive declares its own error extensions).
export function operationLimitsPlugin(
  limits: OperationLimits,
  { subgraph = false }: { subgraph?: boolean } = {},
): ApolloServerPlugin<{ viewer: Viewer; responseBudget?: ResponseBudget | null }> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ schema, document, operation, request, contextValue }) {
          if (!operation) return; // Apollo answers "unknown operation" itself
          const refusal = httpOperationRefusal(schema, operation) ?? costRefusal(limits, contextValue.viewer.role, { schema, document, operation, variables: request.variables });
          if (refusal) throw refusal;
        },
        // Runs before the request log's and the response cache's hooks (plugin order in src/server.ts),
        // so both see the refusal, not the partial answer.
        async willSendResponse({ response, contextValue }) {
          const refusal = responseBudgetRefusal(contextValue.responseBudget);
          if (!refusal || response.body.kind !== 'single') return;
          response.body.singleResult = { data: null, errors: [refusal.toJSON()] };
          // A subgraph answers 200: the gateway reads the code and answers its client itself (gateway/contract.ts).
          if (!subgraph) response.http.status = 400;
        },
        async didEncounterErrors({ errors }) {
          for (const error of errors) {
            const original = error.originalError;
            if (original instanceof GraphQLError && original !== error && original.extensions.code === ErrorCode.QUERY_TOO_COMPLEX) {
              const extensions = error.extensions as Record<string, unknown>;
              extensions.code = ErrorCode.QUERY_TOO_COMPLEX;
              extensions.limit = original.extensions.limit;
            }
          }
        },
      };
    },
  };
}
