import { defaultFieldResolver, GraphQLError, GraphQLObjectType, type GraphQLFieldResolver, type GraphQLSchema } from 'graphql';
import { getDirective, MapperKind, mapSchema } from '@graphql-tools/utils';
import { ErrorCode } from '../errors';
import { ROLES, type Role, type Viewer } from './viewer';

/**
 * The one gate for authorization (STYLE habit 7): rules are declared in the schema with
 * `@auth(requires: [...])` and enforced here, never by `if (role …)` inside resolvers.
 *
 *   type Person @auth(requires: [HEALTH]) { … }            every field of Person, including later ones
 *   inflows(…): [RegionFlow!]! @auth(requires: [GOV, HEALTH])   one field (replaces the type's rule)
 *
 * A protected field's resolver (or the default resolver) is wrapped so that a caller whose role
 * is not listed gets a FORBIDDEN error at that field, and the other fields of the query still
 * resolve (as far as GraphQL's null propagation allows: a denied non-null field nulls its parent).
 * Fields without a rule, and rules that list every role, are not wrapped at all: the check runs on
 * every field of 2,900-node lists, so it is one Set lookup and a direct call.
 */
export const AUTH_DIRECTIVE = 'auth';

/** The rule of a field: its own @auth, else its object type's, else null (PUBLIC). */
export function authRule(schema: GraphQLSchema, typeName: string, field: Parameters<typeof getDirective>[1]): Role[] | null {
  const own = requiresOf(schema, field, `${typeName} field`);
  if (own) return own;
  const type = schema.getType(typeName);
  return type ? requiresOf(schema, type, `type ${typeName}`) : null;
}

function requiresOf(schema: GraphQLSchema, node: Parameters<typeof getDirective>[1], where: string): Role[] | null {
  const found = getDirective(schema, node, AUTH_DIRECTIVE);
  if (!found || found.length === 0) return null;
  if (found.length > 1) throw new Error(`@auth is given more than once on ${where}; give it once`);
  const requires = found[0].requires as Role[];
  if (requires.length === 0) throw new Error(`@auth(requires: []) on ${where} would deny everyone; list at least one role`);
  return [...new Set(requires)];
}

/** "GOV or HEALTH", "PARTNER, GOV or HEALTH". */
function rolesInWords(roles: readonly Role[]): string {
  return roles.length === 1 ? roles[0] : `${roles.slice(0, -1).join(', ')} or ${roles[roles.length - 1]}`;
}

export function forbidden(coordinate: string, requires: readonly Role[], role: Role): GraphQLError {
  return new GraphQLError(`${coordinate} requires role ${rolesInWords(requires)}; this request has role ${role}`, {
    extensions: { code: ErrorCode.FORBIDDEN },
  });
}

type AuthContext = { viewer: Viewer };

function guard(
  resolve: GraphQLFieldResolver<unknown, AuthContext>,
  coordinate: string,
  requires: readonly Role[],
): GraphQLFieldResolver<unknown, AuthContext> {
  const allowed: ReadonlySet<Role> = new Set(requires);
  return (source, args, context, info) => {
    const role = context.viewer.role;
    if (!allowed.has(role)) throw forbidden(coordinate, requires, role);
    return resolve(source, args, context, info);
  };
}

/** Where @apollo/subgraph keeps a type's `__resolveReference` (its `_entities` resolver calls it). */
type ReferenceResolver = (reference: object, context: AuthContext, info: unknown) => unknown;
interface SubgraphTypeExtensions {
  apollo?: { subgraph?: { resolveReference?: ReferenceResolver } };
}

/**
 * A federation subgraph's `_entities` field is public (the gateway resolves Regions through it),
 * and it hands each representation to the type's `__resolveReference` before any field of the
 * type runs: without this, a PUBLIC caller of a subgraph would have Persons read (and audited)
 * and only their fields refused. So an entity type's @auth rule gates its reference resolver too.
 * A refused reference is a rejected promise, so that only its own `_entities` entry is null
 * (FORBIDDEN at `_entities.<i>`), not the Regions of the same call.
 */
function guardReference(type: GraphQLObjectType, requires: readonly Role[]): GraphQLObjectType {
  const extensions = type.extensions as SubgraphTypeExtensions;
  const resolveReference = extensions.apollo?.subgraph?.resolveReference;
  if (!resolveReference) return type;
  const allowed: ReadonlySet<Role> = new Set(requires);
  const guarded: ReferenceResolver = (reference, context, info) => {
    const role = context.viewer.role;
    if (!allowed.has(role)) return Promise.reject(forbidden(`${type.name} (entity reference)`, requires, role));
    return resolveReference(reference, context, info);
  };
  const config = type.toConfig();
  return new GraphQLObjectType({
    ...config,
    extensions: { ...config.extensions, apollo: { ...extensions.apollo, subgraph: { ...extensions.apollo!.subgraph, resolveReference: guarded } } },
  });
}

/** The schema with every @auth rule enforced (applied last in buildSchema, after resolvers are attached). */
export function applyAuth(schema: GraphQLSchema): GraphQLSchema {
  return mapSchema(schema, {
    [MapperKind.OBJECT_TYPE]: (type) => {
      const requires = requiresOf(schema, type, `type ${type.name}`);
      return !requires || ROLES.every((r) => requires.includes(r)) ? type : guardReference(type, requires);
    },
    [MapperKind.OBJECT_FIELD]: (fieldConfig, fieldName, typeName) => {
      const requires = authRule(schema, typeName, fieldConfig);
      if (!requires || ROLES.every((r) => requires.includes(r))) return fieldConfig;
      const coordinate = `${typeName}.${fieldName}`;
      return {
        ...fieldConfig,
        resolve: guard(fieldConfig.resolve ?? defaultFieldResolver, coordinate, requires),
        // A subscription field is gated where its stream starts, too.
        ...(fieldConfig.subscribe ? { subscribe: guard(fieldConfig.subscribe, coordinate, requires) } : {}),
      };
    },
    [MapperKind.INTERFACE_FIELD]: (fieldConfig, fieldName, typeName) => {
      // Interface fields resolve on their object types: a rule here would silently not apply.
      if (getDirective(schema, fieldConfig, AUTH_DIRECTIVE)?.length) {
        throw new Error(`@auth on interface field ${typeName}.${fieldName} is not enforced; put it on the implementing object types`);
      }
      return fieldConfig;
    },
  });
}
