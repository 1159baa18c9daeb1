import { readFileSync } from 'node:fs';
import { serverAudits } from 'graphql-http';
import { startTestServer, type GraphQLResponse, type TestServer } from '../helpers/server';
import { startFederatedStack, subgraphFetches, subgraphSqlStatements, type FederatedStack } from '../helpers/federation';
import { contractOperations, contractVariables, operation } from '../helpers/operations';
import { composeSupergraph } from '../../src/federation/compose';
import { SUBGRAPH_SECRET_HEADER, SUPERGRAPH_PATH } from '../../src/federation/names';
import { DEMO_PEOPLE } from '../../src/seed/demoPeople';
import { todayCst } from '../../src/clock';
import { addDays } from '../../src/risk/dates';

const ROLES = {
  PUBLIC: {},
  PARTNER: { authorization: 'Bearer demo-partner' },
  GOV: { authorization: 'Bearer demo-gov' },
  HEALTH: { authorization: 'Bearer demo-health' },
} as const;

let single: TestServer;
let federated: FederatedStack;

beforeAll(async () => {
  [single, federated] = await Promise.all([startTestServer(), startFederatedStack()]);
}, 60000);
afterAll(async () => {
  await Promise.all([single?.close(), federated?.close()]);
});

/** What must be the same on both: the data (tokens and check times aside) and the errors' codes by path. */
function comparable(res: GraphQLResponse) {
  const data = JSON.parse(JSON.stringify(res.body.data ?? null), (key, value) =>
    key === 'token' && typeof value === 'string' ? '<token>' : key === 'asOf' && typeof value === 'string' && value.includes('T') ? '<now>' : value,
  );
  const errors = (res.body.errors ?? []).map((e) => `${(e.path ?? []).join('.')} ${e.extensions?.code}`).sort();
  return { data, errors };
}


describe('supergraph.graphql', () => {
  it('is the composition of the subgraphs derived from schema/ (run `npm run compose` after changing schema/)', () => {
    expect(readFileSync(SUPERGRAPH_PATH, 'utf8')).toBe(composeSupergraph());
  });
});

describe('the gateway answers as the single server', () => {
  it('for every contract operation and every role: same HTTP status, same data, same error codes (PARTNER over its cost budget too)', async () => {
    const names = [...contractOperations().keys()];
    // passes are issued first (issuing again revokes the earlier pass), then checked with fresh tokens.
    const order = [...names.filter((n) => n === 'IssuePass'), ...names.filter((n) => n !== 'IssuePass' && !n.startsWith('Check')), ...names.filter((n) => n.startsWith('Check'))];
    const tokens: string[] = [];
    let compared = 0;
    const differences: unknown[] = [];
    for (const name of order) {
      if (name.startsWith('Check') && tokens.length === 0) {
        for (const p of DEMO_PEOPLE) {
          const issued = await single.gql(operation('IssuePass'), { name: p.name, idNumber: p.idNumber });
          tokens.push(issued.body.data.issuePass.pass.token);
        }
      }
      for (const variables of contractVariables(name, tokens)) {
        for (const [role, headers] of Object.entries(ROLES)) {
          const [a, b] = [await single.gql(operation(name), variables, headers), await federated.gql(operation(name), variables, headers)];
          const [want, got] = [comparable(a), comparable(b)];
          if (a.status !== b.status || JSON.stringify(want) !== JSON.stringify(got)) {
            differences.push({ name, role, variables, status: [a.status, b.status], single: want.errors, gateway: got.errors, sameData: JSON.stringify(want.data) === JSON.stringify(got.data) });
          }
          compared++;
        }
      }
    }
    expect(differences).toEqual([]);
    expect(compared).toBeGreaterThanOrEqual(names.length * 4);
  });

  it('refuses an unknown API key with 401 UNAUTHENTICATED, as the single server does', async () => {
    const headers = { authorization: 'Bearer not-a-key' };
    const [a, b] = await Promise.all([single.gql('{ apiInfo { version } }', {}, headers), federated.gql('{ apiInfo { version } }', {}, headers)]);
    expect([a.status, b.status]).toEqual([401, 401]);
    expect(b.body).toEqual({ errors: [{ message: a.body.errors![0].message, extensions: { code: 'UNAUTHENTICATED' } }] });
  });
});

describe('GraphQL over HTTP (graphql-http audit suite)', () => {
  // The gateway here runs as deployed by default, its answer cache and wire handling on
  // (gateway/responseCache.ts): every answer it sends is rewritten there, media type included.
  it('answers every audit as npm start does: the same result, and the same reason for each failure (graphqlHttp.test.ts lists them)', async () => {
    const results = async (base: string) => {
      const seen: string[] = [];
      for (const audit of serverAudits({ url: `${base}/graphql`, fetchFn: fetch })) {
        const result = await audit.fn();
        seen.push(`${result.id} ${result.status}${'reason' in result ? `: ${result.reason}` : ''}`);
      }
      return seen;
    };
    const want = await results(single.url);
    expect(want.filter((r) => !r.includes(' ok')).length).toBeGreaterThan(0);
    expect(await results(federated.url)).toEqual(want);
  });
});

describe('batching across subgraphs', () => {
  it('NationalRiskMap makes as many subgraph fetches and subgraph SQL statements with 2,978 counties as with 50 (one _entities call per plan step)', async () => {
    const fifty = await startFederatedStack(process.env.TEST_DATABASE_URL_50);
    try {
      const counts: Record<string, number> = {};
      // The gateway's response cache keeps the map from the comparison above (its key holds the
      // document's hash): a text of its own is a miss, planned and fetched.
      const map = `${operation('NationalRiskMap')}\n# batching across subgraphs`;
      for (const [label, stack] of [['full', federated], ['fifty', fifty]] as const) {
        const before = await subgraphFetches(stack);
        const sqlBefore = await subgraphSqlStatements(stack);
        const res = await stack.gql(map, {});
        expect(res.body.errors).toBeUndefined();
        counts[label] = (await subgraphFetches(stack)) - before;
        const sqlAfter = await subgraphSqlStatements(stack);
        for (const name of Object.keys(sqlAfter) as (keyof typeof sqlAfter)[]) counts[`${label} ${name} sql`] = sqlAfter[name] - sqlBefore[name];
        counts[`${label}Counties`] = res.body.data.counties.nodes.length;
      }
      expect(counts.fullCounties).toBeGreaterThan(2900);
      expect(counts.fiftyCounties).toBe(50);
      // regions (region subgraph), then caseSummary and risk of every county (case subgraph) in one _entities call
      expect(counts.full).toBe(counts.fifty);
      expect(counts.full).toBeLessThanOrEqual(3);
      // and each subgraph's own SQL stays bounded as on npm start (NationalRiskMap: 4 statements there):
      // the same statements for 2,978 counties as for 50, and only region and case read anything
      for (const name of ['region', 'case', 'mobility', 'person']) expect(counts[`full ${name} sql`]).toBe(counts[`fifty ${name} sql`]);
      // measured: region 2 (counties, their provinces; the list holds every county, so it is its own
      // total count), case 2 (data version, the 14-day summary of every county)
      expect([counts['full region sql'], counts['full case sql'], counts['full mobility sql'], counts['full person sql']]).toEqual([2, 2, 0, 0]);
    } finally {
      await fifty.close();
    }
  });
});

describe('across the hop', () => {
  it('subgraphs answer the gateway only: no secret, no answer', async () => {
    for (const url of Object.values(federated.subgraphUrls)) {
      const bare = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ __typename }' }) });
      expect(bare.status).toBe(403);
      const wrong = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', [SUBGRAPH_SECRET_HEADER]: 'x'.repeat(43) },
        body: JSON.stringify({ query: '{ __typename }' }),
      });
      expect(wrong.status).toBe(403);
      const right = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', [SUBGRAPH_SECRET_HEADER]: federated.secret },
        body: JSON.stringify({ query: '{ __typename }' }),
      });
      expect(right.status).toBe(200);
    }
  });

  it('forwards the request id: the audit row of a read through the gateway carries it', async () => {
    const requestId = `fed-${Date.now()}-trace`;
    const read = await federated.gql(operation('PersonRecord'), { idNumber: DEMO_PEOPLE[0].idNumber }, { ...ROLES.HEALTH, 'x-request-id': requestId });
    expect(read.body.errors).toBeUndefined();
    const trail = await single.gql('{ auditTrail(first: 20) { nodes { requestId operation } } }', {}, ROLES.HEALTH);
    expect(trail.body.data.auditTrail.nodes).toContainEqual({ requestId, operation: 'person' });
  });

  it('audits every pass check, also identical ones that arrive together (no in-flight deduplication)', async () => {
    const issued = await single.gql(operation('IssuePass'), { name: DEMO_PEOPLE[3].name, idNumber: DEMO_PEOPLE[3].idNumber });
    const token = issued.body.data.issuePass.pass.token;
    const run = `fed-dedupe-${Date.now()}`;
    const n = 40;
    const answers = await Promise.all(Array.from({ length: n }, () => federated.gql(operation('CheckPass'), { token }, { ...ROLES.PARTNER, 'x-request-id': run })));
    expect(answers.every((a) => a.body.data?.checkPass?.status === 'VALID')).toBe(true);
    const { rows } = await single.pools.access.query<{ n: number }>(`SELECT count(*)::int AS n FROM access.audit_log WHERE request_id = $1 AND operation = 'checkPass'`, [run]);
    expect(rows[0].n).toBe(n);
  });

  it('serves /healthz, /readyz and /metrics like `npm start`', async () => {
    for (const p of ['/healthz', '/readyz', '/metrics']) expect((await fetch(`${federated.url}${p}`)).status).toBe(200);
  });

  it('serves the JWKS, the CSV export and the pages of `npm start` from the subgraphs that have them', async () => {
    const jwks = async (base: string) => (await fetch(`${base}/.well-known/jwks.json`)).json();
    expect(await jwks(federated.url)).toEqual(await jwks(single.url));
    // the export authenticates the caller itself: PUBLIC is refused, GOV gets the same CSV as from npm start
    const csv = async (base: string, headers: Record<string, string> = {}) => {
      const res = await fetch(`${base}/export/daily.csv?level=COUNTY&parentCode=420100&from=${addDays(todayCst(), -2)}&to=${todayCst()}`, { headers });
      return { status: res.status, type: res.headers.get('content-type'), body: await res.text() };
    };
    const [a, b] = await Promise.all([csv(single.url, ROLES.GOV), csv(federated.url, ROLES.GOV)]);
    expect(b).toEqual(a);
    expect(a.status).toBe(200);
    expect(a.body.split('\n').length).toBeGreaterThan(2);
    expect((await csv(federated.url)).status).toBe((await csv(single.url)).status);
    for (const page of ['/', '/pass', '/partner']) {
      const [x, y] = await Promise.all([fetch(`${single.url}${page}`), fetch(`${federated.url}${page}`)]);
      expect([y.status, await y.text()]).toEqual([x.status, await x.text()]);
    }
    // anything else is the gateway's: no subgraph route leaks through
    expect((await fetch(`${federated.url}/nothing-here`)).status).toBe(404);
  });
});
