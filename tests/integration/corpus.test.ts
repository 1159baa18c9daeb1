/**
 * The bad-input corpus (DESIGN §6, issue "Hardening" item 4): several hundred hostile or broken
 * requests against a live server running with NODE_ENV=production. Most cases are generated: from
 * the schema (every String/ID/Date slot of every Query and Mutation field, every argument's type)
 * and from tables of hostile values; the HTTP-level ones are tables of raw requests.
 *
 * Every response must: not be 5xx nor fail to arrive; carry no SQL, stack, internal path, secret
 * or ID number that was sent; have `extensions.code` on every GraphQL error and never
 * INTERNAL_SERVER_ERROR. Then each case asserts its own outcome: rejected (4xx, or 200 with a
 * coded error), clean data, or a refusal in the payload (mutations' userErrors).
 *
 * All requests run once, in batches of 8, in `beforeAll`; each `it` asserts on one stored answer,
 * so that a failure names the input and what it broke. Afterwards /readyz must answer 200 and no
 * table of region, cases, mobility or access may have changed, except access.audit_log (append-only
 * by design: refused self-service checks and every HEALTH read are audited). access.passes is
 * checked: no hostile name matches a person, so no case may issue a pass. access.api_keys is
 * checked too: the corpus' own keys are created before the first fingerprint and revoked after
 * the second.
 */
import {
  getNamedType,
  isEnumType,
  isInputObjectType,
  isListType,
  isNonNullType,
  isScalarType,
  type GraphQLArgument,
  type GraphQLField,
  type GraphQLInputType,
} from 'graphql';
import { startTestServer, type TestServer } from '../helpers/server';
import { TEST_ID_HASH_SECRET } from '../helpers/secrets';
import {
  codesOf,
  describeResult,
  fingerprint,
  gqlRequest,
  inBatches,
  isCleanData,
  isRejected,
  leaksIn,
  operationFor,
  selectionOf,
  send,
  sendRawBytes,
  stringSlots,
  withValueAt,
  type RawRequest,
  type RawResult,
  type StringSlot,
  type TableFingerprint,
} from '../helpers/corpus';
import { buildSchema } from '../../src/schema';
import { generatePassSigningKey } from '../../src/pass/token';
import { KeyStore } from '../../datasources/apiKeys';
import { DEMO_PEOPLE, NOBODY_ID_NUMBER } from '../../src/seed/demoPeople';
import { todayCst } from '../../src/clock';
import { addDays } from '../../src/risk/dates';

// ---------------------------------------------------------------------------------------------
// Cases

type Role = 'HEALTH' | 'PUBLIC';

/** What a case expects beyond the common checks; returns a problem, or null when satisfied. */
type Expectation = (r: RawResult) => string | null;

/** The corpus' API keys: a HEALTH key, none (PUBLIC), and a revoked one. */
interface Keys {
  HEALTH: string | null;
  /** For the fields only a carrier may read (`@auth(requires: [CARRIER])`): their bounds are checked as theirs. */
  CARRIER: string | null;
  PUBLIC: string | null;
  REVOKED: string | null;
}

interface Case {
  category: string;
  name: string;
  /** A fetch request, or raw bytes written to the socket. */
  request: (keys: Keys) => RawRequest | Buffer;
  expect: Expectation;
}

const reject: Expectation = (r) => (isRejected(r) ? null : 'expected 4xx or a GraphQL error with extensions.code');
const rejectWith =
  (...codes: string[]): Expectation =>
  (r) =>
    (r.status >= 400 && r.status < 500) || codesOf(r).some((c) => codes.includes(c))
      ? null
      : `expected 4xx or an error coded ${codes.join('/')}`;
const status =
  (...statuses: number[]): Expectation =>
  (r) =>
    statuses.includes(r.status) ? null : `expected HTTP ${statuses.join('/')}`;
const cleanData =
  (check?: (data: any) => string | null): Expectation =>
  (r) =>
    !isCleanData(r) ? 'expected 200 with data and no error' : (check?.(r.json.data) ?? null);
const eitherOf =
  (...options: Expectation[]): Expectation =>
  (r) => {
    const problems = options.map((o) => o(r));
    return problems.some((p) => p === null) ? null : problems.join('; or ');
  };

const cases: Case[] = [];
const add = (category: string, name: string, request: Case['request'], expect: Expectation) => cases.push({ category, name, request, expect });
const bearer = (key: string | null): Record<string, string> => (key ? { authorization: `Bearer ${key}` } : {});

const schema = buildSchema();
const today = todayCst();
const aDay = addDays(today, -3);
const zhao = DEMO_PEOPLE.find((p) => p.key === 'zhaoLu')!;
/** ID numbers the corpus sends: no response may contain one. */
const SENT_ID_NUMBERS = [...DEMO_PEOPLE.map((p) => p.idNumber), NOBODY_ID_NUMBER];
const SIMPLE = '{ apiInfo { version } }';
const COUNTY = '420106';

const SQL_AND_SCRIPT = [
  "' OR 1=1 --",
  "'; DROP TABLE cases.persons; --",
  '$1',
  '\\x00',
  '<script>alert(1)</script>',
  '{{7*7}}',
  '${7*7}',
];

/** A valid value for an argument or input field, so that only the injected slot is hostile. */
function validValue(name: string, type: GraphQLInputType): unknown {
  if (isNonNullType(type)) return validValue(name, type.ofType);
  if (isListType(type)) return [validValue(name, type.ofType)];
  const named = getNamedType(type);
  if (isInputObjectType(named)) {
    const obj: Record<string, unknown> = {};
    for (const f of Object.values(named.getFields())) if (isNonNullType(f.type)) obj[f.name] = validValue(f.name, f.type);
    return obj;
  }
  if (isEnumType(named)) return named.getValues()[0].value;
  switch (named.name) {
    case 'Int':
      // Poison: a mutation must refuse the whole input, so that the corpus writes nothing.
      if (name === 'newConfirmed') return -1;
      if (name === 'size') return 1;
      return 1;
    case 'Float':
      return 1;
    case 'Boolean':
      return false;
    case 'Date':
      return aDay;
    case 'DateTime':
      return `${aDay}T00:00:00+08:00`;
    default:
      if (/code$/i.test(name)) return COUNTY;
      if (name === 'idNumber') return zhao.idNumber;
      if (name === 'name') return zhao.name;
      if (/^tokens?$/.test(name)) return 'not-a-pass-token';
      return 'x';
  }
}

/** Variables for a root field with `value` at the slot and valid values in every required argument. */
function variablesFor(slot: StringSlot, value: unknown): Record<string, unknown> {
  const vars: Record<string, unknown> = {};
  for (const a of slot.field.args) if (isNonNullType(a.type)) vars[a.name] = validValue(a.name, a.type);
  const injected = slot.list ? [value] : value;
  if (slot.path.length === 0) {
    vars[slot.arg.name] = injected;
  } else {
    const base = vars[slot.arg.name] ?? validValue(slot.arg.name, slot.arg.type);
    vars[slot.arg.name] = Array.isArray(base) ? [withValueAt(base[0], slot.path, injected)] : withValueAt(base, slot.path, injected);
  }
  return vars;
}

/** Roles a root field allows (from @auth on the field, else on its type); null: PUBLIC. */
function rolesOf(field: GraphQLField<unknown, unknown>): string[] | null {
  const find = (node: any) => node?.directives?.find((d: any) => d.name.value === 'auth');
  const auth = find(field.astNode) ?? find((getNamedType(field.type) as any).astNode);
  if (!auth) return null;
  const requires = auth.arguments.find((a: any) => a.name.value === 'requires');
  return requires.value.values.map((v: any) => v.value);
}
const allows = (field: GraphQLField<unknown, unknown>, role: Role) => {
  const roles = rolesOf(field);
  return roles === null || roles.includes(role);
};

/** A mutation that refused its input: a coded error, or a payload with userErrors and nothing stored. */
const refusedMutation =
  (field: string): Expectation =>
  (r) => {
    if (isRejected(r) && r.json?.data?.[field] == null) return null;
    const payload = r.json?.data?.[field];
    if (r.status === 200 && !r.json.errors && payload?.userErrors?.length > 0 && payload.pass == null && payload.cluster == null && !payload.accepted) {
      return null;
    }
    return `expected ${field} to be refused (error or userErrors, nothing stored)`;
  };

/** Slots whose value has a syntax (codes, ID numbers, dates, cursors): a hostile string is bad input. */
const STRUCTURED = (slot: StringSlot) =>
  ['Date', 'DateTime'].includes(slot.scalar) || /code$/i.test(slot.name) || slot.name === 'idNumber' || slot.name === 'after';

/** What a hostile string in this slot must produce, for this role. */
function expectationFor(slot: StringSlot, role: Role): Expectation {
  if (!allows(slot.field, role)) return rejectWith('FORBIDDEN', 'UNAUTHENTICATED', 'BAD_USER_INPUT');
  if (slot.operation === 'mutation') return refusedMutation(slot.field.name);
  if (STRUCTURED(slot)) return rejectWith('BAD_USER_INPUT');
  switch (slot.field.name) {
    case 'closeContactCheck': // a hostile name never matches: "not a close contact", as for any stranger
      return cleanData((d) => (d.closeContactCheck.isCloseContact === false ? null : 'a hostile name was a close contact'));
    case 'checkPass':
      return cleanData((d) => (d.checkPass.status === 'INVALID' ? null : `status ${d.checkPass.status}`));
    case 'checkPasses':
      return cleanData((d) => (d.checkPasses.every((c: any) => c.status === 'INVALID') ? null : 'a hostile token was not INVALID'));
    case 'auditTrail': // free-text filters match nothing; id filters may also be refused as malformed
      return eitherOf(
        cleanData((d) => (d.auditTrail.totalCount === 0 ? null : `matched ${d.auditTrail.totalCount} entries`)),
        rejectWith('BAD_USER_INPUT'),
      );
    default:
      return eitherOf(cleanData(), rejectWith('BAD_USER_INPUT'));
  }
}

const slots = stringSlots(schema);

// 1. SQL- and script-looking strings in every string slot, as HEALTH and as PUBLIC.
for (const role of ['HEALTH', 'PUBLIC'] as const) {
  for (const slot of slots) {
    for (const value of SQL_AND_SCRIPT) {
      add(`injection (${role})`, `${role} ${slot.label} = ${JSON.stringify(value)}`, (k) => gqlRequest(operationFor(slot.operation, slot.field), variablesFor(slot, value), bearer(k[role])), expectationFor(slot, role));
    }
  }
}

// 2. 1 MB strings and broken Unicode in every string slot (HEALTH).
const ONE_MB = 'A'.repeat(1024 * 1024);
for (const slot of slots) {
  add('1 MB string', `HEALTH ${slot.label} = 1 MB string`, (k) => gqlRequest(operationFor(slot.operation, slot.field), variablesFor(slot, ONE_MB), bearer(k.HEALTH)), eitherOf(status(413), expectationFor(slot, 'HEALTH')));
  // Just under the 1 MB body limit, so that the string reaches the resolver.
  add('1 MB string', `HEALTH ${slot.label} = 900 KB string`, (k) => gqlRequest(operationFor(slot.operation, slot.field), variablesFor(slot, ONE_MB.slice(0, 900 * 1024)), bearer(k.HEALTH)), expectationFor(slot, 'HEALTH'));
  for (const [label, value] of [
    ['a lone surrogate \\ud800', 'a\ud800b'],
    ['a NUL byte', 'a\u0000b'],
  ] as const) {
    add('invalid unicode', `HEALTH ${slot.label} = ${label}`, (k) => gqlRequest(operationFor(slot.operation, slot.field), variablesFor(slot, value), bearer(k.HEALTH)), expectationFor(slot, 'HEALTH'));
  }
  // Raw bytes that are not UTF-8 inside the JSON string: an overlong '/', a CESU surrogate, 0xFF.
  add('invalid unicode', `HEALTH ${slot.label} = overlong/invalid UTF-8 bytes`, (k) => {
    const json = JSON.stringify({ query: operationFor(slot.operation, slot.field), variables: variablesFor(slot, 'a@@BAD@@b') });
    const [before, after] = json.split('@@BAD@@');
    return {
      headers: { 'content-type': 'application/json', ...bearer(k.HEALTH) },
      body: Buffer.concat([Buffer.from(before), Buffer.from([0xc0, 0xaf, 0xed, 0xa0, 0x80, 0xff]), Buffer.from(after)]),
    };
  }, eitherOf(status(400), expectationFor(slot, 'HEALTH')));
}

// 3. Wrong variable types for every argument of every root field (HEALTH).
function wrongValues(type: GraphQLInputType): [string, unknown][] {
  const out: [string, unknown][] = [];
  if (isNonNullType(type)) {
    out.push(['null for non-null', null]);
    type = type.ofType;
  }
  if (isListType(type)) return [...out, ['an object for a list', { a: 1 }], ['a list of lists', [[1]]]];
  const named = getNamedType(type);
  if (isInputObjectType(named)) return [...out, ['a string for an input object', 'x'], ['an unknown input field', { nope: 1 }]];
  if (isEnumType(named)) return [...out, ['an unknown enum value', 'NOPE'], ['a number for an enum', 3]];
  if (isScalarType(named)) {
    if (named.name === 'Int') return [...out, ['a string for Int', '12'], ['a float for Int', 1.5], ['an array for Int', [1]]];
    if (named.name === 'ID') return [...out, ['an array for ID', ['420106']], ['an object for ID', { a: 1 }], ['a boolean for ID', true]];
    return [...out, [`an object for ${named.name}`, { a: 1 }], [`an array for ${named.name}`, ['x']], [`a number for ${named.name}`, 12]];
  }
  return out;
}
for (const [operation, type] of [['query', schema.getQueryType()!], ['mutation', schema.getMutationType()!]] as const) {
  for (const field of Object.values(type.getFields())) {
    for (const arg of field.args) {
      for (const [label, value] of wrongValues(arg.type)) {
        add('wrong variable type', `${type.name}.${field.name}(${arg.name}) = ${label}`, (k) => {
          const vars: Record<string, unknown> = {};
          for (const a of field.args) if (isNonNullType(a.type)) vars[a.name] = validValue(a.name, a.type);
          vars[arg.name] = value;
          return gqlRequest(operationFor(operation, field), vars, bearer(k.HEALTH));
        }, rejectWith('BAD_USER_INPUT'));
      }
    }
  }
}

// 4. Impossible dates in every Date argument of Region's fields, reversed and huge ranges.
const regionType = schema.getType('Region') as any;
const regionDateArgs: [GraphQLField<unknown, unknown>, GraphQLArgument][] = [];
for (const f of Object.values(regionType.getFields()) as GraphQLField<unknown, unknown>[]) {
  for (const a of f.args) if (getNamedType(a.type).name === 'Date') regionDateArgs.push([f, a]);
}
function regionFieldQuery(f: GraphQLField<unknown, unknown>, vars: Record<string, unknown>): RawRequest {
  const defs = f.args.filter((a) => a.name in vars).map((a) => `$${a.name}: ${String(a.type)}`);
  const call = f.args.filter((a) => a.name in vars).map((a) => `${a.name}: $${a.name}`);
  const sel = selectionOf(f.type);
  return { headers: {}, body: JSON.stringify({ query: `query${defs.length ? `(${defs.join(', ')})` : ''} { region(code: "${COUNTY}") { ${f.name}${call.length ? `(${call.join(', ')})` : ''} ${sel} } }`, variables: vars }) };
}
const withKey = (req: RawRequest, key: string | null): RawRequest => ({ ...req, headers: { 'content-type': 'application/json', ...bearer(key) } });
for (const [f, a] of regionDateArgs) {
  for (const bad of ['2021-02-29', '2020-13-01', '0000-00-00', '9999-12-31', '', '2020-02-30T00:00:00Z', '+002020-01-01', '20200101']) {
    add('impossible date', `Region.${f.name}(${a.name}) = ${JSON.stringify(bad)}`, (k) => {
      const vars: Record<string, unknown> = {};
      for (const other of f.args) if (isNonNullType(other.type)) vars[other.name] = validValue(other.name, other.type);
      vars[a.name] = bad;
      return withKey(regionFieldQuery(f, vars), k.HEALTH);
    }, rejectWith('BAD_USER_INPUT'));
  }
}
const dailyField = regionType.getFields().daily as GraphQLField<unknown, unknown>;
const clustersField = regionType.getFields().clusters as GraphQLField<unknown, unknown>;
for (const [name, field, vars, expect] of [
  ['daily reversed (from after to)', dailyField, { from: today, to: addDays(today, -10) }, rejectWith('BAD_USER_INPUT')],
  ['daily over 10,000 years', dailyField, { from: '0001-01-01', to: today }, rejectWith('BAD_USER_INPUT')],
  ['daily 367 days', dailyField, { from: addDays(today, -366), to: today }, rejectWith('BAD_USER_INPUT')],
  ['daily ending in the future', dailyField, { from: today, to: addDays(today, 30) }, rejectWith('BAD_USER_INPUT')],
  ['clusters reversed (from after to)', clustersField, { from: today, to: addDays(today, -10) }, eitherOf(rejectWith('BAD_USER_INPUT'), cleanData((d) => (d.region.clusters.totalCount === 0 ? null : 'clusters in an empty range')))],
  ['clusters over 10,000 years', clustersField, { from: '0001-01-01', to: today }, eitherOf(rejectWith('BAD_USER_INPUT'), cleanData())],
] as const) {
  add('date range', name, (k) => withKey(regionFieldQuery(field, vars), k.HEALTH), expect);
}
for (const days of [-1, 0, 367, 100000, 2 ** 31]) {
  add('date range', `Region.caseSummary(days: ${days})`, (k) => withKey(gqlRequest(`query($d: Int) { region(code: "${COUNTY}") { caseSummary(days: $d) { newConfirmed } } }`, { d: days }), k.HEALTH), rejectWith('BAD_USER_INPUT'));
}

// 5. Page sizes: negative, zero, 2^31 and 1e308 in every `first`, as a variable and as a literal.
const firstSites: [string, (v: string) => string, keyof Keys][] = [];
/** HEALTH reads every field but a carrier's own (its upload jobs), which only a CARRIER key may ask for. */
const readerOf = (f: GraphQLField<unknown, unknown>): keyof Keys => {
  const auth = f.astNode?.directives?.find((d) => d.name.value === 'auth');
  const requires = auth?.arguments?.find((a) => a.name.value === 'requires')?.value;
  const roles = requires?.kind === 'ListValue' ? requires.values.map((v) => (v.kind === 'EnumValue' ? v.value : '')) : [];
  return roles.length > 0 && !roles.includes('HEALTH') && roles.includes('CARRIER') ? 'CARRIER' : 'HEALTH';
};
for (const f of Object.values(schema.getQueryType()!.getFields())) {
  if (f.args.some((a) => a.name === 'first')) firstSites.push([`Query.${f.name}`, (v) => `query { ${f.name}(first: ${v}) { __typename } }`, readerOf(f)]);
}
for (const f of Object.values(regionType.getFields()) as GraphQLField<unknown, unknown>[]) {
  if (f.args.some((a) => a.name === 'first')) firstSites.push([`Region.${f.name}`, (v) => `query { region(code: "${COUNTY}") { ${f.name}(first: ${v}) { __typename } } }`, readerOf(f)]);
}
for (const [site, query, reader] of firstSites) {
  for (const v of ['-1', '0', String(2 ** 31), '1e308', '99999999999999999999']) {
    add('first', `${site}(first: ${v})`, (k) => gqlRequest(query(v), undefined, bearer(k[reader])), rejectWith('BAD_USER_INPUT', 'GRAPHQL_VALIDATION_FAILED'));
  }
}
for (const [label, v] of [['-1', -1], ['0', 0], ['2^31', 2 ** 31], ['1e308 (float)', 1e308], ['NaN as a string', 'NaN']] as const) {
  add('first', `Query.regions(first: $n = ${label})`, () => gqlRequest('query($n: Int) { regions(first: $n) { totalCount } }', { n: v }), rejectWith('BAD_USER_INPUT'));
}

// 6. Documents: syntax, unknown fields and types, fragment cycles, introspection in production.
const DOCUMENTS: [string, string, Expectation?][] = [
  ['empty query', ''],
  ['only whitespace', '   \n\t '],
  ['unclosed brace', '{ apiInfo { version }'],
  ['extra closing brace', '{ apiInfo { version } } }'],
  ['bare word', 'hello'],
  ['unknown root field', '{ nope }'],
  ['unknown nested field', `{ region(code: "${COUNTY}") { nope } }`],
  ['unknown argument', `{ region(code: "${COUNTY}", nope: 1) { name } }`],
  ['unknown variable type', 'query($x: NopeType) { apiInfo { version } }'],
  ['inline fragment on an unknown type', '{ ... on Nope { x } }'],
  ['fragment on a scalar', '{ apiInfo { version ...F } } fragment F on String { x }'],
  ['undefined variable', `{ region(code: $c) { name } }`],
  ['unused variable', 'query($x: Int) { apiInfo { version } }'],
  ['variable of an output type', 'query($x: Region) { apiInfo { version } }'],
  ['unknown directive', '{ apiInfo @nope { version } }'],
  ['@skip without if', '{ apiInfo @skip { version } }'],
  ['duplicate argument', `{ region(code: "${COUNTY}", code: "110105") { name } }`],
  ['leaf with a selection', '{ apiInfo { version { x } } }'],
  ['object without a selection', `{ region(code: "${COUNTY}") }`],
  ['missing required argument', '{ region { name } }'],
  ['string literal for Int', '{ regions(first: "10") { totalCount } }'],
  ['fragment cycle A→B→A', '{ ...A } fragment A on Query { ...B } fragment B on Query { ...A }'],
  ['fragment self-cycle', '{ ...A } fragment A on Query { apiInfo { version } ...A }'],
  ['fragment cycle through a field', `{ region(code: "${COUNTY}") { ...R } } fragment R on Region { parent { ...R } }`],
  ['unknown fragment', '{ ...Nope }'],
  ['unused fragment', '{ apiInfo { version } } fragment F on Query { apiInfo { version } }'],
  ['two anonymous operations', '{ apiInfo { version } } { apiInfo { today } }'],
  ['subscription', 'subscription { apiInfo { version } }'],
  ['schema definition as a query', 'type Query { x: Int }'],
  ['conflicting aliases', `{ a: region(code: "${COUNTY}") { name } a: apiInfo { version } }`],
  ['__schema in production', '{ __schema { types { name } } }'],
  ['__type in production', '{ __type(name: "Query") { name fields { name } } }'],
  ['unterminated string', '{ region(code: "420106) { name } }'],
  ['invalid escape in a string literal', '{ region(code: "\\u{D800}") { name } }'],
  ['NUL in the document', '{ apiInfo\u0000 { version } }'],
  ['10,000 nested list brackets in a literal', `{ checkPasses(tokens: ${'['.repeat(10000)}"x"${']'.repeat(10000)}) { status } }`],
];
for (const [name, query, expect] of DOCUMENTS) {
  add('document', name, (k) => gqlRequest(query, undefined, bearer(k.HEALTH)), expect ?? reject);
}
add('document', 'operationName that is not in the document', () => ({ headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: 'query A { apiInfo { version } }', operationName: 'B' }) }), reject);
add('document', 'two named operations without operationName', () => gqlRequest('query A { apiInfo { version } } query B { apiInfo { today } }'), reject);
add('document', 'mutation sent with a query operationName', () => ({ headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: 'mutation M { issuePass(name: "x", idNumber: "y") { pass { token } } }', operationName: 'Q' }) }), reject);

// 7. Operation limits: depth, aliases, tokens, list sizes.
const nest = (n: number, open: string, leaf: string) => `${open.repeat(n)} ${leaf} ${'}'.repeat(n * (open.split('{').length - 1))}`;
add('limits', 'depth 1,000 via parent { parent { … } }', () => gqlRequest(`{ region(code: "${COUNTY}") { ${nest(1000, 'parent { ', 'code')} } }`), rejectWith('QUERY_TOO_COMPLEX', 'BAD_USER_INPUT', 'GRAPHQL_VALIDATION_FAILED'));
add('limits', 'depth 1,000 via children { nodes { children … } }', () => gqlRequest(`{ region(code: "420000") { ${nest(500, 'children(first: 1) { nodes { ', 'code')} } }`), rejectWith('QUERY_TOO_COMPLEX', 'BAD_USER_INPUT', 'GRAPHQL_VALIDATION_FAILED'));
add('limits', '10,000 aliases', () => gqlRequest(`{ ${Array.from({ length: 10000 }, (_, i) => `a${i}: region(code: "${COUNTY}") { name }`).join(' ')} }`), rejectWith('QUERY_TOO_COMPLEX', 'BAD_USER_INPUT', 'GRAPHQL_VALIDATION_FAILED'));
add('limits', '10,000 aliases of __typename', () => gqlRequest(`{ ${Array.from({ length: 10000 }, (_, i) => `a${i}: __typename`).join(' ')} }`), rejectWith('QUERY_TOO_COMPLEX', 'BAD_USER_INPUT', 'GRAPHQL_VALIDATION_FAILED'));
// Under the 5,000-token parser limit, so that the alias limit itself is what must refuse it.
add('limits', '1,500 aliases of __typename (under the token limit)', () => gqlRequest(`{ ${Array.from({ length: 1500 }, (_, i) => `a${i}: __typename`).join(' ')} }`), rejectWith('QUERY_TOO_COMPLEX', 'BAD_USER_INPUT', 'GRAPHQL_VALIDATION_FAILED'));
add('limits', 'depth 100 via parent (under the token limit)', () => gqlRequest(`{ region(code: "${COUNTY}") { ${nest(100, 'parent { ', 'code')} } }`), rejectWith('QUERY_TOO_COMPLEX', 'BAD_USER_INPUT', 'GRAPHQL_VALIDATION_FAILED'));
add('limits', '50,000 repeated fields (tokens)', () => gqlRequest(`{ apiInfo { ${'version '.repeat(50000)}} }`), rejectWith('QUERY_TOO_COMPLEX', 'BAD_USER_INPUT', 'GRAPHQL_VALIDATION_FAILED'));
add('limits', '1,000 directives on one field', () => gqlRequest(`{ apiInfo ${'@include(if: true) '.repeat(1000)}{ version } }`), rejectWith('QUERY_TOO_COMPLEX', 'BAD_USER_INPUT', 'GRAPHQL_VALIDATION_FAILED'));
add('limits', 'cost: every county × children × daily 366 days', () => gqlRequest(`{ regions(first: 5000) { nodes { ${Array.from({ length: 20 }, (_, i) => `d${i}: daily(from: "${addDays(today, -365)}", to: "${today}") { newConfirmed }`).join(' ')} } } }`), rejectWith('QUERY_TOO_COMPLEX', 'BAD_USER_INPUT'));
add('limits', 'checkPasses with 10,000 tokens', (k) => gqlRequest('query($t: [String!]!) { checkPasses(tokens: $t) { status } }', { t: Array.from({ length: 10000 }, (_, i) => `tok${i}`) }, bearer(k.HEALTH)), rejectWith('BAD_USER_INPUT', 'QUERY_TOO_COMPLEX'));
add('limits', 'reportDailyCases with 5,001 reports', (k) => gqlRequest('mutation($i: [DailyReportInput!]!) { reportDailyCases(input: $i) { accepted userErrors { code } } }', { i: Array.from({ length: 5001 }, () => ({ regionCode: COUNTY, date: aDay, newConfirmed: 0 })) }, bearer(k.HEALTH)), refusedMutation('reportDailyCases'));
add('limits', 'reportDailyCases with the same (region, date) twice', (k) => gqlRequest('mutation($i: [DailyReportInput!]!) { reportDailyCases(input: $i) { accepted userErrors { code } } }', { i: [{ regionCode: COUNTY, date: aDay, newConfirmed: 1 }, { regionCode: COUNTY, date: aDay, newConfirmed: 2 }] }, bearer(k.HEALTH)), refusedMutation('reportDailyCases'));
add('limits', 'reportDailyCases for a day in the future', (k) => gqlRequest('mutation($i: [DailyReportInput!]!) { reportDailyCases(input: $i) { accepted userErrors { code } } }', { i: [{ regionCode: COUNTY, date: addDays(today, 5), newConfirmed: 1 }] }, bearer(k.HEALTH)), refusedMutation('reportDailyCases'));
add('limits', 'reportCluster with 2^31 - 1 cases and a 10,000-character description', (k) => gqlRequest('mutation($i: ClusterInput!) { reportCluster(input: $i) { cluster { id } userErrors { code } } }', { i: { regionCode: COUNTY, detectedOn: aDay, size: 2 ** 31 - 1, description: 'x'.repeat(10000) } }, bearer(k.HEALTH)), refusedMutation('reportCluster'));

// 8. HTTP: bodies, JSON, content types, methods, batching, headers.
const json = (body: string | Buffer, headers: Record<string, string> = {}): RawRequest => ({ headers: { 'content-type': 'application/json', ...headers }, body });
const MALFORMED_JSON: [string, string][] = [
  ['an open brace', '{'],
  ['a truncated object', '{"query": "{ apiInfo { version } }"'],
  ['a trailing comma', '{"query": "{ apiInfo { version } }",}'],
  ['single quotes', "{'query': '{ apiInfo { version } }'}"],
  ['trailing garbage', '{"query": "{ apiInfo { version } }"} xyz'],
  ['a bare string', '"{ apiInfo { version } }"'],
  ['a bare number', '42'],
  ['null', 'null'],
  ['an empty object', '{}'],
  ['query is a number', '{"query": 42}'],
  ['query is null', '{"query": null}'],
  ['query is an object', '{"query": {"a": 1}}'],
  ['variables is a string', '{"query": "{ apiInfo { version } }", "variables": "x"}'],
  ['variables is an array', '{"query": "{ apiInfo { version } }", "variables": [1, 2]}'],
  ['operationName is a number', '{"query": "{ apiInfo { version } }", "operationName": 5}'],
  ['extensions is a string', '{"query": "{ apiInfo { version } }", "extensions": "x"}'],
  ['an unknown persisted-query hash', '{"extensions": {"persistedQuery": {"version": 1, "sha256Hash": "0000000000000000000000000000000000000000000000000000000000000000"}}}'],
  ['a lone surrogate escape in a key', '{"\\ud800query": "{ apiInfo { version } }"}'],
  ['an invalid escape', '{"query": "\\q"}'],
  ['100,000 nested arrays', '['.repeat(100000) + ']'.repeat(100000)],
  ['100,000 nested objects in an undeclared variable', `{"query": "{ apiInfo { version } }", "variables": {"v": ${'{"a":'.repeat(100000)}1${'}'.repeat(100000)}}}`],
];
// Undeclared variables are ignored (GraphQL spec): deep nesting there must be parsed or refused, never crash.
for (const [name, body] of MALFORMED_JSON) add('malformed JSON', `body is ${name}`, () => json(body), name.includes('undeclared') ? eitherOf(reject, cleanData()) : reject);
add('malformed JSON', 'a UTF-8 BOM before the body', () => json(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(JSON.stringify({ query: SIMPLE }))])), eitherOf(reject, cleanData()));
add('malformed JSON', 'a UTF-16 body', () => json(Buffer.from(JSON.stringify({ query: SIMPLE }), 'utf16le')), reject);
add('malformed JSON', 'content-encoding gzip that is not gzip', () => json(JSON.stringify({ query: SIMPLE }), { 'content-encoding': 'gzip' }), reject);
add('malformed JSON', 'content-encoding br-lol', () => json(JSON.stringify({ query: SIMPLE }), { 'content-encoding': 'br-lol' }), reject);

add('empty body', 'POST application/json with an empty body', () => json(''), reject);
add('empty body', 'POST without body nor content-type', () => ({}), reject);
add('empty body', 'POST application/json with only whitespace', () => json('   \n'), reject);

const BODY = JSON.stringify({ query: SIMPLE });
const CONTENT_TYPES: [string, RawRequest][] = [
  ['text/plain with a JSON body', { headers: { 'content-type': 'text/plain' }, body: BODY }],
  ['text/plain with a bare query', { headers: { 'content-type': 'text/plain' }, body: SIMPLE }],
  ['application/x-www-form-urlencoded', { headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `query=${encodeURIComponent(SIMPLE)}` }],
  ['multipart/form-data', { headers: { 'content-type': 'multipart/form-data; boundary=XyZ' }, body: `--XyZ\r\nContent-Disposition: form-data; name="operations"\r\n\r\n${BODY}\r\n--XyZ--\r\n` }],
  ['multipart/form-data without a boundary', { headers: { 'content-type': 'multipart/form-data' }, body: BODY }],
  ['no content-type with a JSON body', { body: Buffer.from(BODY) }],
  ['application/graphql', { headers: { 'content-type': 'application/graphql' }, body: SIMPLE }],
  ['application/xml', { headers: { 'content-type': 'application/xml' }, body: '<query>apiInfo</query>' }],
  ['application/json; charset=latin1', { headers: { 'content-type': 'application/json; charset=latin1' }, body: BODY }],
  ['application/json; charset=utf-16', { headers: { 'content-type': 'application/json; charset=utf-16' }, body: BODY }],
  ['a malformed content-type', { headers: { 'content-type': ';;;===' }, body: BODY }],
  ['application/octet-stream', { headers: { 'content-type': 'application/octet-stream' }, body: BODY }],
];
for (const [name, req] of CONTENT_TYPES) add('content type', `POST ${name}`, () => req, reject);

const padded = (bytes: number) => JSON.stringify({ query: SIMPLE, variables: { pad: 'x'.repeat(bytes) } });
const TWO_MB = padded(2 * 1024 * 1024);
const TWENTY_MB = padded(20 * 1024 * 1024);
add('huge body', '2 MB JSON body', () => json(TWO_MB), status(413));
add('huge body', '20 MB JSON body', () => json(TWENTY_MB), status(413));
add('huge body', '2 MB query document', () => json(JSON.stringify({ query: `{ apiInfo { version } } # ${'x'.repeat(2 * 1024 * 1024)}` })), status(413));
const rawHttp = (head: string, body: string) => Buffer.from(`POST /graphql HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n${head}\r\n${body}`);
add('framing', 'content-length shorter than the body', () => rawHttp(`Content-Type: application/json\r\nContent-Length: 10\r\n`, BODY), reject);
add('framing', 'content-length that is not a number', () => rawHttp(`Content-Type: application/json\r\nContent-Length: abc\r\n`, BODY), reject);
add('framing', 'content-length and transfer-encoding together', () => rawHttp(`Content-Type: application/json\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n`, `${BODY.length.toString(16)}\r\n${BODY}\r\n0\r\n\r\n`), reject);
add('framing', 'a malformed chunk size', () => rawHttp(`Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n`, `zz\r\n${BODY}\r\n0\r\n\r\n`), reject);
add('framing', 'a header line without a colon', () => rawHttp(`Content-Type: application/json\r\nthis is not a header\r\nContent-Length: ${BODY.length}\r\n`, BODY), reject);

add('batching', 'a JSON array of 2 operations', () => json(JSON.stringify([{ query: SIMPLE }, { query: '{ apiInfo { today } }' }])), reject);
add('batching', 'a JSON array of 1,000 operations', () => json(JSON.stringify(Array.from({ length: 1000 }, () => ({ query: `{ region(code: "${COUNTY}") { name } }` })))), reject);
add('batching', 'an empty JSON array', () => json('[]'), reject);
add('batching', 'an array holding one mutation', () => json(JSON.stringify([{ query: 'mutation { issuePass(name: "x", idNumber: "y") { pass { token } } }' }])), reject);

const get = (query: string, headers: Record<string, string> = {}, extra = ''): RawRequest => ({ method: 'GET', path: `/graphql?query=${encodeURIComponent(query)}${extra}`, headers });
add('GET', 'GET with a mutation', () => get(`mutation { issuePass(name: "${zhao.name}", idNumber: "${zhao.idNumber}") { pass { token } } }`, { 'apollo-require-preflight': 'true' }), reject);
add('GET', 'GET with a mutation and no preflight header', () => get('mutation { reportCluster(input: {regionCode: "420106", detectedOn: "2020-02-01", size: 1}) { userErrors { code } } }'), reject);
add('GET', 'GET with a 100 KB query string', () => get(`{ apiInfo { version } } # ${'x'.repeat(100 * 1024)}`, { 'apollo-require-preflight': 'true' }), reject);
add('GET', 'GET with a 1 MB query string', () => get(`{ apiInfo { version } } # ${'x'.repeat(1024 * 1024)}`, { 'apollo-require-preflight': 'true' }), (r) => (r.failure || isRejected(r) ? null : 'expected a refusal or a closed connection'));
add('GET', 'GET with variables that are not JSON', () => get(SIMPLE, { 'apollo-require-preflight': 'true' }, '&variables=%7Bnope'), reject);
add('GET', 'GET with the query twice', () => get(SIMPLE, { 'apollo-require-preflight': 'true' }, `&query=${encodeURIComponent('{ apiInfo { today } }')}`), reject);
add('GET', 'GET without a query', () => ({ method: 'GET', path: '/graphql', headers: { 'apollo-require-preflight': 'true' } }), reject);
add('GET', 'GET with a malformed percent-encoding', () => ({ method: 'GET', path: '/graphql?query=%E0%A4%A', headers: { 'apollo-require-preflight': 'true' } }), reject);
add('GET', 'GET with a plain query (legitimate: answered)', () => get(SIMPLE, { 'apollo-require-preflight': 'true' }), cleanData((d) => (typeof d.apiInfo.version === 'string' ? null : 'no version')));
for (const method of ['PUT', 'DELETE', 'PATCH']) add('method', `${method} /graphql`, () => ({ ...json(BODY), method }), reject);
// A sub-path of /graphql is still the GraphQL endpoint (express mounts by prefix): answering is harmless, as long as no file is served.
add('method', 'POST to /graphql/..%2f..%2fetc%2fpasswd', () => ({ ...json(BODY), path: '/graphql/..%2f..%2fetc%2fpasswd' }), eitherOf(reject, cleanData((d) => (d.apiInfo ? null : 'not the GraphQL answer'))));
add('method', 'GET /graphql/../../etc/passwd', () => ({ method: 'GET', path: '/graphql/..%2f..%2f..%2fetc%2fpasswd' }), (r) => (r.text.includes('root:') ? 'served a file' : reject(r)));

const AUTHORIZATION: [string, string][] = [
  ['Bearer without a key', 'Bearer'],
  ['Bearer and a space', 'Bearer '],
  ['an empty header', ''],
  ['Basic xyz', 'Basic xyz'],
  ['a 10 KB key', `Bearer ${'k'.repeat(10 * 1024)}`],
  ['a demo key in production', 'Bearer demo-health'],
  ['an unknown key', 'Bearer cx_live_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'],
  ['two keys', 'Bearer a, Bearer b'],
  ['a key with spaces', 'Bearer a b c'],
  ['a key that looks like SQL', "Bearer '--OR1=1"],
  ['an ID number as key', `Bearer ${zhao.idNumber}`],
  ['a lowercase scheme and no key', 'bearer'],
];
for (const [name, value] of AUTHORIZATION) {
  add('authorization', `Authorization: ${name}`, () => json(BODY, { authorization: value }), rejectWith('UNAUTHENTICATED'));
}
add('authorization', 'Authorization: a revoked corpus key', (k) => json(BODY, bearer(k.REVOKED)), rejectWith('UNAUTHENTICATED'));
const answeredOr406: Expectation = eitherOf(status(406), cleanData());
for (const accept of ['text/html', 'application/xml', 'image/png', '*/*;q=0', 'application/json;q=0', ';;;', 'x'.repeat(8000)]) {
  add('accept', `Accept: ${accept.length > 40 ? `${accept.slice(0, 10)}… (${accept.length} chars)` : accept}`, () => json(BODY, { accept }), answeredOr406);
}
add('accept', 'Accept: application/graphql-response+json (legitimate)', () => json(BODY, { accept: 'application/graphql-response+json' }), cleanData());
add('headers', 'x-request-id holding an ID number is not echoed', () => json(JSON.stringify({ query: `query($n: String!, $i: String!) { closeContactCheck(name: $n, idNumber: $i) { isCloseContact } }`, variables: { n: "' OR 1=1 --", i: zhao.idNumber } }), { 'x-request-id': zhao.idNumber }), cleanData((d) => (d.closeContactCheck.isCloseContact === false ? null : 'a close contact')));
add('headers', 'a 20 KB cookie', () => json(BODY, { cookie: `a=${'x'.repeat(20 * 1024)}` }), reject);
add('headers', 'x-forwarded-for that looks like SQL', () => json(BODY, { 'x-forwarded-for': "1.1.1.1'; DROP TABLE cases.persons; --" }), cleanData());

// ---------------------------------------------------------------------------------------------
// Running

/** Tables that are not compared: access.audit_log is append-only and records refused requests. */
const UNCOMPARED = ['access.audit_log'];

let server: TestServer;
let results: RawResult[] = [];
let before: TableFingerprint[] = [];
let after: TableFingerprint[] = [];
let ready: RawResult;
let healthz: RawResult;
let runtimeMs = 0;

beforeAll(async () => {
  // Production, as deployed: express's own error pages read the process' NODE_ENV too.
  const savedNodeEnv = process.env.NODE_ENV;
  process.env.NODE_ENV = 'production';
  try {
    server = await startTestServer({
      env: {
        NODE_ENV: 'production',
        ID_HASH_SECRET: TEST_ID_HASH_SECRET,
        PASS_SIGNING_KEY: generatePassSigningKey(),
      },
      apiKeyCacheTtlMs: 60_000,
    });
  } finally {
    process.env.NODE_ENV = savedNodeEnv;
  }
  const store = KeyStore.over(server.pools.access);
  const health = await store.create({ role: 'HEALTH', ownerName: 'bad-input corpus' });
  const revoked = await store.create({ role: 'PARTNER', ownerName: 'bad-input corpus (revoked)' });
  await store.revoke(revoked.id);
  const carrier = await store.create({ role: 'CARRIER', ownerName: 'bad-input corpus', operator: 'corpus' });
  const keys: Keys = { HEALTH: health.key, CARRIER: carrier.key, PUBLIC: null, REVOKED: revoked.key };

  before = await fingerprint(server.pools, ['region', 'cases', 'mobility', 'access'], UNCOMPARED);
  const started = Date.now();
  results = await inBatches(
    cases.map((c) => () => {
      const req = c.request(keys);
      return Buffer.isBuffer(req) ? sendRawBytes(server.url, req) : send(server.url, req);
    }),
    8,
  );
  runtimeMs = Date.now() - started;
  healthz = await send(server.url, { method: 'GET', path: '/healthz' });
  ready = await send(server.url, { method: 'GET', path: '/readyz' });
  after = await fingerprint(server.pools, ['region', 'cases', 'mobility', 'access'], UNCOMPARED);
  await store.revoke(health.id);
  await store.revoke(carrier.id);
}, 180_000);

afterAll(async () => {
  if (!server) return;
  const byCategory = new Map<string, number>();
  for (const c of cases) byCategory.set(c.category, (byCategory.get(c.category) ?? 0) + 1);
  process.stderr.write(
    `\nbad-input corpus: ${cases.length} cases in ${(runtimeMs / 1000).toFixed(1)} s\n` +
      [...byCategory].map(([k, n]) => `  ${k}: ${n}`).join('\n') +
      '\n',
  );
  if (process.env.CORPUS_REPORT) {
    const { writeFileSync } = await import('node:fs');
    writeFileSync(process.env.CORPUS_REPORT, cases.map((c, i) => `${c.category} | ${c.name.slice(0, 140)} | ${describeResult(results[i])}`).join('\n'));
  }
  await server.close();
});

describe('bad-input corpus', () => {
  it('has at least 200 cases, with distinct names', () => {
    expect(cases.length).toBeGreaterThanOrEqual(200);
    expect(new Set(cases.map((c) => `${c.category}: ${c.name}`)).size).toBe(cases.length);
  });

  describe.each([...new Set(cases.map((c) => c.category))])('%s', (category) => {
    const mine = cases.map((c, i) => ({ c, i })).filter(({ c }) => c.category === category);
    it.each(mine.map(({ c, i }) => [c.name.length > 160 ? c.name.slice(0, 160) + '…' : c.name, i] as const))('%s', (_name, i) => {
      const r = results[i];
      const problems = [...leaksIn(r, SENT_ID_NUMBERS)];
      const own = cases[i].expect(r);
      if (own) problems.push(own);
      expect({ problems, got: problems.length ? describeResult(r) : 'ok' }).toEqual({ problems: [], got: 'ok' });
    });
  });

  it('keeps serving afterwards: /healthz and /readyz answer 200', () => {
    expect(describeResult(healthz)).toMatch(/^HTTP 200/);
    expect(describeResult(ready)).toMatch(/^HTTP 200/);
    expect(ready.json).toMatchObject({ status: 'ready' });
  });

  it('changed no row of region, cases, mobility or access (except the append-only audit_log)', () => {
    expect(before.length).toBeGreaterThanOrEqual(10);
    expect(after).toEqual(before);
  });
});
