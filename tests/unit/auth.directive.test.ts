import { graphql, type GraphQLObjectType, type GraphQLSchema } from 'graphql';
import { makeExecutableSchema } from '@graphql-tools/schema';
import { applyAuth } from '../../src/auth/directive';
import { buildSchema } from '../../src/schema';
import { PUBLIC_VIEWER, type Role, type Viewer } from '../../src/auth/viewer';
import { loadTypeDefs } from '../../src/schema';

const AUTH_SDL = loadTypeDefs().find((sdl) => sdl.includes('directive @auth'))!;

const viewer = (role: Role): Viewer => (role === 'PUBLIC' ? PUBLIC_VIEWER('test') : { role, keyId: 'k', keyName: 'k', operator: role === 'CARRIER' ? 'k' : null, clientId: 'k' });

/** A small schema: a public type with one protected field, and a protected type with one opened field. */
function sample(): GraphQLSchema {
  return applyAuth(
    makeExecutableSchema({
      typeDefs: [
        AUTH_SDL,
        /* GraphQL */ `
          type Query {
            region: Region
            person: Person @auth(requires: [HEALTH])
            personAnyway: Person
          }
          type Region {
            name: String
            inflows: Int @auth(requires: [GOV, HEALTH])
            everyone: Int @auth(requires: [PUBLIC, PARTNER, GOV, HEALTH, CARRIER])
          }
          type Person @auth(requires: [HEALTH]) {
            name: String
            maskedName: String @auth(requires: [PARTNER, HEALTH])
          }
          extend type Person {
            addedLater: String
          }
        `,
      ],
      resolvers: {
        Query: { region: () => ({ name: '武昌区', inflows: 7, everyone: 1 }), person: () => ({}), personAnyway: () => ({}) },
        Region: { inflows: (r: { inflows: number }) => r.inflows },
        Person: { name: () => '王红', maskedName: () => '王*', addedLater: () => 'x' },
      },
    }),
  );
}

const run = (schema: GraphQLSchema, source: string, role: Role) => graphql({ schema, source, contextValue: { viewer: viewer(role) } });

describe('@auth', () => {
  const schema = sample();

  it('denies a protected field with FORBIDDEN naming the field and the roles, and resolves the others', async () => {
    const result = await run(schema, '{ region { name inflows } }', 'PUBLIC');
    expect(result.data).toEqual({ region: { name: '武昌区', inflows: null } });
    expect(result.errors).toHaveLength(1);
    expect(result.errors![0].message).toBe('Region.inflows requires role GOV or HEALTH; this request has role PUBLIC');
    expect(result.errors![0].extensions.code).toBe('FORBIDDEN');
    expect(result.errors![0].path).toEqual(['region', 'inflows']);
  });

  it('lets a listed role through, with the resolver or the default resolver', async () => {
    expect(await run(schema, '{ region { name inflows everyone } }', 'GOV')).toEqual({ data: { region: { name: '武昌区', inflows: 7, everyone: 1 } } });
  });

  it('applies a type rule to every field of the type, fields of extensions included', async () => {
    const result = await run(schema, '{ personAnyway { name addedLater } }', 'GOV');
    expect(result.data).toEqual({ personAnyway: { name: null, addedLater: null } });
    expect(result.errors!.map((e) => e.message).sort()).toEqual([
      'Person.addedLater requires role HEALTH; this request has role GOV',
      'Person.name requires role HEALTH; this request has role GOV',
    ]);
  });

  it("lets a field's own rule replace its type's", async () => {
    const result = await run(schema, '{ personAnyway { maskedName name } }', 'PARTNER');
    expect(result.data).toEqual({ personAnyway: { maskedName: '王*', name: null } });
    expect(result.errors!.map((e) => e.message)).toEqual(['Person.name requires role HEALTH; this request has role PARTNER']);
  });

  it('names every role in the message: "PARTNER, GOV or HEALTH"', async () => {
    const three = applyAuth(
      makeExecutableSchema({ typeDefs: [AUTH_SDL, 'type Query { x: Int @auth(requires: [PARTNER, GOV, HEALTH]) }'], resolvers: { Query: { x: () => 1 } } }),
    );
    const result = await run(three, '{ x }', 'PUBLIC');
    expect(result.errors![0].message).toBe('Query.x requires role PARTNER, GOV or HEALTH; this request has role PUBLIC');
  });

  it('does not wrap fields without a rule, nor rules that list every role', () => {
    const plain = makeExecutableSchema({
      typeDefs: [AUTH_SDL, 'type Query { a: Int b: Int @auth(requires: [HEALTH]) c: Int @auth(requires: [PUBLIC, PARTNER, GOV, HEALTH, CARRIER]) }'],
      resolvers: { Query: { a: () => 1, b: () => 2, c: () => 3 } },
    });
    const before = (plain.getQueryType() as GraphQLObjectType).getFields();
    const after = (applyAuth(plain).getQueryType() as GraphQLObjectType).getFields();
    expect(after.a.resolve).toBe(before.a.resolve);
    expect(after.c.resolve).toBe(before.c.resolve);
    expect(after.b.resolve).not.toBe(before.b.resolve);
  });

  it('refuses a rule it could not enforce: on an interface field, or listing no role', () => {
    expect(() =>
      applyAuth(makeExecutableSchema({ typeDefs: [AUTH_SDL, 'interface Named { name: String @auth(requires: [HEALTH]) } type Query { a: Int }'] })),
    ).toThrow(/interface field Named.name is not enforced/);
    expect(() => applyAuth(makeExecutableSchema({ typeDefs: [AUTH_SDL, 'type Query { a: Int @auth(requires: []) }'] }))).toThrow(
      /would deny everyone/,
    );
  });
});

describe('the served schema', () => {
  const schema = buildSchema();
  const region = schema.getType('Region') as GraphQLObjectType;

  it('protects flows and import risk for GOV and HEALTH, and leaves the rest of Region public', async () => {
    // @listSize (schema/cost.graphql) sits beside @auth on list fields: only @auth is looked at here
    const auth = (f: { astNode?: { directives?: readonly { name: { value: string } }[] } | null }) => (f.astNode?.directives ?? []).filter((d) => d.name.value === 'auth');
    for (const name of ['inflows', 'outflows', 'importRisk']) {
      expect(auth(region.getFields()[name]).map((d) => d.name.value)).toEqual(['auth']);
    }
    const unwrapped = Object.values(region.getFields()).filter((f) => !['inflows', 'outflows', 'importRisk'].includes(f.name));
    expect(unwrapped.flatMap(auth)).toEqual([]);
  });

  it('documents every type and field of the auth and audit files', () => {
    for (const name of ['Role', 'AuditEntry', 'AuditEntryConnection', 'AuditEntryEdge', 'AuditTrailFilter']) {
      const type = schema.getType(name)!;
      expect(type.description).toBeTruthy();
      const fields = 'getFields' in type ? Object.values(type.getFields()) : 'getValues' in type ? type.getValues() : [];
      for (const f of fields) expect({ [`${name}.${f.name}`]: Boolean(f.description) }).toEqual({ [`${name}.${f.name}`]: true });
    }
    expect(schema.getDirective('auth')!.description).toMatch(/a field added to them later is denied/);
  });
});
