import {
  getNamedType,
  getVariableValues,
  isLeafType,
  isObjectType,
  isInterfaceType,
  Kind,
  valueFromAST,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLArgument,
  type GraphQLField,
  type GraphQLNamedType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValueNode,
} from 'graphql';
import { daysBetween, isIsoDate } from '../risk/dates';
import { declaredListSizes, type ListSize, type ListSizes } from './listSize';

/**
 * Cost of an operation: the number of objects it can make the server produce, from the schema's
 * sizing rules (`@listSize`, src/limits/listSize.ts) and the operation's arguments.
 *
 *   leaf field (scalar, enum, and lists of them):  0 (its value comes with its parent's row)
 *   object field:                                   size × (1 + cost of its selections)
 *   field returning a connection (`sizedFields`):   1 + cost of its selections, where its sized
 *                                                   fields (`nodes`, `edges`) take the size
 *   size:                                           from the field's rule, else 1:
 *     slicingDateRange [from, to]   days from `from` to `to` inclusive
 *     slicingArguments              an Int's value (`first`), a list's length (`tokens`)
 *     either, clamped to 1..maxSize (out-of-range values are refused by the resolver, whose error
 *     says what the range is); maxSize when the arguments cannot be read; assumedSize without them.
 *
 * Arguments are read as execution will read them: literals, variables, and the operation's variable
 * defaults (`query($n: Int = 500)` with no variables sent costs as `first: 500`), then the
 * argument's own default. Variables that do not coerce (execution will refuse them) leave the
 * arguments that use them at their maximum.
 *
 * graphql-armor's cost-limit is not used: it reads `first` only when written as a literal, ignores
 * variable and argument defaults and list arguments, and, being a validation rule, cannot see the
 * caller's role (Apollo caches validated documents across callers).
 */
export interface CostInput {
  schema: GraphQLSchema;
  operation: OperationDefinitionNode;
  fragments: Record<string, FragmentDefinitionNode>;
  /** The variables as the client sent them (not coerced). */
  variables: Record<string, unknown> | undefined;
  /** Sizing rules (default: schema/'s). */
  sizes?: ListSizes;
}

/** An argument whose value cannot be known before execution. */
const UNKNOWN = Symbol('unknown');

export function operationCost({ schema, operation, fragments, variables, sizes = declaredListSizes() }: CostInput): number {
  const root = operation.operation === 'query' ? schema.getQueryType() : operation.operation === 'mutation' ? schema.getMutationType() : schema.getSubscriptionType();
  if (!root) return 0;
  const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], variables ?? {});
  const values = coerced.coerced ?? null;
  // Each fragment is costed once per size of the connection it is spread in: a chain of fragments
  // that each spread the next twice would otherwise take 2^n steps (the cost itself may be that
  // large; a float holds it).
  const fragmentCosts = new Map<string, number>();

  /** `sized`: the item count of a connection's sized fields, when `type` is that connection. */
  const selectionCost = (type: GraphQLNamedType, set: SelectionSetNode, inFragments: ReadonlySet<string>, sized: Sized | null): number => {
    let total = 0;
    for (const selection of set.selections) {
      if (selection.kind === Kind.FIELD) {
        total += fieldCost(type, selection, inFragments, sized);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        const on = selection.typeCondition ? schema.getType(selection.typeCondition.name.value) : type;
        if (on) total += selectionCost(on, selection.selectionSet, inFragments, on === type ? sized : null);
      } else {
        const name = selection.name.value;
        const fragment = fragments[name];
        // Cycles are refused by validation (NoFragmentCyclesRule) before this runs; the guard is belt and braces.
        if (!fragment || inFragments.has(name)) continue;
        const on = schema.getType(fragment.typeCondition.name.value);
        const inner = on === type ? sized : null;
        const memo = `${name}|${inner ? `${inner.size}:${inner.fields.join(',')}` : ''}`;
        let cost = fragmentCosts.get(memo);
        if (cost === undefined) {
          cost = on ? selectionCost(on, fragment.selectionSet, new Set([...inFragments, name]), inner) : 0;
          fragmentCosts.set(memo, cost);
        }
        total += cost;
      }
    }
    return total;
  };

  const fieldCost = (parent: GraphQLNamedType, node: FieldNode, inFragments: ReadonlySet<string>, sized: Sized | null): number => {
    const def = fieldDefinition(parent, node.name.value);
    if (!def || !node.selectionSet) return 0;
    const type = getNamedType(def.type);
    if (isLeafType(type)) return 0;
    const rule = sizes.get(`${parent.name}.${def.name}`);
    const size = sized?.fields.includes(def.name) ? sized.size : rule ? sizeOf(rule, def, node, values) : 1;
    if (size === 0) return 0;
    if (rule && rule.sizedFields.length > 0) {
      // A connection (or payload): itself once, its sized fields `size` times each.
      return 1 + selectionCost(type, node.selectionSet, inFragments, { size, fields: rule.sizedFields });
    }
    return size * (1 + selectionCost(type, node.selectionSet, inFragments, null));
  };

  return selectionCost(root, operation.selectionSet, new Set(), null);
}

interface Sized {
  size: number;
  fields: readonly string[];
}

function fieldDefinition(parent: GraphQLNamedType, name: string): GraphQLField<unknown, unknown> | undefined {
  // Meta fields (__typename, __schema, __type) and fields on unions (only __typename) cost nothing here;
  // introspection is bounded by the depth limit and switched off in production.
  return isObjectType(parent) || isInterfaceType(parent) ? parent.getFields()[name] : undefined;
}

/** The number of items a sized field can return for these arguments. */
export function sizeOf(rule: ListSize, def: GraphQLField<unknown, unknown>, node: FieldNode, variables: Record<string, unknown> | null): number {
  const max = rule.maxSize ?? Number.POSITIVE_INFINITY;
  const clamp = (n: number) => Math.min(Math.max(n, 1), max);
  if (rule.slicingDateRange) {
    const [from, to] = rule.slicingDateRange.map((name) => argumentValue(def, name, node, variables));
    if (!isIsoDate(from) || !isIsoDate(to)) return max;
    return clamp(daysBetween(from, to) + 1);
  }
  for (const name of rule.slicingArguments) {
    const value = argumentValue(def, name, node, variables);
    if (value === UNKNOWN) return max;
    if (Array.isArray(value)) return Math.min(value.length, max);
    if (typeof value === 'number' && Number.isFinite(value)) return clamp(Math.trunc(value));
  }
  if (rule.slicingArguments.length > 0) return max;
  return rule.assumedSize ?? 1;
}

/**
 * An argument's value as graphql-js' getArgumentValues reads it: the literal, else the variable's
 * coerced value (which includes the operation's default), else the argument's default when the
 * variable was neither sent nor defaulted. UNKNOWN when the variables did not coerce.
 */
function argumentValue(def: GraphQLField<unknown, unknown>, name: string, node: FieldNode, variables: Record<string, unknown> | null): unknown {
  const argDef: GraphQLArgument | undefined = def.args.find((a) => a.name === name);
  if (!argDef) return undefined;
  const argNode = node.arguments?.find((a) => a.name.value === name);
  if (!argNode) return argDef.defaultValue;
  if (variables === null) return usesVariable(argNode.value) ? UNKNOWN : valueFromAST(argNode.value, argDef.type, {});
  if (argNode.value.kind === Kind.VARIABLE && !Object.prototype.hasOwnProperty.call(variables, argNode.value.name.value)) return argDef.defaultValue;
  const value = valueFromAST(argNode.value, argDef.type, variables);
  return value === undefined ? UNKNOWN : value;
}

function usesVariable(value: ValueNode): boolean {
  if (value.kind === Kind.VARIABLE) return true;
  if (value.kind === Kind.LIST) return value.values.some(usesVariable);
  if (value.kind === Kind.OBJECT) return value.fields.some((f) => usesVariable(f.value));
  return false;
}
