import {
  astFromValue,
  getNamedType,
  isAbstractType,
  isEnumType,
  isInputObjectType,
  isLeafType,
  isListType,
  isNonNullType,
  isObjectType,
  Kind,
  print,
  type ConstDirectiveNode,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLObjectType,
  type GraphQLSchema,
} from 'graphql';
import { startTestServer, type GraphQLResponse, type TestServer } from '../helpers/server';
import { buildSchema } from '../../src/schema';
import { ROLES, type Role } from '../../src/auth/viewer';
import { DEMO_KEYS } from '../../datasources/apiKeys';
import { DEMO_PEOPLE } from '../../src/seed/demoPeople';
import { todayCst } from '../../src/clock';
import { addDays } from '../../src/risk/dates';

/**
 * The role × field matrix, generated from the schema: for every object type reachable from Query
 * (and Mutation), every field, and every role, the expectation is computed from the @auth
 * directives in the SDL (read here from the AST, independently of src/auth/directive.ts), and a
 * query that reaches the field is built and sent over HTTP with that role's demo key:
 *
 *  - allowed → the field resolves with no error (checked in one query per type and role);
 *  - denied by its own rule → a FORBIDDEN error at exactly that field (one query per field);
 *  - only reachable through a field denied to the role → FORBIDDEN at that first denied field.
 *
 * A field added later is covered without touching this file. A field that cannot be reached
 * (no sample for a required argument, a null or empty list on the way) fails its test: nothing is
 * skipped silently. To reach one, add a value to SAMPLES (by argument name, or `name:Type`).
 */

const schema = buildSchema();
const today = todayCst();

const HEADERS: Record<Role, Record<string, string>> = {
  PUBLIC: {},
  PARTNER: { authorization: `Bearer ${DEMO_KEYS.PARTNER}` },
  GOV: { authorization: `Bearer ${DEMO_KEYS.GOV}` },
  HEALTH: { authorization: `Bearer ${DEMO_KEYS.HEALTH}` },
  CARRIER: { authorization: `Bearer ${DEMO_KEYS.CARRIER}` },
};

// ---------------------------------------------------------------------------------------------
// Sample argument values
// ---------------------------------------------------------------------------------------------

const wang = DEMO_PEOPLE.find((p) => p.key === 'wangHong')!;
/**
 * Sets of personal arguments, tried in order until the field is reached: 王红 (a case), then her ID
 * number with a wrong name (reaches `userErrors` and NOT_MATCHED branches without a new ID number
 * counting against self-service limits), then the other demo people (a contact, risky stays…).
 */
const PERSONAL_SETS: { idNumber: string; name: string }[] = [
  { idNumber: wang.idNumber, name: wang.name },
  { idNumber: wang.idNumber, name: '李四' },
  ...DEMO_PEOPLE.filter((p) => p !== wang).map((p) => ({ idNumber: p.idNumber, name: p.name })),
];

interface SampleContext {
  set: { idNumber: string; name: string };
  /** Under Mutation: inputs that the server rejects with userErrors, so that nothing is written. */
  mutation: boolean;
}

/** By argument or input-field name, or `name:Type` (checked first). */
const SAMPLES: Record<string, (c: SampleContext) => unknown> = {
  code: () => '420106',
  parentCode: () => '420100',
  regionCode: (c) => (c.mutation ? '999999' : '420106'), // 999999: no such region → NOT_FOUND userError, nothing stored
  'from:Date': () => addDays(today, -6),
  'to:Date': () => today,
  date: () => today,
  detectedOn: () => today,
  asOf: () => today,
  idNumber: (c) => c.set.idNumber,
  name: (c) => c.set.name,
  token: () => 'not-a-token',
  tokens: () => ['not-a-token'],
  size: () => 2,
  newConfirmed: () => 0,
};

function sample(name: string, type: GraphQLInputType, c: SampleContext): unknown {
  const named = getNamedType(type);
  const byName = SAMPLES[`${name}:${named.name}`] ?? SAMPLES[name];
  if (byName) return byName(c);
  if (isNonNullType(type)) return sample(name, type.ofType, c);
  if (isListType(type)) return [sample(name, type.ofType, c)];
  if (isInputObjectType(type)) {
    const value: Record<string, unknown> = {};
    for (const f of Object.values(type.getFields())) {
      if (isNonNullType(f.type) && f.defaultValue === undefined) value[f.name] = sample(f.name, f.type, c);
    }
    return value;
  }
  if (isEnumType(type)) return type.getValues()[0].value;
  switch (named.name) {
    case 'Int':
    case 'Float':
      return 1;
    case 'Boolean':
      return true;
    case 'Date':
      return today;
    case 'DateTime':
      return new Date().toISOString();
    default:
      return 'sample';
  }
}

/** `(a: …, b: …)` with a literal for every required argument; optional ones are left out. */
function argumentsText(field: GraphQLField<unknown, unknown>, c: SampleContext): string {
  const required = field.args.filter((a) => isNonNullType(a.type) && a.defaultValue === undefined);
  if (required.length === 0) return '';
  const parts = required.map((a) => {
    const ast = astFromValue(sample(a.name, a.type, c), a.type);
    if (!ast) throw new Error(`no literal for ${field.name}(${a.name}: ${String(a.type)}); add a sample to SAMPLES`);
    return `${a.name}: ${print(ast)}`;
  });
  return `(${parts.join(', ')})`;
}

// ---------------------------------------------------------------------------------------------
// Expected rules, read from the SDL's AST
// ---------------------------------------------------------------------------------------------

function authOf(nodes: readonly ({ readonly directives?: readonly ConstDirectiveNode[] } | null | undefined)[]): Role[] | null {
  for (const node of nodes) {
    for (const d of node?.directives ?? []) {
      if (d.name.value !== 'auth') continue;
      const value = d.arguments?.find((a) => a.name.value === 'requires')?.value;
      if (!value) throw new Error('@auth without requires');
      const items = value.kind === Kind.LIST ? value.values : [value];
      return items.map((v) => {
        if (v.kind !== Kind.ENUM) throw new Error(`@auth(requires:) must list Role values, got ${v.kind}`);
        return v.value as Role;
      });
    }
  }
  return null;
}

/** The rule of a field: its own @auth, else its type's (definition or extensions), else PUBLIC (null). */
function ruleOf(type: GraphQLObjectType, field: GraphQLField<unknown, unknown>): Role[] | null {
  return authOf([field.astNode]) ?? authOf([type.astNode, ...type.extensionASTNodes]);
}

const allows = (rule: Role[] | null, role: Role) => rule === null || rule.includes(role);

// ---------------------------------------------------------------------------------------------
// Paths from the roots
// ---------------------------------------------------------------------------------------------

interface Step {
  parent: GraphQLObjectType;
  field: GraphQLField<unknown, unknown>;
  /** Inline fragment when the field's type is an interface or union. */
  on: string | null;
  target: GraphQLObjectType;
}

function edgesOf(s: GraphQLSchema, type: GraphQLObjectType): Step[] {
  const edges: Step[] = [];
  for (const field of Object.values(type.getFields())) {
    const named = getNamedType(field.type);
    if (isObjectType(named)) edges.push({ parent: type, field, on: null, target: named });
    else if (isAbstractType(named)) for (const t of s.getPossibleTypes(named)) edges.push({ parent: type, field, on: t.name, target: t });
  }
  return edges;
}

/**
 * Up to `limit` paths from `root` to `target`, shortest first, without visiting a type twice; over
 * fields the role may read when `role` is given. Several paths, because one may lead through data
 * that happens to be empty (a person without cases) while another reaches the type.
 */
function findPaths(s: GraphQLSchema, root: GraphQLObjectType, target: GraphQLObjectType, role: Role | null, limit = 4): Step[][] {
  const found: Step[][] = [];
  const queue: { type: GraphQLObjectType; path: Step[] }[] = [{ type: root, path: [] }];
  for (let expanded = 0; queue.length > 0 && found.length < limit && expanded < 50_000; expanded++) {
    const { type, path } = queue.shift()!;
    if (type.name === target.name) {
      found.push(path);
      continue;
    }
    if (path.length >= 6) continue;
    const visited = new Set([root.name, ...path.map((p) => p.target.name)]);
    for (const edge of edgesOf(s, type)) {
      if (visited.has(edge.target.name)) continue;
      if (role && !allows(ruleOf(edge.parent, edge.field), role)) continue;
      queue.push({ type: edge.target, path: [...path, edge] });
    }
  }
  return found;
}

const roots = [schema.getQueryType(), schema.getMutationType()].filter((t): t is GraphQLObjectType => t != null);

/** Every object type reachable from the roots (introspection types aside), in a stable order. */
function reachableTypes(): GraphQLObjectType[] {
  const seen = new Map<string, GraphQLObjectType>();
  const queue = [...roots];
  for (const r of roots) seen.set(r.name, r);
  while (queue.length > 0) {
    for (const edge of edgesOf(schema, queue.shift()!)) {
      if (!seen.has(edge.target.name)) {
        seen.set(edge.target.name, edge.target);
        queue.push(edge.target);
      }
    }
  }
  return [...seen.values()];
}

interface Route {
  root: GraphQLObjectType;
  path: Step[];
}

/**
 * The routes tried for a type and role: paths the role may walk (from Query first, then Mutation);
 * when there is none, the shortest path, which must then be denied at its first field the role
 * may not read.
 */
function routesFor(target: GraphQLObjectType, role: Role): { walkable: boolean; routes: Route[] } {
  for (const restrict of [role, null] as const) {
    const routes = roots.flatMap((root) => findPaths(schema, root, target, restrict).map((path) => ({ root, path })));
    if (routes.length > 0) return { walkable: restrict !== null, routes: restrict ? routes : routes.slice(0, 1) };
  }
  throw new Error(`${target.name} is not reachable from ${roots.map((r) => r.name).join(' or ')}`);
}

// ---------------------------------------------------------------------------------------------
// Queries and checks
// ---------------------------------------------------------------------------------------------

function selectionOf(field: GraphQLField<unknown, unknown>, c: SampleContext): string {
  return `${field.name}${argumentsText(field, c)}${isLeafType(getNamedType(field.type)) ? '' : ' { __typename }'}`;
}

function operationText(root: GraphQLObjectType, path: Step[], inner: string, c: SampleContext): string {
  let selection = inner;
  for (let i = path.length - 1; i >= 0; i--) {
    const { field, on } = path[i];
    selection = `${field.name}${argumentsText(field, c)} { ${on ? `... on ${on} { ${selection} }` : selection} }`;
  }
  return `${root === schema.getMutationType() ? 'mutation' : 'query'} { ${selection} }`;
}

const fieldPath = (path: readonly (string | number)[] | undefined) => (path ?? []).filter((p) => typeof p === 'string').join('.');

/** Errors in a line each: code, path and message (no stack traces). */
const brief = (errors: GraphQLResponse['body']['errors']) =>
  JSON.stringify((errors ?? []).map((e) => `${e.extensions?.code} at ${fieldPath((e as { path?: (string | number)[] }).path)}: ${e.message}`));

/** The object of the target type at the end of the path (first element of every list), or why there is none. */
function reach(data: unknown, path: Step[]): { object: Record<string, unknown> } | { missing: string } {
  let value: unknown = data;
  const walked: string[] = [];
  const first = () => {
    while (Array.isArray(value)) {
      if (value.length === 0) return false;
      value = value[0];
    }
    return true;
  };
  for (const step of path) {
    walked.push(step.field.name);
    value = (value as Record<string, unknown> | null)?.[step.field.name];
    if (value == null) return { missing: `${walked.join('.')} is null` };
    if (!first()) return { missing: `${walked.join('.')} is an empty list` };
  }
  if (value == null || typeof value !== 'object') return { missing: 'no data' };
  return { object: value as Record<string, unknown> };
}

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({
    // The matrix calls the self-service fields a few times per role; their limits are not under test here.
    env: { SELF_SERVICE_MAX_IDS_PER_DAY: '1000', SELF_SERVICE_RATE_PER_MINUTE: '100000' },
  });
  // The audit trail must hold a row for AuditEntry's fields to be reached: reading it writes one.
  await server.gql('{ auditTrail(first: 1) { totalCount } }', {}, HEADERS.HEALTH);
  // IngestJob and IngestProblem are reached through the demo carrier's jobs: a refused upload (nothing applied) makes one with a problem.
  await fetch(`${server.url}/ingest/flows`, { method: 'POST', headers: { ...HEADERS.CARRIER, 'content-type': 'text/csv' }, body: 'date,origin,destination,trips,mode\n2020-01-01,999999,110101,1,RAIL\n' });
});
afterAll(async () => {
  await server.close();
});

/**
 * Sends the operation with each personal sample set until `accept` takes the answer; fails with
 * every attempt's reason otherwise.
 */
async function attempt(
  role: Role,
  routes: Route[],
  inner: (c: SampleContext) => string,
  accept: (res: GraphQLResponse, route: Route) => string | null,
): Promise<void> {
  const tried = new Set<string>();
  const reasons: string[] = [];
  for (const route of routes) {
    for (const set of PERSONAL_SETS) {
      const c = { set, mutation: route.root === schema.getMutationType() };
      const text = operationText(route.root, route.path, inner(c), c);
      if (tried.has(text)) continue;
      tried.add(text);
      const res = await server.gql(text, {}, HEADERS[role]);
      const problem = res.status === 200 ? accept(res, route) : `HTTP ${res.status}: ${brief(res.body.errors)}`;
      if (problem === null) return;
      reasons.push(`${text}\n    → ${problem}`);
    }
  }
  throw new Error(`as ${role}, no route or sample gave the expected answer:\n  ${reasons.join('\n  ')}`);
}

const types = reachableTypes();

describe('the role × field matrix, generated from the schema', () => {
  it('covers every field of every type reachable from the roots, including the protected ones', () => {
    const cells = types.reduce((n, t) => n + Object.keys(t.getFields()).length, 0) * ROLES.length;
    expect(types.map((t) => t.name)).toEqual(expect.arrayContaining(['Query', 'Region', 'RegionFlow', 'ImportRisk', 'AuditEntry']));
    expect(cells).toBeGreaterThan(100 * ROLES.length);
    const region = schema.getType('Region') as GraphQLObjectType;
    expect(ruleOf(region, region.getFields().inflows)).toEqual(['GOV', 'HEALTH']);
    expect(ruleOf(region, region.getFields().name)).toBeNull();
  });

  describe.each(types.map((t) => [t.name, t] as const))('%s', (_name, type) => {
    it.each([...ROLES])('as %s: allowed fields resolve, denied ones are FORBIDDEN', async (role) => {
      const { walkable, routes } = routesFor(type, role);
      const names = (path: Step[]) => path.map((step) => step.field.name);

      if (!walkable) {
        // Every path to this type passes a field the role may not read: denied there, as a whole.
        const { path } = routes[0];
        const denied = path.findIndex((step) => !allows(ruleOf(step.parent, step.field), role));
        const where = names(path.slice(0, denied + 1)).join('.');
        await attempt(role, routes, () => '__typename', (res) => {
          const errors = res.body.errors ?? [];
          if (errors.some((e) => e.extensions?.code !== 'FORBIDDEN')) return `unexpected errors ${brief(errors)}`;
          return errors.some((e) => fieldPath((e as { path?: (string | number)[] }).path) === where)
            ? null
            : `expected FORBIDDEN at ${where}, got ${brief(errors)}`;
        });
        return;
      }

      const fields = Object.values(type.getFields());
      const allowed = fields.filter((f) => allows(ruleOf(type, f), role));
      const denied = fields.filter((f) => !allows(ruleOf(type, f), role));

      if (allowed.length > 0) {
        await attempt(role, routes, (c) => ['__typename', ...allowed.map((f) => selectionOf(f, c))].join(' '), (res, { path }) => {
          if (res.body.errors) return `errors ${brief(res.body.errors)}`;
          const reached = reach(res.body.data, path);
          if ('missing' in reached) return reached.missing;
          const absent = allowed.filter((f) => !(f.name in reached.object)).map((f) => f.name);
          return absent.length ? `fields not in the answer: ${absent.join(', ')}` : null;
        });
      }

      for (const f of denied) {
        const rule = ruleOf(type, f)!;
        const roles = rule.length === 1 ? rule[0] : `${rule.slice(0, -1).join(', ')} or ${rule[rule.length - 1]}`;
        const message = `${type.name}.${f.name} requires role ${roles}; this request has role ${role}`;
        await attempt(role, routes, (c) => `__typename ${selectionOf(f, c)}`, (res, { path }) => {
          const where = [...names(path), f.name].join('.');
          const errors = res.body.errors ?? [];
          if (errors.some((e) => e.extensions?.code !== 'FORBIDDEN')) return `unexpected errors ${brief(errors)}`;
          const hit = errors.find((e) => fieldPath((e as { path?: (string | number)[] }).path) === where);
          if (!hit) return `expected FORBIDDEN at ${where}, got ${brief(errors)}`;
          return hit.message === message ? null : `message "${hit.message}", expected "${message}"`;
        });
      }
    });
  });
});
