import { parse, valueFromASTUntyped, type DocumentNode, type InputValueDefinitionNode } from 'graphql';
import { loadTypeDefs } from '../schemaSource';
import { badInput } from '../errors';
import { declaredListSizes, fieldDefinitions } from './listSize';

/**
 * Bounds and defaults of the schema's integer arguments, declared once, next to the argument in
 * schema/: the default as the SDL default value (`days: Int = 14`), the bounds with
 * `@range(min:, max:)` (schema/cost.graphql); a slicing argument (`first`) without `max:` is
 * bounded by its field's `@listSize(maxSize:)`, the same number the cost is priced with. Resolvers
 * and the look-ahead (resolvers/lookahead.ts) read them here, so no bound is written in TypeScript.
 *
 * Like the sizing rules, they are read from the SDL text (src/limits/listSize.ts says why).
 */
export const RANGE_DIRECTIVE = 'range';

export interface ArgumentRule {
  /** `Type.field(argument:)` */
  coordinate: string;
  min: number | null;
  max: number | null;
  /** The SDL default value; undefined when the argument has none. */
  defaultValue: unknown;
}

const coordinateOf = (field: string, argument: string) => `${field}(${argument}:)`;

/** The rules of every argument that has a default or a range, by coordinate. */
export function argumentRulesOf(documents: readonly DocumentNode[]): Map<string, ArgumentRule> {
  const rules = new Map<string, ArgumentRule>();
  for (const { coordinate, field } of fieldDefinitions(documents)) {
    for (const arg of field.arguments ?? []) {
      const rule = ruleOf(coordinateOf(coordinate, arg.name.value), arg);
      if (rule) rules.set(rule.coordinate, rule);
    }
  }
  return rules;
}

function ruleOf(coordinate: string, arg: InputValueDefinitionNode): ArgumentRule | null {
  const ranges = (arg.directives ?? []).filter((d) => d.name.value === RANGE_DIRECTIVE);
  if (ranges.length > 1) throw new Error(`@range is given more than once on ${coordinate}; give it once`);
  if (ranges.length === 0 && !arg.defaultValue) return null;
  const given = Object.fromEntries((ranges[0]?.arguments ?? []).map((a) => [a.name.value, valueFromASTUntyped(a.value)]));
  const bound = (name: string): number | null => {
    const v = given[name];
    if (v == null) return null;
    if (typeof v !== 'number' || !Number.isInteger(v)) throw new Error(`@range(${name}:) on ${coordinate} must be a whole number, got ${JSON.stringify(v)}`);
    return v;
  };
  return {
    coordinate,
    min: bound('min'),
    max: bound('max'),
    defaultValue: arg.defaultValue ? valueFromASTUntyped(arg.defaultValue) : undefined,
  };
}

let declared: Map<string, ArgumentRule> | null = null;

/** The rules of schema/ (read once per process). */
export function declaredArguments(): ReadonlyMap<string, ArgumentRule> {
  declared ??= argumentRulesOf(loadTypeDefs().map((sdl) => parse(sdl)));
  return declared;
}

/** The SDL default of an argument (`Type.field`, `argument`); throws, naming it, when it has none. */
export function argumentDefault(field: string, argument: string): unknown {
  const value = declaredArguments().get(coordinateOf(field, argument))?.defaultValue;
  if (value === undefined) throw new Error(`argumentDefault: ${coordinateOf(field, argument)} declares no default value in schema/`);
  return value;
}

/** The bounds of an integer argument: `@range`, with the field's `@listSize(maxSize:)` for a missing `max`. */
export function argumentBounds(field: string, argument: string): { min: number; max: number } {
  const rule = declaredArguments().get(coordinateOf(field, argument));
  const listMax = declaredListSizes().get(field)?.maxSize;
  const max = rule?.max ?? (declaredListSizes().get(field)?.slicingArguments.includes(argument) ? listMax : null);
  if (rule?.min == null || max == null || !Number.isFinite(max)) {
    throw new Error(`argumentBounds: ${coordinateOf(field, argument)} declares no @range(min:, max:) in schema/ (or @listSize(maxSize:) for a slicing argument)`);
  }
  return { min: rule.min, max };
}

/**
 * An integer argument checked against its declared bounds (or `bounds`, where a model owns them);
 * null or absent means its SDL default. Out of bounds: BAD_USER_INPUT naming the argument and the bounds.
 */
export function intArgument(field: string, argument: string, value: number | null | undefined, bounds?: { min: number; max: number }): number {
  return checked(field, argument, value, (min, max, n) => `"${argument}" must be an integer from ${min} to ${max}, got ${n}`, bounds);
}

/** The page size of a connection (`first`), checked against the field's declared bounds. */
export function pageArgument(field: string, value: number | null | undefined): number {
  return checked(field, 'first', value, (min, max, n) => `"first" must be between ${min} and ${max}, got ${n}`);
}

function checked(
  field: string,
  argument: string,
  value: number | null | undefined,
  refusal: (min: number, max: number, n: number) => string,
  bounds = argumentBounds(field, argument),
): number {
  const { min, max } = bounds;
  const n = value ?? (argumentDefault(field, argument) as number);
  if (!Number.isInteger(n) || n < min || n > max) throw badInput(refusal(min, max, n), argument);
  return n;
}
