import {
  getArgumentValues,
  Kind,
  type FieldNode,
  type GraphQLObjectType,
  type GraphQLResolveInfo,
  type SelectionSetNode,
} from 'graphql';
import type { Context } from '../src/context';
import type { Region } from '../datasources/region';
import { resolveAsOf, windowEnding } from '../src/args';
import { argumentDefault, intArgument } from '../src/limits/arguments';
import { caseSummaryOf } from './caseSummary';
import type { CaseSummaryFigures } from '../datasources/caseReads';
import type { RegionRisk } from '../services/risk';

/**
 * Look-ahead for lists of regions. A list resolver sees, in `info`, which fields the query asks of
 * each node; loading those for all nodes at once (before the executor visits them) lets the node
 * field resolvers return plain values instead of one promise each. The SQL is the same batched
 * statements the loaders would send anyway; only the promises go away.
 *
 * The fields it computes whole for a list (`caseSummary`, `risk` of counties) are kept by field
 * node and node (`lookedAhead`): each node's resolver then reads its value instead of parsing the
 * same arguments, building the same loader keys and looking them up once per node — on the national
 * map, 2,978 times per field.
 */
export async function prefetchRegionFields(nodes: readonly Region[], info: GraphQLResolveInfo, ctx: Context, shape?: string): Promise<void> {
  if (shape !== undefined) ctx.regionListGuesses?.remember(shape, nodes.filter((n) => n.level === 'COUNTY').map((n) => n.code));
  if (nodes.length === 0) return;
  const { sources } = ctx;
  const counties = nodes.filter((n) => n.level === 'COUNTY');
  const work: Promise<unknown>[] = [];
  for (const { name, args, node } of nodeSelections(info)) {
    try {
      if (name === 'province') {
        work.push(sources.regions.byCode.loadAll([...new Set(nodes.map((n) => n.provinceCode))]));
      } else if (name === 'parent') {
        work.push(sources.regions.byCode.loadAll([...new Set(nodes.flatMap((n) => (n.parentCode ? [n.parentCode] : [])))]));
      } else if (name === 'caseSummary' && counties.length > 0) {
        const { days, summaries } = guessedLoad(ctx, node, counties, 'caseSummary') ?? loadSummaries(ctx, args, counties.map((c) => c.code));
        work.push(summaries.then((s) => keep(ctx, node, counties, counties.map((c, i) => caseSummaryOf(c, days, s[i])))));
      } else if (name === 'risk' && counties.length > 0) {
        const risks = guessedLoad(ctx, node, counties, 'risk')?.risks ?? loadRisks(ctx, args, counties.map((c) => c.code));
        work.push(risks.then((r) => keep(ctx, node, counties, r)));
      }
    } catch {
      // Invalid arguments: the field's own resolver reports them, with the right path.
    }
  }
  // A failed prefetch is not this resolver's error: the field resolvers load again and report it.
  await Promise.all(work.map((p) => p.catch(() => undefined)));
}

/**
 * Starts loading, for the counties the list of `shape` held last time (src/cache/regionListGuesses.ts),
 * what `prefetchRegionFields` will load once the list is read: called before the list statement, so
 * that both run at once. Only loads: the values kept for the nodes are those of the list read.
 */
export function anticipateRegionFields(shape: string, info: GraphQLResolveInfo, ctx: Context): void {
  const codes = ctx.regionListGuesses?.guess(shape);
  if (!codes) return;
  let loads = guessedLoads.get(ctx);
  if (!loads) guessedLoads.set(ctx, (loads = new Map()));
  for (const { name, args, node } of nodeSelections(info)) {
    try {
      if (name === 'caseSummary') {
        const { days, summaries } = loadSummaries(ctx, args, codes);
        summaries.catch(() => undefined);
        loads.set(node, { kind: 'caseSummary', codes, days, summaries });
      } else if (name === 'risk') {
        const risks = loadRisks(ctx, args, codes);
        risks.catch(() => undefined);
        loads.set(node, { kind: 'risk', codes, risks });
      }
    } catch {
      // Invalid arguments: reported by the field's resolver.
    }
  }
}

type GuessedLoad = { codes: readonly string[] } & (
  | { kind: 'caseSummary'; days: number; summaries: Promise<CaseSummaryFigures[]> }
  | { kind: 'risk'; risks: Promise<RegionRisk[]> }
);

/** Per request (by context): the loads `anticipateRegionFields` started, by field node. */
const guessedLoads = new WeakMap<Context, Map<FieldNode, GuessedLoad>>();

/**
 * The load started ahead for this field node, when it was for exactly these counties in this order
 * (the guess was right): its values are then the list's, in the list's order, and asking the
 * loaders again for the same 2,978 keys (building and looking up each key) is skipped.
 */
function guessedLoad<K extends GuessedLoad['kind']>(ctx: Context, node: FieldNode, counties: readonly Region[], kind: K): Extract<GuessedLoad, { kind: K }> | undefined {
  const load = guessedLoads.get(ctx)?.get(node);
  if (!load || load.kind !== kind || load.codes.length !== counties.length || !counties.every((c, i) => c.code === load.codes[i])) return undefined;
  return load as Extract<GuessedLoad, { kind: K }>;
}

/** The `caseSummary` figures of counties, by `args` (days, asOf), in order; throws on invalid arguments. */
function loadSummaries(ctx: Context, args: Record<string, unknown>, codes: readonly string[]) {
  const days = intArgument('Region.caseSummary', 'days', args.days as number | null);
  const window = windowEnding(resolveAsOf(args.asOf as string | null), days);
  return { days, summaries: ctx.sources.cases.summary.loadAll(codes.map((code) => ({ code, counties: [code], ...window }))) };
}

/** The `risk` of counties, by `args` (asOf, ruleset), in order; throws on invalid arguments. */
function loadRisks(ctx: Context, args: Record<string, unknown>, codes: readonly string[]) {
  const asOf = resolveAsOf(args.asOf as string | null);
  const ruleset = (args.ruleset as string | null) ?? (argumentDefault('Region.risk', 'ruleset') as string);
  return ctx.services.risk.countyRisks(codes, asOf, ruleset);
}

/** Per request (by context): values computed ahead, by field node, then by the node they belong to. */
const aheadByRequest = new WeakMap<Context, WeakMap<FieldNode, Map<object, unknown>>>();

function keep(ctx: Context, field: FieldNode, nodes: readonly object[], values: readonly unknown[]): void {
  let byField = aheadByRequest.get(ctx);
  if (!byField) aheadByRequest.set(ctx, (byField = new WeakMap()));
  const byNode = byField.get(field) ?? new Map<object, unknown>();
  nodes.forEach((n, i) => byNode.set(n, values[i]));
  byField.set(field, byNode);
}

/**
 * The value a list's look-ahead computed for this field of `node`, or undefined (not a list's node,
 * not computed, or computed for other arguments: the field node, hence its arguments, differs).
 * The executor merges a field selected twice under one response key (fragments) into one call whose
 * first field node comes first in the document, as in the look-ahead's walk; every node of the walk is kept.
 */
export function lookedAhead<V>(ctx: Context, info: GraphQLResolveInfo, node: object): V | undefined {
  return aheadByRequest.get(ctx)?.get(info.fieldNodes[0])?.get(node) as V | undefined;
}

/** Fields selected on the list's nodes (`nodes { … }` and `edges { node { … } }`), with coerced arguments. */
function nodeSelections(info: GraphQLResolveInfo): { name: string; args: Record<string, unknown>; node: FieldNode }[] {
  const out: { name: string; args: Record<string, unknown>; node: FieldNode }[] = [];
  const typeFields = (info.schema.getType('Region') as GraphQLObjectType).getFields();
  const visitNodeSelection = (set: SelectionSetNode) => {
    for (const field of fieldsOf(set, info)) {
      const def = typeFields[field.name.value];
      if (!def) continue;
      try {
        out.push({ name: field.name.value, args: getArgumentValues(def, field, info.variableValues), node: field });
      } catch {
        // Left to the field's resolver to report.
      }
    }
  };
  for (const fieldNode of info.fieldNodes) {
    if (!fieldNode.selectionSet) continue;
    for (const f of fieldsOf(fieldNode.selectionSet, info)) {
      if (f.name.value === 'nodes' && f.selectionSet) visitNodeSelection(f.selectionSet);
      if (f.name.value === 'edges' && f.selectionSet) {
        for (const e of fieldsOf(f.selectionSet, info)) if (e.name.value === 'node' && e.selectionSet) visitNodeSelection(e.selectionSet);
      }
    }
  }
  return out;
}

/** The fields of a selection set, through inline fragments and fragment spreads. */
function fieldsOf(set: SelectionSetNode, info: GraphQLResolveInfo, seen = new Set<string>()): FieldNode[] {
  const out: FieldNode[] = [];
  for (const s of set.selections) {
    if (s.kind === Kind.FIELD) out.push(s);
    else if (s.kind === Kind.INLINE_FRAGMENT) out.push(...fieldsOf(s.selectionSet, info, seen));
    else if (s.kind === Kind.FRAGMENT_SPREAD && !seen.has(s.name.value)) {
      seen.add(s.name.value);
      const fragment = info.fragments[s.name.value];
      if (fragment) out.push(...fieldsOf(fragment.selectionSet, info, seen));
    }
  }
  return out;
}
