import {
  defaultFieldResolver,
  getDirectiveValues,
  getNamedType,
  GraphQLError,
  GraphQLIncludeDirective,
  GraphQLSkipDirective,
  isAbstractType,
  isEnumType,
  isLeafType,
  isListType,
  isNonNullType,
  isObjectType,
  isScalarType,
  Kind,
  type FieldNode,
  type GraphQLFieldResolver,
  type GraphQLOutputType,
  type GraphQLResolveInfo,
  type GraphQLSchema,
  type NamedTypeNode,
  type SelectionNode,
  type SelectionSetNode,
} from 'graphql';
import { MapperKind, mapSchema } from '@graphql-tools/utils';
import type { Role } from '../auth/viewer';
import { ErrorCode } from '../errors';
import { checkRange } from '../args';
import { daysBetween } from '../risk/dates';
import { declaredListSizes, type ListSize, type ListSizes } from './listSize';
import { LAZY_FIELDS } from '../graphql/pagination';

/**
 * The response budget (docs/limits.md): a cap on the size of an answer per role,
 * enforced while the answer is built. The cost limit bounds how many items an operation can ask
 * for; this bounds what they weigh, for the answers the cost lets through (2,900 counties × 60 days
 * of figures fits a cost budget and is ≈ 20 MB of JSON).
 *
 * Object fields' resolvers are wrapped (`applyResponseBudget`): after one returns, the bytes its
 * value adds to the JSON answer — `"key":`, the value (a string's UTF-8 bytes, a number's digits),
 * braces, brackets and commas, and the leaves its objects hold that are read without a resolver
 * (`plainLeavesByType`: those are not wrapped) — are added to the request's count, before graphql-js
 * builds anything under it. Once the count passes the budget, that field and every field resolved after it return a
 * placeholder of their type (null, [], {}, 0, '') without running their resolver: no more SQL, no
 * more objects, and a list stops growing. The request then answers with one RESPONSE_TOO_LARGE error
 * and no data (`operationLimitsPlugin`, src/limits/index.ts); the placeholders are never sent.
 *
 * A list whose length its arguments fix (`slicingDateRange`: one item per day) first reserves the
 * bytes its items take at least (each selected key with a one-byte value), before its resolver runs:
 * so past the budget the rest of a list of counties loads no figures from SQL at all. Every county
 * with 96 days of figures (cost 485,001, within PUBLIC's 810,000) read 286,000 rows before it was
 * refused, at a peak RSS of 660 MB; with the reservation it reads what fits 4 MiB and stops at 160 MB.
 *
 * Placeholders, not thrown errors: graphql-js 16 abandons the promises of a list's earlier items when
 * a later item throws, and an abandoned promise that rejects afterwards (its fields would throw too,
 * the budget being spent) is an unhandled rejection, which ends a Node process.
 *
 * The count is an estimate of `JSON.stringify`'s output: exact for strings, booleans, nulls and
 * integers; 18 characters for a fraction (most are 15–19); escapes are not counted.
 */
export class ResponseBudget {
  /** Bytes of the answer counted so far. */
  used = 0;
  /** Set once the count passed `maxBytes`: every later field returns its placeholder. */
  exceeded = false;

  constructor(
    readonly maxBytes: number,
    readonly role: Role,
  ) {}

  /** Counts `bytes` more; false once past the budget. */
  add(bytes: number): boolean {
    this.used += bytes;
    if (this.used > this.maxBytes) this.exceeded = true;
    return !this.exceeded;
  }
}

/** RESPONSE_TOO_LARGE: what the limit is and how to ask for less; the same words from `npm start` and the gateway. */
export function responseTooLarge(maxBytes: number, role: Role, path?: readonly (string | number)[]): GraphQLError {
  return new GraphQLError(
    `the answer exceeds the limit of ${maxBytes} bytes for role ${role}; ask for fewer items (a smaller first, a shorter from–to range, ` +
      'fewer nested lists) or fewer fields, or page through the list with after; bulk daily figures are served as CSV by ' +
      'GET /export/daily.csv (role GOV or HEALTH)',
    { path, extensions: { code: ErrorCode.RESPONSE_TOO_LARGE, limit: 'response', maxBytes } },
  );
}

type BudgetContext = { responseBudget?: ResponseBudget | null } | null | undefined;

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}

/** Digits of an integer as JSON writes it (fractions: 18, most are 15–19 characters). */
function numberBytes(n: number): number {
  if (!Number.isInteger(n) || Math.abs(n) >= 1e21) return Number.isFinite(n) ? 18 : 4;
  let digits = n < 0 ? 2 : 1;
  for (let a = Math.abs(n); a >= 10; a = Math.floor(a / 10)) digits++;
  return digits;
}

/** JSON bytes of a scalar, enum, or list of them, as resolved (a Date is written as an ISO string). */
export function leafBytes(value: unknown): number {
  if (value == null) return 4;
  switch (typeof value) {
    case 'string':
      return Buffer.byteLength(value, 'utf8') + 2;
    case 'number':
      return numberBytes(value);
    case 'boolean':
      return value ? 4 : 5;
    case 'object':
      if (Array.isArray(value)) {
        let bytes = 1 + Math.max(value.length, 1);
        for (const item of value) bytes += leafBytes(item);
        return bytes;
      }
      // Date (DateTime: "2020-02-17T01:30:00.000Z") and other scalar objects
      return 26;
    default:
      return 4;
  }
}

/**
 * JSON bytes an object value adds by itself: its fields count their own key and a comma each, so an
 * object adds its braces less the one comma too many (1); a list its brackets and commas, and that
 * for each object in it.
 */
function shapeBytes(value: unknown): number {
  if (value == null) return 4;
  if (Array.isArray(value)) return 1 + Math.max(value.length, 1) + value.length;
  return 1;
}

/**
 * Leaf fields read straight from their object (no resolver, no directive, not lazy), by object type:
 * these are not wrapped. Wrapping them made every one of the map's ≈ 30,000 leaf values a resolver
 * call, and graphql-jit can then not inline the property read (measured: ≈ 7 % of an uncached map).
 * Their bytes are counted instead by the wrapper of the field that returned their object, when it
 * returns it (`plainLeafBytes`), by the same estimate. Root types' leaves (no field returns a root
 * object) and the leaves of types an interface or union may stand for (the selected fields depend on
 * the runtime type) stay wrapped.
 */
function plainLeavesByType(schema: GraphQLSchema): Map<string, Set<string>> {
  const types = Object.values(schema.getTypeMap());
  const keepWrapped = new Set<string>([schema.getQueryType()?.name, schema.getMutationType()?.name, schema.getSubscriptionType()?.name].filter((n): n is string => !!n));
  for (const t of types) if (isAbstractType(t)) for (const member of schema.getPossibleTypes(t)) keepWrapped.add(member.name);
  const out = new Map<string, Set<string>>();
  for (const t of types) {
    if (!isObjectType(t) || t.name.startsWith('__') || keepWrapped.has(t.name)) continue;
    const names = new Set<string>();
    for (const f of Object.values(t.getFields())) {
      if (!f.resolve && !LAZY_FIELDS.has(f.name) && !f.astNode?.directives?.length && isLeafType(getNamedType(f.type))) names.add(f.name);
    }
    if (names.size > 0) out.set(t.name, names);
  }
  return out;
}

/** A field selected on an object: its key in the answer (the alias, if any) and its field. */
interface SelectedField {
  key: string;
  field: string;
}

/**
 * The fields a field's selection set asks of its objects, once per response key, through inline
 * fragments and spreads as graphql-js collects them: each fragment once per collection (a fragment
 * spread twice at every level is 2^n paths, not n fragments: tests/integration/limits.test.ts), and
 * only those on `typeName` when it is given. Selections under @skip/@include are decided with the
 * request's variables (`conditional`: the answer depends on them), or, with `decideDirectives`
 * false, left out.
 */
function selectedFields(info: GraphQLResolveInfo, typeName: string | null, decideDirectives: boolean): { fields: SelectedField[]; conditional: boolean } {
  const fields: SelectedField[] = [];
  const keys = new Set<string>();
  const visited = new Set<string>();
  let conditional = false;
  const included = (selection: SelectionNode) => {
    if (!selection.directives?.length) return true;
    if (!decideDirectives) return false;
    conditional = true;
    return (
      getDirectiveValues(GraphQLSkipDirective, selection, info.variableValues)?.if !== true &&
      getDirectiveValues(GraphQLIncludeDirective, selection, info.variableValues)?.if !== false
    );
  };
  const onType = (condition: NamedTypeNode | undefined) => typeName === null || !condition || condition.name.value === typeName;
  const visit = (set: SelectionSetNode | undefined) => {
    for (const selection of set?.selections ?? []) {
      if (!included(selection)) continue;
      if (selection.kind === Kind.FIELD) {
        const key = selection.alias?.value ?? selection.name.value;
        if (!keys.has(key)) {
          keys.add(key);
          fields.push({ key, field: selection.name.value });
        }
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        if (onType(selection.typeCondition)) visit(selection.selectionSet);
      } else if (!visited.has(selection.name.value)) {
        visited.add(selection.name.value);
        const fragment = info.fragments[selection.name.value];
        if (fragment && onType(fragment.typeCondition)) visit(fragment.selectionSet);
      }
    }
  };
  for (const fieldNode of info.fieldNodes) visit(fieldNode.selectionSet);
  return { fields, conditional };
}

/** Selected plain leaves by field node, for selections without @skip/@include (those depend on the variables). */
const selectedLeavesByNode = new WeakMap<FieldNode, SelectedField[]>();

/** The plain leaves of `typeName` that the field's selection set asks for (`selectedFields`). */
function selectedLeaves(info: GraphQLResolveInfo, typeName: string, plain: ReadonlySet<string>): SelectedField[] {
  const node = info.fieldNodes[0];
  const known = selectedLeavesByNode.get(node);
  if (known) return known;
  const { fields, conditional } = selectedFields(info, typeName, true);
  const leaves = fields.filter((f) => plain.has(f.field));
  if (!conditional) selectedLeavesByNode.set(node, leaves);
  return leaves;
}

/** JSON bytes of the selected plain leaves of an object, or of every object of a list (of lists). */
function plainLeafBytes(value: unknown, leaves: readonly SelectedField[]): number {
  if (value == null || typeof value !== 'object' || leaves.length === 0) return 0;
  if (Array.isArray(value)) {
    let bytes = 0;
    for (const item of value) bytes += plainLeafBytes(item, leaves);
    return bytes;
  }
  let bytes = 0;
  for (const { key, field } of leaves) {
    const leaf = (value as Record<string, unknown>)[field];
    // graphql-jit reads such a leaf inline: a function or a promise would be sent as it is, not called or awaited
    if (typeof leaf === 'function' || isPromiseLike(leaf)) {
      throw new Error(`${field} holds a ${typeof leaf === 'function' ? 'function' : 'promise'}: a leaf without a resolver must hold its value (give it a resolver, or add it to LAZY_FIELDS)`);
    }
    bytes += key.length + 4 + leafBytes(leaf);
  }
  return bytes;
}

function counted(
  resolve: GraphQLFieldResolver<unknown, BudgetContext>,
  type: GraphQLOutputType,
  itemsOf: ((args: Record<string, unknown>) => number) | null,
  plain: ReadonlySet<string> | undefined,
): GraphQLFieldResolver<unknown, BudgetContext> {
  const named = getNamedType(type);
  const bytesOf: (value: unknown, info: GraphQLResolveInfo) => number = isLeafType(named)
    ? leafBytes
    : plain
      ? (value, info) => shapeBytes(value) + plainLeafBytes(value, selectedLeaves(info, named.name, plain))
      : shapeBytes;
  const placeholder = placeholderOf(type);
  return (source, args, context, info) => {
    const budget = context?.responseBudget;
    // Subscriptions and internal callers have no budget.
    if (!budget) return resolve(source, args, context, info);
    if (budget.exceeded) return placeholder;
    // A list whose length the arguments fix (a date range: one item per day) reserves what its items
    // will take at least before its resolver runs: past the budget it loads nothing (2,978 counties
    // × 96 days of figures were all read from SQL, then refused).
    const reserved = itemsOf ? itemsOf(args) * minItemBytes(info) : 0;
    if (reserved > 0 && !budget.add(reserved)) return placeholder;
    // a field that fails returns its reservation: its error is the answer, not the budget
    const release = (err: unknown) => {
      budget.used -= reserved;
      throw err;
    };
    let result: unknown;
    try {
      result = resolve(source, args, context, info);
    } catch (err) {
      release(err);
    }
    // `"key":` and a comma; the key is the alias when there is one
    const keyBytes = String(info.path.key).length + 4 - reserved;
    if (isPromiseLike(result)) {
      return Promise.resolve(result).then((value) => (budget.exceeded || !budget.add(keyBytes + bytesOf(value, info)) ? placeholder : value), reserved > 0 ? release : undefined);
    }
    return budget.add(keyBytes + bytesOf(result, info)) ? result : placeholder;
  };
}

/**
 * The fewest bytes one item of a list field's value can take: each field selected on it (once per
 * response key, none under @skip/@include) with its key and a one-byte value, and its braces.
 * Memoised by field node: Apollo keeps one parsed document per distinct text.
 */
const minItemBytesByNode = new WeakMap<FieldNode, number>();

function minItemBytes(info: GraphQLResolveInfo): number {
  const node = info.fieldNodes[0];
  let bytes = minItemBytesByNode.get(node);
  if (bytes === undefined) {
    // fields under @skip/@include may be absent: the least an item takes leaves them out
    const { fields } = selectedFields(info, null, false);
    bytes = 2;
    for (const { key } of fields) bytes += key.length + 5;
    minItemBytesByNode.set(node, bytes);
  }
  return bytes;
}

/**
 * Items of a `slicingDateRange` list for these (coerced) arguments: the days from `from` to `to`;
 * 0 for a range its resolver refuses (checkRange, the resolver's own check), whose error is then
 * the answer.
 */
function daysOf(rule: ListSize): ((args: Record<string, unknown>) => number) | null {
  if (!rule.slicingDateRange) return null;
  const [from, to] = rule.slicingDateRange;
  const max = rule.maxSize ?? Number.POSITIVE_INFINITY;
  return (args) => {
    try {
      const range = checkRange(String(args[from]), String(args[to]), max);
      return daysBetween(range.from, range.to) + 1;
    } catch {
      return 0;
    }
  };
}

const EMPTY_LIST: readonly never[] = Object.freeze([]);
const EMPTY_OBJECT: Readonly<Record<string, never>> = Object.freeze({});

/**
 * The cheapest value graphql-js completes without an error: null where allowed, else an empty list,
 * an empty object (whose fields then give theirs), an enum's first value, or a value the scalar
 * serialises. Abstract non-null types (none in this schema) get null: an error, still no rejection.
 */
function placeholderOf(type: GraphQLOutputType): unknown {
  if (!isNonNullType(type)) return null;
  const inner = type.ofType;
  if (isListType(inner)) return EMPTY_LIST;
  if (isObjectType(inner)) return EMPTY_OBJECT;
  if (isEnumType(inner)) return inner.getValues()[0]?.value ?? null;
  if (isScalarType(inner)) {
    for (const candidate of [0, '', false, '1970-01-01', new Date(0)]) {
      try {
        inner.serialize(candidate);
        return candidate;
      } catch {
        // not this one
      }
    }
  }
  return null;
}

/** The schema with every object field's value counted against the request's `responseBudget`. */
export function applyResponseBudget(schema: GraphQLSchema, sizes: ListSizes = declaredListSizes()): GraphQLSchema {
  const plainLeaves = plainLeavesByType(schema);
  return mapSchema(schema, {
    [MapperKind.OBJECT_FIELD]: (fieldConfig, fieldName, typeName) => {
      // a plain leaf: counted by the field that returned its object
      if (plainLeaves.get(typeName)?.has(fieldName)) return fieldConfig;
      const rule = sizes.get(`${typeName}.${fieldName}`);
      const plain = plainLeaves.get(getNamedType(fieldConfig.type).name);
      return { ...fieldConfig, resolve: counted(fieldConfig.resolve ?? defaultFieldResolver, fieldConfig.type, rule ? daysOf(rule) : null, plain) };
    },
  });
}

/**
 * Whether an answer already built (the gateway merges subgraph answers) fits `maxBytes` of JSON,
 * by the same estimate; stops counting as soon as it does not, so a large answer costs at most
 * `maxBytes` of walking.
 */
export function jsonFits(value: unknown, maxBytes: number): boolean {
  let used = 0;
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const v = stack.pop();
    if (v !== null && typeof v === 'object' && !(v instanceof Date)) {
      if (Array.isArray(v)) {
        used += 1 + Math.max(v.length, 1);
        for (const item of v) stack.push(item);
      } else {
        used += 1;
        for (const key in v) {
          used += key.length + 4;
          stack.push((v as Record<string, unknown>)[key]);
        }
      }
    } else {
      used += leafBytes(v);
    }
    if (used > maxBytes) return false;
  }
  return true;
}
