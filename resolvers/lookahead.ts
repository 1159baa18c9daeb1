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

/**
 * Look-ahead for lists of regions. A list resolver sees, in `info`, which fields the query asks of
 * each node; loading those for all nodes at once (before graphql-js visits them) lets the node
 * field resolvers return plain values instead of one promise each. The SQL is the same batched
 * statements the loaders would send anyway; only the promises go away.
 */
export async function prefetchRegionFields(nodes: readonly Region[], info: GraphQLResolveInfo, { sources, services }: Context): Promise<void> {
  if (nodes.length === 0) return;
  const regionType = info.schema.getType('Region') as GraphQLObjectType;
  const fields = nodeSelections(info, regionType);
  const counties = nodes.filter((n) => n.level === 'COUNTY');
  const work: Promise<unknown>[] = [];
  for (const { name, args } of fields) {
    try {
      if (name === 'province') {
        work.push(sources.regions.byCode.loadAll([...new Set(nodes.map((n) => n.provinceCode))]));
      } else if (name === 'parent') {
        work.push(sources.regions.byCode.loadAll([...new Set(nodes.flatMap((n) => (n.parentCode ? [n.parentCode] : [])))]));
      } else if (name === 'caseSummary' && counties.length > 0) {
        const window = windowEnding(resolveAsOf(args.asOf as string | null), intArgument('Region.caseSummary', 'days', args.days as number | null));
        work.push(sources.cases.summary.loadAll(counties.map((c) => ({ code: c.code, counties: [c.code], ...window }))));
      } else if (name === 'risk' && counties.length > 0) {
        const asOf = resolveAsOf(args.asOf as string | null);
        work.push(services.risk.preloadCountyVerdicts(counties.map((c) => c.code), asOf, (args.ruleset as string | null) ?? (argumentDefault('Region.risk', 'ruleset') as string)));
      }
    } catch {
      // Invalid arguments: the field's own resolver reports them, with the right path.
    }
  }
  // A failed prefetch is not this resolver's error: the field resolvers load again and report it.
  await Promise.all(work.map((p) => p.catch(() => undefined)));
}

/** Fields selected on the list's nodes (`nodes { … }` and `edges { node { … } }`), with coerced arguments. */
function nodeSelections(info: GraphQLResolveInfo, type: GraphQLObjectType): { name: string; args: Record<string, unknown> }[] {
  const out: { name: string; args: Record<string, unknown> }[] = [];
  const typeFields = type.getFields();
  const visitNodeSelection = (set: SelectionSetNode) => {
    for (const field of fieldsOf(set, info)) {
      const def = typeFields[field.name.value];
      if (!def) continue;
      try {
        out.push({ name: field.name.value, args: getArgumentValues(def, field, info.variableValues) });
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
