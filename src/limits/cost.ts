import {
  getNamedType,
  getNullableType,
  isLeafType,
  isListType,
  isObjectType,
  isInterfaceType,
  Kind,
  valueFromAST,
  type FragmentDefinitionNode,
  type GraphQLField,
  type GraphQLNamedType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type FieldNode,
} from 'graphql';

/**
 * Cost of an operation: roughly the number of objects it can make the server load.
 *
 * graphql-armor's cost-limit is not used for this: it reads `first` only when written as a literal
 * (not `first: $n`, which every client uses), ignores the schema's defaults (`children` pages 100 by
 * default) and list arguments (`checkPasses(tokens: [...])`), and, being a validation rule, cannot
 * see the caller's role (Apollo caches validated documents across callers). This walk uses the
 * schema, the argument defaults and the request's variables instead.
 *
 *   leaf field (scalar, enum):      0 (its value comes with its parent's row)
 *   object field:                   size × (1 + cost of its selections)
 *   size, in this order:            `first` (argument value or schema default, clamped to 1..MAX_PAGE);
 *                                   1 for the `nodes`/`edges` of a *Connection (its `first` counted already);
 *                                   the length of a list argument when the field returns a list
 *                                   (`checkPasses(tokens:)`); UNSIZED_LIST for any other list; else 1.
 */
export const MAX_PAGE = 5000;
export const UNSIZED_LIST = 10;

export interface CostInput {
  schema: GraphQLSchema;
  operation: OperationDefinitionNode;
  fragments: Record<string, FragmentDefinitionNode>;
  variables: Record<string, unknown> | undefined;
}

export function operationCost({ schema, operation, fragments, variables }: CostInput): number {
  const root = operation.operation === 'query' ? schema.getQueryType() : operation.operation === 'mutation' ? schema.getMutationType() : schema.getSubscriptionType();
  if (!root) return 0;
  // Each fragment is costed once: a chain of fragments that each spread the next twice would
  // otherwise take 2^n steps (the cost itself may be that large; a float holds it).
  const fragmentCosts = new Map<string, number>();

  const selectionCost = (type: GraphQLNamedType, set: SelectionSetNode, inFragments: ReadonlySet<string>): number => {
    let total = 0;
    for (const selection of set.selections) {
      if (selection.kind === Kind.FIELD) {
        total += fieldCost(type, selection, inFragments);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        const on = selection.typeCondition ? schema.getType(selection.typeCondition.name.value) : type;
        if (on) total += selectionCost(on, selection.selectionSet, inFragments);
      } else {
        const name = selection.name.value;
        const fragment = fragments[name];
        // Cycles are refused by validation (NoFragmentCyclesRule) before this runs; the guard is belt and braces.
        if (!fragment || inFragments.has(name)) continue;
        let cost = fragmentCosts.get(name);
        if (cost === undefined) {
          const on = schema.getType(fragment.typeCondition.name.value);
          cost = on ? selectionCost(on, fragment.selectionSet, new Set([...inFragments, name])) : 0;
          fragmentCosts.set(name, cost);
        }
        total += cost;
      }
    }
    return total;
  };

  const fieldCost = (parent: GraphQLNamedType, node: FieldNode, inFragments: ReadonlySet<string>): number => {
    const def = fieldDefinition(parent, node.name.value);
    if (!def || !node.selectionSet) return 0;
    const type = getNamedType(def.type);
    if (isLeafType(type)) return 0;
    const size = sizeOf(parent, def, node, variables);
    if (size === 0) return 0;
    const inner = selectionCost(type, node.selectionSet, inFragments);
    return size * (1 + inner);
  };

  return selectionCost(root, operation.selectionSet, new Set());
}

function fieldDefinition(parent: GraphQLNamedType, name: string): GraphQLField<unknown, unknown> | undefined {
  // Meta fields (__typename, __schema, __type) and fields on unions (only __typename) cost nothing here;
  // introspection is bounded by the depth limit and switched off in production.
  return isObjectType(parent) || isInterfaceType(parent) ? parent.getFields()[name] : undefined;
}

function sizeOf(parent: GraphQLNamedType, def: GraphQLField<unknown, unknown>, node: FieldNode, variables: Record<string, unknown> | undefined): number {
  const argument = (name: string) => {
    const argDef = def.args.find((a) => a.name === name);
    if (!argDef) return undefined;
    const argNode = node.arguments?.find((a) => a.name.value === name);
    return argNode ? valueFromAST(argNode.value, argDef.type, variables) : argDef.defaultValue;
  };
  if (def.args.some((a) => a.name === 'first')) {
    const first = argument('first');
    // Out-of-range pages are left to the resolver, whose error says what the range is.
    return typeof first === 'number' && Number.isFinite(first) ? Math.min(Math.max(Math.trunc(first), 1), MAX_PAGE) : 1;
  }
  const returnsList = isListType(getNullableType(def.type));
  if (!returnsList) return 1;
  if (parent.name.endsWith('Connection')) return 1;
  for (const argDef of def.args) {
    if (!isListType(getNullableType(argDef.type))) continue;
    const value = argument(argDef.name);
    if (Array.isArray(value)) return value.length;
  }
  return UNSIZED_LIST;
}
