import {
  buildASTSchema,
  getNamedType,
  Kind,
  parse,
  specifiedRules,
  TypeInfo,
  validate,
  valueFromASTUntyped,
  visit,
  visitWithTypeInfo,
  type ConstDirectiveNode,
  type DocumentNode,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from 'graphql';
import { limitValidationRules, type OperationLimits } from '../src/limits';
import { precheckDocument } from '../src/limits/precheck';
import { isCacheable } from '../src/cache/responseKey';
import { rootFieldNames } from '../src/limits/requestClass';
import { parseSubgraphName, type SubgraphName } from '../src/federation/names';

/** A trusted document that one subgraph answers whole: the gateway may forward it as it is (gateway/fastPath.ts). */
export interface SingleSubgraphOperation {
  /** SHA-256 of the text: its id in documents/manifest.json, and its APQ hash. */
  hash: string;
  text: string;
  /** `text` as a JSON string, ready for the subgraph request's body. */
  textJson: string;
  document: DocumentNode;
  operation: OperationDefinitionNode;
  name: string | null;
  subgraph: SubgraphName;
  rootFields: readonly string[];
}

/** The supergraph SDL as a schema client documents are validated and priced on (its join__ directives kept on the AST). */
export function supergraphSchema(sdl: string): GraphQLSchema {
  return buildASTSchema(parse(sdl), { assumeValidSDL: true });
}

/**
 * The trusted documents that the gateway can send to one subgraph unchanged and answer with that
 * subgraph's answer: each has one operation, a query or a mutation, that passes the gateway's own
 * checks that depend on the document alone (tokens and nesting, validation with the depth, alias
 * and directive limits), is not an aggregate the response cache keeps (those take the cache's
 * path), and whose every field, through every fragment, one subgraph resolves — by the supergraph's
 * join directives, which Hive's planner reads: a field's `@join__field(graph:)` (not `external`,
 * without `requires`), else its type's `@join__type(graph:)`. Such an operation's query plan is one
 * fetch of that subgraph; any other stays on Hive's planner.
 */
export function singleSubgraphOperations(trusted: ReadonlyMap<string, string>, supergraph: GraphQLSchema, limits: OperationLimits): Map<string, SingleSubgraphOperation> {
  const graphNames = joinGraphNames(supergraph);
  const gatewayRules = [...specifiedRules, ...limitValidationRules(limits)];
  const out = new Map<string, SingleSubgraphOperation>();
  for (const [hash, text] of trusted) {
    if (precheckDocument(text, limits)) continue;
    let document: DocumentNode;
    try {
      document = parse(text);
    } catch {
      continue;
    }
    const operations = document.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
    if (operations.length !== 1) continue;
    const [operation] = operations;
    if (operation.operation === 'subscription' || isCacheable(operation)) continue;
    if (validate(supergraph, document, gatewayRules).length > 0) continue;
    const owners = graphsResolvingAll(supergraph, document);
    // shareable fields may leave several: any of them answers the whole alike
    const owner = [...owners].map((g) => graphNames.get(g)).find((name) => name !== undefined);
    if (!owner) continue;
    out.set(hash, {
      hash,
      text,
      textJson: JSON.stringify(text),
      document,
      operation,
      name: operation.name?.value ?? null,
      subgraph: owner,
      rootFields: rootFieldNames(document, operation),
    });
  }
  return out;
}

/** join__Graph's values (e.g. PERSON) by subgraph name (person), from their `@join__graph(name:)`. */
function joinGraphNames(supergraph: GraphQLSchema): Map<string, SubgraphName> {
  const names = new Map<string, SubgraphName>();
  const graphs = supergraph.getType('join__Graph');
  for (const value of graphs?.astNode?.kind === Kind.ENUM_TYPE_DEFINITION ? (graphs.astNode.values ?? []) : []) {
    const name = argument(value.directives?.find((d) => d.name.value === 'join__graph'), 'name');
    if (typeof name === 'string') names.set(value.name.value, parseSubgraphName(name));
  }
  return names;
}

/** The join__Graph values that resolve every field the document selects (empty: none does alone). */
function graphsResolvingAll(supergraph: GraphQLSchema, document: DocumentNode): Set<string> {
  const typeInfo = new TypeInfo(supergraph);
  let common: Set<string> | null = null;
  visit(
    document,
    visitWithTypeInfo(typeInfo, {
      Field(node) {
        if (node.name.value.startsWith('__')) return;
        const parent = typeInfo.getParentType();
        const field = typeInfo.getFieldDef();
        if (!parent || !field) {
          common = new Set();
          return;
        }
        const joinFields = (field.astNode?.directives ?? []).filter((d) => d.name.value === 'join__field');
        const graphs = new Set<string>();
        if (joinFields.length > 0) {
          for (const d of joinFields) {
            const graph = argument(d, 'graph');
            if (typeof graph === 'string' && argument(d, 'external') !== true && argument(d, 'requires') === undefined) graphs.add(graph);
          }
        } else {
          const typeNode = getNamedType(parent).astNode;
          for (const d of typeNode?.directives ?? []) {
            const graph = d.name.value === 'join__type' ? argument(d, 'graph') : undefined;
            if (typeof graph === 'string') graphs.add(graph);
          }
        }
        const before: Set<string> | null = common;
        common = before === null ? graphs : new Set([...before].filter((g) => graphs.has(g)));
      },
    }),
  );
  return common ?? new Set();
}

function argument(directive: ConstDirectiveNode | undefined, name: string): unknown {
  const arg = directive?.arguments?.find((a) => a.name.value === name);
  return arg ? valueFromASTUntyped(arg.value) : undefined;
}
