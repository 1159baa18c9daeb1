import {
  getNamedType,
  getNullableType,
  isListType,
  isObjectType,
  isInterfaceType,
  Kind,
  parse,
  valueFromASTUntyped,
  type ConstDirectiveNode,
  type DocumentNode,
  type FieldDefinitionNode,
  type GraphQLField,
  type GraphQLNamedType,
  type GraphQLSchema,
} from 'graphql';
import { loadTypeDefs } from '../schemaSource';

/**
 * Sizing rules of list fields, read from `@listSize` in the SDL (schema/cost.graphql): what
 * `operationCost` (src/limits/cost.ts) multiplies by, and the maxima the resolvers enforce
 * (`maxItems`), so that each limit is written once, next to its field.
 *
 * Rules are read from the SDL text, not from a built schema: the gateway prices operations on the
 * supergraph, and composition does not carry a custom directive into it (nor `@auth`). Both servers
 * read the same files, and both check on start that every list field of the schema they serve has
 * a rule (`checkListSizes`), so a rule cannot be missing on one side only.
 */
export const LIST_SIZE_DIRECTIVE = 'listSize';

export interface ListSize {
  /** `Type.field` */
  coordinate: string;
  assumedSize: number | null;
  slicingArguments: readonly string[];
  /** `[from, to]`: one item per day of the range. */
  slicingDateRange: readonly [string, string] | null;
  maxSize: number | null;
  sizedFields: readonly string[];
}

export type ListSizes = ReadonlyMap<string, ListSize>;

/**
 * Federation's own list field, in every subgraph: one entity per representation the gateway sends.
 * Its size is always known (the gateway sends the list); unreadable, it counts as unbounded.
 */
const FEDERATION_RULES: ListSize[] = [
  { coordinate: 'Query._entities', assumedSize: null, slicingArguments: ['representations'], slicingDateRange: null, maxSize: Number.POSITIVE_INFINITY, sizedFields: [] },
];

/** Every field definition of the object and interface types (and extensions) of SDL documents, with its `Type.field`. */
export function* fieldDefinitions(documents: readonly DocumentNode[]): Generator<{ coordinate: string; field: FieldDefinitionNode }> {
  for (const document of documents) {
    for (const def of document.definitions) {
      if (def.kind !== Kind.OBJECT_TYPE_DEFINITION && def.kind !== Kind.OBJECT_TYPE_EXTENSION && def.kind !== Kind.INTERFACE_TYPE_DEFINITION && def.kind !== Kind.INTERFACE_TYPE_EXTENSION) continue;
      for (const field of def.fields ?? []) yield { coordinate: `${def.name.value}.${field.name.value}`, field };
    }
  }
}

/** The rules declared in SDL documents, by coordinate. */
export function listSizesOf(documents: readonly DocumentNode[]): Map<string, ListSize> {
  const rules = new Map<string, ListSize>();
  for (const { coordinate, field } of fieldDefinitions(documents)) {
    const found = (field.directives ?? []).filter((d) => d.name.value === LIST_SIZE_DIRECTIVE);
    if (found.length === 0) continue;
    if (found.length > 1) throw new Error(`@listSize is given more than once on ${coordinate}; give it once`);
    rules.set(coordinate, ruleOf(coordinate, found[0]));
  }
  for (const rule of FEDERATION_RULES) if (!rules.has(rule.coordinate)) rules.set(rule.coordinate, rule);
  return rules;
}

function ruleOf(coordinate: string, directive: ConstDirectiveNode): ListSize {
  const args = Object.fromEntries((directive.arguments ?? []).map((a) => [a.name.value, valueFromASTUntyped(a.value)])) as Record<string, unknown>;
  const int = (name: string): number | null => {
    const v = args[name];
    if (v == null) return null;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw new Error(`@listSize(${name}:) on ${coordinate} must be a whole number ≥ 0, got ${JSON.stringify(v)}`);
    return v;
  };
  const names = (name: string): string[] => {
    const v = args[name];
    if (v == null) return [];
    if (!Array.isArray(v) || !v.every((s) => typeof s === 'string')) throw new Error(`@listSize(${name}:) on ${coordinate} must be a list of names`);
    return v as string[];
  };
  const range = names('slicingDateRange');
  if (range.length !== 0 && range.length !== 2) throw new Error(`@listSize(slicingDateRange:) on ${coordinate} names two arguments, [from, to]; got ${range.length}`);
  return {
    coordinate,
    assumedSize: int('assumedSize'),
    slicingArguments: names('slicingArguments'),
    slicingDateRange: range.length === 2 ? [range[0], range[1]] : null,
    maxSize: int('maxSize'),
    sizedFields: names('sizedFields'),
  };
}

let declared: ListSizes | null = null;

/** The rules of schema/ (read once per process). */
export function declaredListSizes(): ListSizes {
  declared ??= listSizesOf(loadTypeDefs().map((sdl) => parse(sdl)));
  return declared;
}

/**
 * The schema's maximum for a list field (its `maxSize`): resolvers refuse more with BAD_USER_INPUT,
 * and the cost counts at most this many. Throws for a field without one, naming it.
 */
export function maxItems(coordinate: string): number {
  const max = declaredListSizes().get(coordinate)?.maxSize;
  if (max == null || !Number.isFinite(max)) throw new Error(`maxItems: ${coordinate} declares no @listSize(maxSize:) in schema/`);
  return max;
}

const fieldsOf = (type: GraphQLNamedType): Record<string, GraphQLField<unknown, unknown>> =>
  isObjectType(type) || isInterfaceType(type) ? type.getFields() : {};

/** A list, or a connection (a type whose name ends in `Connection`, holding its items in list fields). */
function returnsListOrConnection(field: GraphQLField<unknown, unknown>): boolean {
  return isListType(getNullableType(field.type)) || getNamedType(field.type).name.endsWith('Connection');
}

/**
 * What is wrong with the sizing of a schema's list fields, one sentence each (empty: every list is
 * priced). A list field is priced by its own rule, or by being a `sizedFields` entry of every field
 * that returns its type (the `nodes` of a connection); each rule must be usable as written.
 */
export function listSizeProblems(schema: GraphQLSchema, rules: ListSizes = declaredListSizes()): string[] {
  const problems: string[] = [];
  // Which fields return each type, and whether each of them sizes the type's list fields.
  const returning = new Map<string, { coordinate: string; sized: readonly string[] }[]>();
  const types = Object.values(schema.getTypeMap()).filter((t) => !t.name.startsWith('__'));
  for (const type of types) {
    for (const field of Object.values(fieldsOf(type))) {
      const target = getNamedType(field.type).name;
      const list = returning.get(target) ?? [];
      list.push({ coordinate: `${type.name}.${field.name}`, sized: rules.get(`${type.name}.${field.name}`)?.sizedFields ?? [] });
      returning.set(target, list);
    }
  }
  for (const type of types) {
    for (const field of Object.values(fieldsOf(type))) {
      const coordinate = `${type.name}.${field.name}`;
      const rule = rules.get(coordinate);
      if (rule) {
        problems.push(...ruleProblems(rule, field));
        continue;
      }
      if (!returnsListOrConnection(field)) continue;
      const parents = returning.get(type.name) ?? [];
      const sizedByEveryParent = isListType(getNullableType(field.type)) && parents.length > 0 && parents.every((p) => p.sized.includes(field.name));
      if (!sizedByEveryParent) {
        problems.push(
          `${coordinate} returns ${isListType(getNullableType(field.type)) ? 'a list' : 'a connection'} without a sizing rule: ` +
            'declare @listSize on it (schema/cost.graphql), or name it in sizedFields of every field that returns ' +
            `${type.name}${parents.length > 0 ? ` (${parents.map((p) => p.coordinate).join(', ')})` : ''}`,
        );
      }
    }
  }
  return problems;
}

function ruleProblems(rule: ListSize, field: GraphQLField<unknown, unknown>): string[] {
  const problems: string[] = [];
  const at = `@listSize on ${rule.coordinate}`;
  const argType = (name: string) => field.args.find((a) => a.name === name)?.type;
  for (const name of rule.slicingArguments) {
    const type = argType(name);
    if (!type) problems.push(`${at}: slicing argument "${name}" is not an argument of the field`);
    else if (!isListType(getNullableType(type)) && getNamedType(type).name !== 'Int') problems.push(`${at}: slicing argument "${name}" must be an Int or a list`);
  }
  for (const name of rule.slicingDateRange ?? []) {
    const type = argType(name);
    if (!type || getNamedType(type).name !== 'Date' || isListType(getNullableType(type))) problems.push(`${at}: date range argument "${name}" must be a Date argument of the field`);
  }
  const sliced = rule.slicingArguments.length > 0 || rule.slicingDateRange !== null;
  if (sliced && rule.maxSize === null) problems.push(`${at}: give maxSize, the schema's maximum, with slicing arguments`);
  if (!sliced && rule.assumedSize === null) problems.push(`${at}: give assumedSize, or slicing arguments and maxSize`);
  const target = getNamedType(field.type);
  for (const name of rule.sizedFields) {
    const sized = fieldsOf(target)[name];
    if (!sized || !isListType(getNullableType(sized.type))) problems.push(`${at}: sized field "${name}" is not a list field of ${target.name}`);
  }
  if (!returnsListOrConnection(field) && rule.sizedFields.length === 0) problems.push(`${at}: the field returns neither a list nor a connection; only such fields are sized`);
  if (isListType(getNullableType(field.type)) && rule.sizedFields.length > 0) problems.push(`${at}: sizedFields is for fields returning one object (a connection or payload), not a list`);
  return problems;
}

/** Throws, naming every problem, unless each list field of the schema is priced (start-up of both servers). */
export function checkListSizes(schema: GraphQLSchema, rules: ListSizes = declaredListSizes()): void {
  const problems = listSizeProblems(schema, rules);
  if (problems.length > 0) throw new Error(`list fields without a usable size (docs/limits.md):\n- ${problems.join('\n- ')}`);
}
