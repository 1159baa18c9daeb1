/**
 * Worst-case operations at the edge of each role's cost budget, generated from the schema's sizing
 * rules (`@listSize`, schema/cost.graphql) and the cost calculator (src/limits/cost.ts), not picked
 * by hand: what an attacker who has read the schema and the README's cost table would send.
 *
 * Two sources of shapes, per role:
 * - chains of sized fields reachable from Query for the role (@auth), found by a beam search on their
 *   largest possible cost; of each last sized field (`Region.daily`, `Region.children`, …) both the
 *   chain that can cost most and the shallowest one (which puts the whole budget on real data:
 *   every county × many days). The last type's leaf fields are all selected, for the most bytes.
 * - the contract queries of documents/manifest.json (their other variables from CONTRACT_USES), the
 *   only documents a role under trusted documents (PARTNER) may send.
 * Each shape is then sized by one number k (every `first`/list length min(k, maxSize), every date
 * range min(k, maxSize) days): `within` is the largest k whose cost fits the budget, `over` the next
 * (when the shape can exceed the budget at all). Within is answered, or refused by the response
 * budget or a bulkhead; over is refused QUERY_TOO_COMPLEX before anything runs.
 */
import {
  getNamedType,
  getNullableType,
  isEnumType,
  isLeafType,
  isListType,
  isNonNullType,
  isObjectType,
  Kind,
  parse,
  TypeInfo,
  visit,
  visitWithTypeInfo,
  type FragmentDefinitionNode,
  type GraphQLField,
  type GraphQLObjectType,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from 'graphql';
import { authRule } from '../src/auth/directive';
import type { Role } from '../src/auth/viewer';
import { operationCost } from '../src/limits/cost';
import type { ListSize, ListSizes } from '../src/limits/listSize';
import { CONTRACT_USES } from '../src/limits/contract';
import type { TrustedOperation } from '../src/documents/manifest';
import { addDays } from '../src/risk/dates';

export interface EdgeOperation {
  role: Role;
  /** `chain Query.regions>Region.daily` or `contract NationalDaily`. */
  shape: string;
  edge: 'within' | 'over';
  k: number;
  cost: number;
  budget: number;
  query: string;
  /** A manifest operation (the only kind a role under trusted documents may run). */
  trusted: boolean;
  /** Variables of the i-th request: date ranges end i days earlier (within the budget, int sizes lose i % 3 too), so answers differ and the response cache cannot serve them; cost stays on its side of the budget. */
  variables(i: number): Record<string, unknown>;
}

/** What sizes a shape: the variables k sets, by kind. */
interface Sizing {
  ints: { name: string; max: number }[];
  lists: { name: string; max: number; item: unknown }[];
  ranges: { from: string; to: string; max: number }[];
}

interface Template {
  role: Role;
  shape: string;
  query: string;
  trusted: boolean;
  sizing: Sizing;
  /** Variables besides the sizing ones. */
  fixed: Record<string, unknown>;
}

const MAX_K = 5000;

/** `vary`: sizes lose i % 3 (within the budget, so that the answers differ); over it, only the dates move. */
function sizedVariables(t: Template, k: number, today: string, i = 0, vary = false): Record<string, unknown> {
  const vars: Record<string, unknown> = { ...t.fixed };
  for (const v of t.sizing.ints) vars[v.name] = Math.max(1, Math.min(k, v.max) - (vary ? i % 3 : 0));
  for (const v of t.sizing.lists) vars[v.name] = Array.from({ length: Math.min(k, v.max) }, (_, j) => (typeof v.item === 'string' ? `${v.item}${i}-${j}` : v.item));
  for (const r of t.sizing.ranges) {
    const days = Math.min(k, r.max);
    const to = addDays(today, -(i % 365));
    vars[r.to] = to;
    vars[r.from] = addDays(to, -(days - 1));
  }
  return vars;
}

function costOf(schema: GraphQLSchema, sizes: ListSizes, t: Template, variables: Record<string, unknown>): number {
  const document = parse(t.query);
  const fragments: Record<string, FragmentDefinitionNode> = {};
  for (const def of document.definitions) if (def.kind === Kind.FRAGMENT_DEFINITION) fragments[def.name.value] = def;
  const operation = document.definitions.find((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION)!;
  return operationCost({ schema, operation, fragments, variables, sizes });
}

/** The within/over pair of a template (over only when the shape can exceed the budget). */
function atTheEdge(schema: GraphQLSchema, sizes: ListSizes, t: Template, budget: number, today: string): EdgeOperation[] {
  const maxK = Math.min(MAX_K, Math.max(1, ...t.sizing.ints.map((v) => v.max), ...t.sizing.lists.map((v) => v.max), ...t.sizing.ranges.map((r) => r.max)));
  const cost = (k: number) => costOf(schema, sizes, t, sizedVariables(t, k, today));
  const make = (edge: 'within' | 'over', k: number): EdgeOperation => ({
    role: t.role,
    shape: t.shape,
    edge,
    k,
    cost: cost(k),
    budget,
    query: t.query,
    trusted: t.trusted,
    variables: (i) => sizedVariables(t, k, today, i, edge === 'within'),
  });
  if (cost(1) > budget) return [make('over', 1)];
  if (cost(maxK) <= budget) return [make('within', maxK)];
  // cost grows with k: the largest k that fits
  let lo = 1;
  let hi = maxK;
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (cost(mid) <= budget) lo = mid;
    else hi = mid;
  }
  return [make('within', lo), make('over', hi)];
}

// ---- chains of sized fields ---------------------------------------------------------------------

interface Step {
  field: GraphQLField<unknown, unknown>;
  parent: GraphQLObjectType;
  rule: ListSize | undefined;
}

interface Chain {
  steps: Step[];
  type: GraphQLObjectType;
  /** Its cost at every maximum (product of sizes). */
  weight: number;
  sized: string[];
}

const allowed = (schema: GraphQLSchema, parent: GraphQLObjectType, field: GraphQLField<unknown, unknown>, role: Role) => {
  const rule = authRule(schema, parent.name, field);
  return rule === null || rule.includes(role);
};

/** A literal for a required argument that does not size anything, or null when none can be made up. */
function literalFor(name: string, type: GraphQLField<unknown, unknown>['args'][number]['type'], today: string): string | null {
  const named = getNamedType(type);
  if (isListType(getNullableType(type))) return null;
  if (isEnumType(named)) return named.getValues()[0]?.name ?? null;
  switch (named.name) {
    case 'Date':
      return JSON.stringify(today);
    case 'Int':
      return '1';
    case 'Boolean':
      return 'false';
    case 'ID':
    case 'String':
      // region codes are the schema's usual key; 420000 (湖北省) has cities and counties below it
      return /code|within/i.test(name) ? '"420000"' : null;
    default:
      return null;
  }
}

function sizeOfRule(rule: ListSize | undefined): number {
  if (!rule) return 1;
  if (rule.slicingArguments.length > 0 || rule.slicingDateRange) return rule.maxSize ?? 1;
  return rule.assumedSize ?? 1;
}

/** Whether a field can be put in a chain: an object type, each required argument fillable. */
function usable(field: GraphQLField<unknown, unknown>, rule: ListSize | undefined, today: string): boolean {
  if (isLeafType(getNamedType(field.type)) || !isObjectType(getNamedType(field.type))) return false;
  const sizing = new Set([...(rule?.slicingArguments ?? []), ...(rule?.slicingDateRange ?? [])]);
  return field.args.every((a) => sizing.has(a.name) || !isNonNullType(a.type) || a.defaultValue !== undefined || literalFor(a.name, a.type, today) !== null);
}

function chainsFor(schema: GraphQLSchema, sizes: ListSizes, role: Role, budget: number, maxDepth: number, today: string): Chain[] {
  const query = schema.getQueryType()!;
  const BEAM = 60;
  let frontier: Chain[] = [{ steps: [], type: query, weight: 1, sized: [] }];
  const found: Chain[] = [];
  // two fields of depth per connection (`regions` then `nodes`); the leaves take one more, and one
  // level is left spare: the shapes are priced by cost, not refused for depth
  for (let depth = 0; depth < maxDepth - 2 && frontier.length > 0; depth++) {
    const next: Chain[] = [];
    for (const chain of frontier) {
      const last = chain.steps[chain.steps.length - 1];
      const sizedFields = last?.rule?.sizedFields ?? [];
      for (const field of Object.values(chain.type.getFields())) {
        // a connection is entered through its sized field (`nodes`), the way its items are read
        if (sizedFields.length > 0 && !sizedFields.includes(field.name)) continue;
        if (field.deprecationReason || !allowed(schema, chain.type, field, role)) continue;
        const rule = sizes.get(`${chain.type.name}.${field.name}`);
        if (!usable(field, rule, today)) continue;
        const grows = sizeOfRule(rule) > 1;
        const extended: Chain = {
          steps: [...chain.steps, { field, parent: chain.type, rule }],
          type: getNamedType(field.type) as GraphQLObjectType,
          weight: chain.weight * sizeOfRule(rule),
          sized: grows ? [...chain.sized, `${chain.type.name}.${field.name}`] : chain.sized,
        };
        next.push(extended);
        // a chain ends on items, not on a connection object
        if (extended.sized.length > 0 && !rule?.sizedFields.length) found.push(extended);
      }
    }
    next.sort((a, b) => b.weight - a.weight || a.steps.length - b.steps.length);
    frontier = next.slice(0, BEAM);
  }
  // Of each last sized field: the chain that puts the budget on the fewest lists (fewest sized steps
  // among those that can exceed it: every county × days, where the data is real), then the chain
  // that can cost most (nested lists, most of them empty in the data).
  const byLast = new Map<string, Chain[]>();
  for (const c of found) {
    const key = c.sized[c.sized.length - 1];
    byLast.set(key, [...(byLast.get(key) ?? []), c]);
  }
  const concentrated: Chain[] = [];
  const heaviest: Chain[] = [];
  for (const chains of byLast.values()) {
    const heavy = [...chains].sort((a, b) => b.weight - a.weight || a.steps.length - b.steps.length)[0];
    const over = chains.filter((c) => c.weight > budget).sort((a, b) => a.sized.length - b.sized.length || b.weight - a.weight || a.steps.length - b.steps.length)[0];
    if (over) concentrated.push(over);
    if (heavy !== over) heaviest.push(heavy);
  }
  const byWeight = (a: Chain, b: Chain) => b.weight - a.weight;
  return [...concentrated.sort(byWeight), ...heaviest.sort(byWeight)];
}

/** A chain as a document: sizing arguments as variables, the last type's leaf fields selected. */
function chainTemplate(schema: GraphQLSchema, role: Role, chain: Chain, today: string): Template {
  const sizing: Sizing = { ints: [], lists: [], ranges: [] };
  const definitions: string[] = [];
  const leaves = Object.values(chain.type.getFields())
    .filter((f) => isLeafType(getNamedType(f.type)) && !f.deprecationReason && allowed(schema, chain.type, f, role) && f.args.every((a) => !isNonNullType(a.type) || a.defaultValue !== undefined))
    .map((f) => f.name);
  let inner = ` { ${leaves.length > 0 ? leaves.join(' ') : '__typename'} }`;
  for (let i = chain.steps.length - 1; i >= 0; i--) {
    const { field, rule } = chain.steps[i];
    const args: string[] = [];
    for (const a of field.args) {
      if (rule?.slicingDateRange?.includes(a.name)) {
        if (a.name === rule.slicingDateRange[0]) {
          const [from, to] = [`from${i}`, `to${i}`];
          sizing.ranges.push({ from, to, max: rule.maxSize ?? 366 });
          const toArg = field.args.find((x) => x.name === rule.slicingDateRange![1]);
          definitions.push(`$${from}: ${String(a.type)}`, `$${to}: ${String(toArg?.type ?? a.type)}`);
          args.push(`${rule.slicingDateRange[0]}: $${from}`, `${rule.slicingDateRange[1]}: $${to}`);
        }
      } else if (rule?.slicingArguments.includes(a.name) && getNamedType(a.type).name === 'Int') {
        sizing.ints.push({ name: `n${i}`, max: rule.maxSize ?? 1 });
        definitions.push(`$n${i}: ${String(a.type)}`);
        args.push(`${a.name}: $n${i}`);
      } else if (isNonNullType(a.type) && a.defaultValue === undefined) {
        args.push(`${a.name}: ${literalFor(a.name, a.type, today)}`);
      } else {
        // lists of regions: the most numerous level, so that a page is full
        const named = getNamedType(a.type);
        if (a.name === 'level' && isEnumType(named) && named.getValue('COUNTY')) args.push(`${a.name}: COUNTY`);
      }
    }
    inner = ` { ${field.name}${args.length > 0 ? `(${args.join(', ')})` : ''}${inner} }`;
  }
  const shape = `chain ${chain.steps.map((s) => `${s.parent.name}.${s.field.name}`).filter((_, i) => chain.steps[i].rule || i === 0).join('>')}`;
  return { role, shape, query: `query Edge${definitions.length > 0 ? `(${definitions.join(', ')})` : ''}${inner}`, trusted: false, sizing, fixed: {} };
}

// ---- contract operations ------------------------------------------------------------------------

/** A manifest operation with its sizing variables found (slicing arguments and date ranges given as variables). */
function contractTemplate(schema: GraphQLSchema, sizes: ListSizes, role: Role, op: TrustedOperation): Template | null {
  const name = op.name ?? op.id;
  const use = CONTRACT_USES[name];
  if (!use) return null;
  const document = parse(op.body);
  const operation = document.definitions.find((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
  if (!operation || operation.operation !== 'query') return null;
  const sizing: Sizing = { ints: [], lists: [], ranges: [] };
  const typeInfo = new TypeInfo(schema);
  visit(
    document,
    visitWithTypeInfo(typeInfo, {
      Field(node) {
        const parent = typeInfo.getParentType();
        const rule = parent ? sizes.get(`${parent.name}.${node.name.value}`) : undefined;
        if (!rule) return;
        const variableOf = (arg: string) => {
          const value = node.arguments?.find((a) => a.name.value === arg)?.value;
          return value?.kind === Kind.VARIABLE ? value.name.value : null;
        };
        const max = rule.maxSize ?? 1;
        if (rule.slicingDateRange) {
          const [from, to] = rule.slicingDateRange.map(variableOf);
          if (from && to && !sizing.ranges.some((r) => r.from === from)) sizing.ranges.push({ from, to, max });
        }
        for (const arg of rule.slicingArguments) {
          const variable = variableOf(arg);
          if (!variable) continue;
          const given = use.variables[variable];
          if (Array.isArray(given)) {
            if (!sizing.lists.some((l) => l.name === variable)) sizing.lists.push({ name: variable, max, item: given[0] });
          } else if (!sizing.ints.some((v) => v.name === variable)) {
            sizing.ints.push({ name: variable, max });
          }
        }
      },
    }),
  );
  if (sizing.ints.length + sizing.lists.length + sizing.ranges.length === 0) return null;
  const sized = new Set([...sizing.ints.map((v) => v.name), ...sizing.lists.map((v) => v.name), ...sizing.ranges.flatMap((r) => [r.from, r.to])]);
  const fixed = Object.fromEntries(Object.entries(use.variables).filter(([k]) => !sized.has(k)));
  return { role, shape: `contract ${name}`, query: op.body, trusted: true, sizing, fixed };
}

/**
 * The edge operations of `role` under `budget`: generated chains (unless the role runs only
 * trusted documents) and the contract operations it runs, each within and over the budget.
 */
export function edgeOperations(options: {
  schema: GraphQLSchema;
  sizes: ListSizes;
  role: Role;
  budget: number;
  maxDepth: number;
  today: string;
  manifest: readonly TrustedOperation[];
  trustedOnly: boolean;
  /** Generated chains kept (largest possible cost first). */
  chains?: number;
}): EdgeOperation[] {
  const { schema, sizes, role, budget, maxDepth, today } = options;
  const templates: Template[] = [];
  if (!options.trustedOnly) {
    for (const chain of chainsFor(schema, sizes, role, budget, maxDepth, today).slice(0, options.chains ?? 8)) templates.push(chainTemplate(schema, role, chain, today));
  }
  // every contract query, not only those the role's users run: an attacker sends what it may
  for (const op of options.manifest) {
    const t = contractTemplate(schema, sizes, role, op);
    if (t) templates.push(t);
  }
  return templates.flatMap((t) => atTheEdge(schema, sizes, t, budget, today));
}
