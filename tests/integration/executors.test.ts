import { startTestServer, type TestServer } from '../helpers/server';
import { contractOperations, contractVariables, operation } from '../helpers/operations';
import { DEMO_PEOPLE } from '../../src/seed/demoPeople';
import { DEMO_KEYS } from '../../datasources/apiKeys';
import { todayCst } from '../../src/clock';

/**
 * GRAPHQL_EXECUTOR=jit (graphql-jit, src/executor.ts) against GRAPHQL_EXECUTOR=js (graphql-js): two
 * servers over the same database answer every contract operation, for every role, and the error
 * cases (bad variables, refusals, userErrors, null propagation) with the same status and the same
 * bytes. Only what differs between two requests to one server is masked: pass tokens and the times
 * a pass was issued or checked; and, outside production, two debugging aids of answers with errors:
 * the errors' stack traces (frames of the engine's own functions) and the bytes counted against the
 * response budget (see `raw`).
 */

const ROLES = {
  PUBLIC: {},
  PARTNER: { authorization: `Bearer ${DEMO_KEYS.PARTNER}` },
  GOV: { authorization: `Bearer ${DEMO_KEYS.GOV}` },
  HEALTH: { authorization: `Bearer ${DEMO_KEYS.HEALTH}` },
} as const;
const today = todayCst();

let jit: TestServer;
let js: TestServer;

beforeAll(async () => {
  // no response cache: each server executes every request itself
  // API keys looked up once per server (the lookup counts in the answer's `extensions.sql`)
  [jit, js] = await Promise.all([
    startTestServer({ env: { GRAPHQL_EXECUTOR: 'jit', RESPONSE_CACHE: 'off' }, apiKeyCacheTtlMs: 3_600_000 }),
    startTestServer({ env: { GRAPHQL_EXECUTOR: 'js', RESPONSE_CACHE: 'off' }, apiKeyCacheTtlMs: 3_600_000 }),
  ]);
  for (const server of [jit, js]) for (const headers of Object.values(ROLES)) await server.gql('{ __typename }', {}, headers);
}, 60000);
afterAll(async () => {
  await Promise.all([jit?.close(), js?.close()]);
});

/** The answer as sent, with tokens and instants (which differ between any two requests) masked. */
async function raw(server: TestServer, query: string, variables: unknown, headers: Record<string, string>): Promise<{ status: number; text: string }> {
  const res = await fetch(`${server.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ query, variables }) });
  let text = await res.text();
  // outside production an error carries its stack, whose frames name the engine's own functions
  if (text.includes('"stacktrace"')) text = JSON.stringify(JSON.parse(text), (key, value) => (key === 'stacktrace' ? '<frames>' : value));
  // An error that nulls a parent: graphql-js stops a synchronous list at its first failed item,
  // graphql-jit completes the siblings and nulls afterwards, so the bytes it counted against the
  // response budget (`extensions.responseBytes`, outside production) can be more; what is sent is the same.
  if (text.includes('"errors"')) text = text.replace(/"responseBytes":\d+/, '"responseBytes":"<counted>"');
  text = text.replace(/"token":"[^"]*"/g, '"token":"<token>"').replace(/"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z"/g, '"<instant>"');
  return { status: res.status, text };
}

async function executions(server: TestServer): Promise<Record<string, number>> {
  const text = await fetch(`${server.url}/metrics`).then((r) => r.text());
  const out: Record<string, number> = {};
  for (const m of text.matchAll(/^changxing_graphql_executions_total\{engine="(\w+)"\} (\d+)$/gm)) out[m[1]] = Number(m[2]);
  return out;
}


/** Requests each server answers once per role; the differences found, and how many answers had `data` (were executed). */
async function compare(cases: { label: string; query: string; variables: unknown }[]) {
  const differences: unknown[] = [];
  let compared = 0;
  let executed = 0;
  for (const c of cases) {
    for (const [role, headers] of Object.entries(ROLES)) {
      const a = await raw(jit, c.query, c.variables, headers);
      const b = await raw(js, c.query, c.variables, headers);
      if (a.text.includes('"data"')) executed++;
      if (a.status !== b.status || a.text !== b.text) differences.push({ case: c.label, role, status: [a.status, b.status], jit: a.text.slice(0, 600), js: b.text.slice(0, 600) });
      compared++;
    }
  }
  return { differences, compared, executed };
}

describe('GRAPHQL_EXECUTOR=jit answers as graphql-js does', () => {
  it('for every contract operation and every role, byte for byte, executed by graphql-jit', async () => {
    const before = await executions(jit);
    const names = [...contractOperations().keys()];
    const tokens: string[] = [];
    const cases: { label: string; query: string; variables: unknown }[] = [];
    // checks last, with passes issued once both servers have answered IssuePass (issuing again revokes)
    for (const name of names.filter((n) => !n.startsWith('Check'))) {
      for (const variables of contractVariables(name, tokens)) cases.push({ label: name, query: operation(name), variables });
    }
    const first = await compare(cases);
    for (const p of DEMO_PEOPLE) {
      const issued = await jit.gql(operation('IssuePass'), { name: p.name, idNumber: p.idNumber });
      tokens.push(issued.body.data.issuePass.pass.token);
    }
    const checks = names.filter((n) => n.startsWith('Check')).flatMap((name) => contractVariables(name, tokens).map((variables) => ({ label: name, query: operation(name), variables })));
    const second = await compare(checks);
    expect([...first.differences, ...second.differences]).toEqual([]);
    expect(first.compared + second.compared).toBeGreaterThanOrEqual(names.length * 4);
    // each that was executed (not refused before: cost, trusted documents) ran compiled code, none fell back to graphql-js
    const after = await executions(jit);
    expect((after.jit ?? 0) - (before.jit ?? 0)).toBeGreaterThanOrEqual(first.executed + second.executed);
    expect(after.js ?? 0).toBe(before.js ?? 0);
    // the js server counts none: Apollo executes with graphql-js itself
    expect(await executions(js)).toEqual({});
  }, 300_000);

  it('for bad variables, refusals, userErrors, null propagation, fragments, directives and introspection', async () => {
    const { differences, compared } = await compare([
      { label: 'a variable of the wrong type', query: operation('ProvinceDrilldown'), variables: { code: 420000, from: 'yesterday', to: today } },
      { label: 'a required variable missing', query: operation('ProvinceDrilldown'), variables: { code: '420000' } },
      { label: 'an unknown enum value', query: 'query Q($l: RegionLevel!) { regions(level: $l, first: 2) { totalCount } }', variables: { l: 'VILLAGE' } },
      { label: 'an ID number with a wrong check digit', query: operation('CloseContactCheck'), variables: { name: '李橙', idNumber: '110105199003071238' } },
      { label: 'a list argument over its size', query: operation('CheckPasses'), variables: { tokens: Array.from({ length: 1001 }, () => 'x') } },
      { label: 'a field only some roles may read, in a list', query: `{ regions(level: COUNTY, first: 3) { nodes { code inflows(days: 7, first: 2) { trips } } } }`, variables: {} },
      { label: 'a bad argument in a list of counties', query: `{ regions(level: COUNTY, first: 3) { nodes { code caseSummary(days: 0) { newConfirmed } } } }`, variables: {} },
      { label: 'a region that does not exist', query: `{ region(code: "999999") { code name } }`, variables: {} },
      { label: 'a malformed region code', query: `{ region(code: "42") { code } }`, variables: {} },
      {
        label: 'fragments, aliases, @skip and @include',
        query: `query F($s: Boolean!) { a: region(code: "420106") { ...R province { ...R } } b: region(code: "110105") { name @skip(if: $s) code @include(if: $s) ... on Region { level } } } fragment R on Region { code name population }`,
        variables: { s: true },
      },
      { label: '__typename and introspection', query: `{ __typename __type(name: "RiskLevel") { kind enumValues { name } } }`, variables: {} },
      { label: 'a mutation with userErrors', query: operation('ReportCluster'), variables: { input: { regionCode: '999999', detectedOn: today, size: 1 } } },
    ]);
    expect(differences).toEqual([]);
    expect(compared).toBe(12 * 4);
  }, 120_000);
});

describe('GRAPHQL_EXECUTOR=trusted (the default)', () => {
  let trusted: TestServer;
  beforeAll(async () => {
    trusted = await startTestServer({ env: { RESPONSE_CACHE: 'off' }, apiKeyCacheTtlMs: 3_600_000 });
    // API keys looked up before (the lookup counts in the answer's `extensions.sql`)
    for (const headers of Object.values(ROLES)) await trusted.gql('{ __typename }', {}, headers);
  }, 60_000);
  afterAll(async () => {
    await trusted?.close();
  });

  it('compiles the trusted documents and runs any other on graphql-js, with the same answers', async () => {
    const before = await executions(trusted);
    // a trusted document (documents/manifest.json): compiled
    const map = await raw(trusted, operation('NationalRiskMap'), {}, ROLES.GOV);
    expect(map).toEqual(await raw(js, operation('NationalRiskMap'), {}, ROLES.GOV));
    const afterTrusted = await executions(trusted);
    expect([(afterTrusted.jit ?? 0) - (before.jit ?? 0), (afterTrusted.js ?? 0) - (before.js ?? 0)]).toEqual([1, 0]);
    // a document of the caller's own: never compiled, whatever it is
    const own = '{ regions(level: PROVINCE, first: 3) { nodes { code name } } }';
    expect(await raw(trusted, own, {}, ROLES.GOV)).toEqual(await raw(js, own, {}, ROLES.GOV));
    const afterOwn = await executions(trusted);
    expect([(afterOwn.jit ?? 0) - (afterTrusted.jit ?? 0), (afterOwn.js ?? 0) - (afterTrusted.js ?? 0)]).toEqual([0, 1]);
  }, 60_000);
});
