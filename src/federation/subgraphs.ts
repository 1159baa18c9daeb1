import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import {
  Kind,
  parse,
  print,
  type ConstDirectiveNode,
  type DefinitionNode,
  type DirectiveDefinitionNode,
  type DocumentNode,
  type FieldDefinitionNode,
  type GraphQLSchema,
  type TypeNode,
} from 'graphql';
import { buildSubgraphSchema, type GraphQLResolverMap } from '@apollo/subgraph';
import { mergeResolvers } from '@graphql-tools/merge';
import { resolvers } from '../../resolvers';
import type { Region } from '../../datasources/region';
import type { PersonRecord } from '../../datasources/person';
import type { Context } from '../context';
import { applyAuth } from '../auth/directive';
import { SCHEMA_DIR } from '../schemaSource';
import { checkListSizes } from '../limits/listSize';
import { applyResponseBudget } from '../limits/responseSize';
import { SUBGRAPH_NAMES, type SubgraphName } from './names';

/**
 * The federated form of the one schema (docs/federation.md): the SDL files of schema/ are
 * assigned to four subgraphs, and each subgraph's SDL is derived from them (never copied), with
 * `@key` on the entities and `@shareable` on value types that several subgraphs return.
 *
 * A field belongs to the subgraph of the file that declares it, unless FIELD_OWNERS names another.
 * A subgraph's SDL holds its own root fields, the entities it adds fields to (key fields + its
 * fields) and every type those fields reach.
 */
/** schema/ file → subgraph. subscription.graphql is not federated (served by `npm start` only). */
const FILE_OWNERS: Record<string, SubgraphName | null> = {
  'base.graphql': 'region',
  'auth.graphql': 'region',
  'cost.graphql': 'region',
  'region.graphql': 'region',
  'case.graphql': 'case',
  'risk.graphql': 'case',
  'ingest.graphql': 'case',
  'mobility.graphql': 'mobility',
  'person.graphql': 'person',
  'pass.graphql': 'person',
  'audit.graphql': 'person',
  'subscription.graphql': null,
};

/**
 * Fields owned by another subgraph than their file's: the import-risk model and the forecast are
 * driven by flows (mobility, GOV/HEALTH like `inflows`), `risk` stays with the case figures it rates.
 * `apiInfo` reports the latest case report date, a case fact: with it the region subgraph would
 * need the cases database (SUBGRAPH_SOURCES in names.ts) for one field.
 */
const FIELD_OWNERS: Record<string, SubgraphName> = {
  'Region.importRisk': 'mobility',
  'Query.riskForecast': 'mobility',
  'Query.apiInfo': 'case',
};

/** Entities and their keys. */
const ENTITY_KEYS: Record<string, string> = { Region: 'code', Person: 'id' };

const FEDERATION_LINK = 'extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key", "@shareable"])';
const ROOT_TYPES = new Set(['Query', 'Mutation']);
const BUILTIN_SCALARS = new Set(['String', 'Int', 'Float', 'Boolean', 'ID']);

interface OwnedField {
  owner: SubgraphName;
  node: FieldDefinitionNode;
}

/** Every definition of schema/, with the owner of each object field. */
function readSchemaFiles() {
  const objects = new Map<string, { directives: ConstDirectiveNode[]; description?: DefinitionNode; fields: OwnedField[] }>();
  const others = new Map<string, DefinitionNode>();
  const directives: DirectiveDefinitionNode[] = [];
  for (const [file, fileOwner] of Object.entries(FILE_OWNERS)) {
    if (fileOwner === null) continue;
    const doc = parse(readFileSync(path.join(SCHEMA_DIR, file), 'utf8'));
    for (const def of doc.definitions) {
      if (def.kind === Kind.OBJECT_TYPE_DEFINITION || def.kind === Kind.OBJECT_TYPE_EXTENSION) {
        const name = def.name.value;
        const entry = objects.get(name) ?? { directives: [], fields: [] };
        if (def.kind === Kind.OBJECT_TYPE_DEFINITION) entry.description = def;
        entry.directives.push(...(def.directives ?? []));
        for (const field of def.fields ?? []) {
          entry.fields.push({ owner: FIELD_OWNERS[`${name}.${field.name.value}`] ?? fileOwner, node: field });
        }
        objects.set(name, entry);
      } else if (def.kind === Kind.DIRECTIVE_DEFINITION) {
        directives.push(def);
      } else if ('name' in def && def.name) {
        if (def.kind.endsWith('Extension')) throw new Error(`federation: extensions of ${def.kind} are not derived yet (${file})`);
        others.set(def.name.value, def);
      }
    }
  }
  const unassigned = readdirGraphql().filter((f) => !(f in FILE_OWNERS));
  if (unassigned.length > 0) throw new Error(`federation: assign ${unassigned.join(', ')} to a subgraph in src/federation/subgraphs.ts`);
  return { objects, others, directives };
}

function readdirGraphql(): string[] {
  return readdirSync(SCHEMA_DIR).filter((f) => f.endsWith('.graphql'));
}

function namedType(type: TypeNode): string {
  return type.kind === Kind.NAMED_TYPE ? type.name.value : namedType(type.type);
}

function directive(name: string, args: Record<string, string> = {}): ConstDirectiveNode {
  return {
    kind: Kind.DIRECTIVE,
    name: { kind: Kind.NAME, value: name },
    arguments: Object.entries(args).map(([arg, value]) => ({
      kind: Kind.ARGUMENT,
      name: { kind: Kind.NAME, value: arg },
      value: { kind: Kind.STRING, value },
    })),
  };
}

/** The type names each subgraph includes, and the object fields it includes of each. */
function plan() {
  const files = readSchemaFiles();
  const included = new Map<SubgraphName, Map<string, FieldDefinitionNode[] | null>>();
  for (const sg of SUBGRAPH_NAMES) {
    const types = new Map<string, FieldDefinitionNode[] | null>();
    const visit = (typeName: string) => {
      if (BUILTIN_SCALARS.has(typeName) || types.has(typeName)) return;
      const object = files.objects.get(typeName);
      if (!object) {
        const other = files.others.get(typeName);
        if (!other) throw new Error(`federation: unknown type ${typeName}`);
        types.set(typeName, null);
        if (other.kind === Kind.INPUT_OBJECT_TYPE_DEFINITION) for (const f of other.fields ?? []) visit(namedType(f.type));
        return;
      }
      const key = ENTITY_KEYS[typeName];
      const fields = ROOT_TYPES.has(typeName) || key ? object.fields.filter((f) => f.owner === sg || f.node.name.value === key) : object.fields;
      types.set(typeName, fields.map((f) => f.node));
      for (const f of fields) {
        visit(namedType(f.node.type));
        for (const arg of f.node.arguments ?? []) visit(namedType(arg.type));
      }
    };
    // Roots and entities this subgraph adds fields to; then everything they reach.
    for (const [name, object] of files.objects) {
      if ((ROOT_TYPES.has(name) || ENTITY_KEYS[name]) && object.fields.some((f) => f.owner === sg && f.node.name.value !== ENTITY_KEYS[name])) visit(name);
    }
    // Every subgraph carries the @auth directive and its Role enum.
    visit('Role');
    included.set(sg, types);
  }
  return { files, included };
}

/** The SDL of each subgraph, derived from schema/. */
export function subgraphDocuments(): Record<SubgraphName, DocumentNode> {
  const { files, included } = plan();
  // value types several subgraphs return must be @shareable (Federation 2).
  const seen = new Map<string, number>();
  for (const types of included.values()) for (const [name, fields] of types) if (fields) seen.set(name, (seen.get(name) ?? 0) + 1);
  const docs = {} as Record<SubgraphName, DocumentNode>;
  for (const [sg, types] of included) {
    const definitions: DefinitionNode[] = [...parse(FEDERATION_LINK).definitions, ...files.directives];
    for (const [name, fields] of types) {
      if (!fields) {
        definitions.push(files.others.get(name)!);
        continue;
      }
      const object = files.objects.get(name)!;
      const description = object.description?.kind === Kind.OBJECT_TYPE_DEFINITION ? object.description.description : undefined;
      const extra = ENTITY_KEYS[name]
        ? [directive('key', { fields: ENTITY_KEYS[name] })]
        : !ROOT_TYPES.has(name) && (seen.get(name) ?? 0) > 1
          ? [directive('shareable')]
          : [];
      definitions.push({
        kind: Kind.OBJECT_TYPE_DEFINITION,
        name: { kind: Kind.NAME, value: name },
        description,
        directives: [...object.directives, ...extra],
        fields,
      });
    }
    docs[sg] = { kind: Kind.DOCUMENT, definitions };
  }
  return docs;
}

/** The printed SDL of one subgraph (what `_service { sdl }` answers and what `npm run compose` composes). */
export function subgraphSdl(name: SubgraphName): string {
  return print(subgraphDocuments()[name]);
}

/**
 * Entity references: the gateway sends `{ __typename, code }` or `{ __typename, id }`; the
 * datasource loads a request's references in one batch. A Person reference is a read of personal
 * data: audited by PeopleService.reference, and refused before it by @auth on the
 * type, which applyAuth extends to __resolveReference (src/auth/directive.ts).
 */
const referenceResolvers = {
  Region: {
    __resolveReference: (ref: { code: string }, { sources }: Context): Region | null | Promise<Region | null> => sources.regions.byCode.get(ref.code),
  },
  Person: {
    __resolveReference: (ref: { id: string }, { services }: Context): Promise<PersonRecord | null> => services.people.reference(String(ref.id)),
  },
};

/** The executable schema of one subgraph: the same resolvers, list sizes, response budget and @auth transform as `npm start`. */
export function buildSubgraph(name: SubgraphName): GraphQLSchema {
  const typeDefs = subgraphDocuments()[name];
  const present = new Map<string, Set<string> | null>();
  for (const def of typeDefs.definitions) {
    if (def.kind === Kind.OBJECT_TYPE_DEFINITION) present.set(def.name.value, new Set((def.fields ?? []).map((f) => f.name.value)));
    else if ('name' in def && def.name) present.set(def.name.value, null);
  }
  // only the resolvers of this subgraph's types and fields
  const own: Record<string, unknown> = {};
  for (const [typeName, typeResolvers] of Object.entries(mergeResolvers([resolvers, referenceResolvers]) as Record<string, unknown>)) {
    if (!present.has(typeName)) continue;
    const fields = present.get(typeName);
    if (!fields || typeof typeResolvers !== 'object' || typeResolvers === null || (typeResolvers as object).constructor?.name === 'GraphQLScalarType') {
      own[typeName] = typeResolvers;
      continue;
    }
    own[typeName] = Object.fromEntries(Object.entries(typeResolvers as Record<string, unknown>).filter(([f]) => f.startsWith('__') || fields.has(f)));
  }
  const schema = buildSubgraphSchema([{ typeDefs, resolvers: own as GraphQLResolverMap<unknown> }]);
  checkListSizes(schema);
  return applyAuth(applyResponseBudget(schema));
}
