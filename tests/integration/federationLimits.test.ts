import Redis from 'ioredis';
import { startTestServer, type GraphQLResponse, type TestServer } from '../helpers/server';
import { postGraphQLFrom, startFederatedStack, subgraphFetches, type FederatedStack } from '../helpers/federation';
import { operation } from '../helpers/operations';
import { sha256 } from '../../src/documents/manifest';
import { CLIENT_ADDRESS_HEADER, SUBGRAPH_SECRET_HEADER } from '../../src/federation/names';
import { DEMO_PEOPLE, NOBODY_ID_NUMBER } from '../../src/seed/demoPeople';
import { todayCst } from '../../src/clock';
import { addDays } from '../../src/risk/dates';

const PARTNER = { authorization: 'Bearer demo-partner' };
const GOV = { authorization: 'Bearer demo-gov' };
const today = todayCst();

/** Both servers as deployed by default: trusted documents for PARTNER, 3 ID numbers per address and day; the gateway's log lines kept. */
const ENV: Record<string, string> = { TRUSTED_DOCUMENTS_ROLES: 'PARTNER', SELF_SERVICE_MAX_IDS_PER_DAY: '3', SELF_SERVICE_RATE_PER_MINUTE: '10', LOG_LEVEL: 'info' };
// CI runs Redis (REDIS_URL): then npm start and the gateway share registered APQ documents, under keys of this run only.
const redisUrl = process.env.REDIS_URL;
if (redisUrl) Object.assign(ENV, { REDIS_URL: redisUrl, REDIS_KEY_PREFIX: `cx-fedlimits-${process.pid}-${Date.now()}:` });

let single: TestServer;
let federated: FederatedStack;
beforeAll(async () => {
  [single, federated] = await Promise.all([startTestServer({ env: ENV, redisUrl }), startFederatedStack(undefined, { env: ENV })]);
}, 60000);
afterAll(async () => {
  await Promise.all([single?.close(), federated?.close()]);
  if (redisUrl) {
    const redis = new Redis(redisUrl);
    const keys = await redis.keys(`${ENV.REDIS_KEY_PREFIX}*`);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
  }
});

/** What a client can tell apart: the status, the headers it acts on, and each error's message, code and limit. */
interface Seen {
  status: number;
  headers: Record<string, string>;
  errors: { message: string; code: unknown; limit?: unknown }[];
  data: unknown;
}

/** Retry after a 401 with a key, after a 429 or 503, and not from a cache after an APQ miss; the method a 405 allows. */
const HEADERS = ['www-authenticate', 'retry-after', 'cache-control', 'allow'];

async function seen(res: Response): Promise<Seen> {
  // check times are the server's clock
  const body = JSON.parse(await res.text(), (key, value) => (key === 'asOf' && typeof value === 'string' && value.includes('T') ? '<now>' : value)) as GraphQLResponse['body'];
  const errors = (body.errors ?? []).map((e) => ({ message: e.message, code: e.extensions?.code, ...(e.extensions?.limit ? { limit: e.extensions.limit } : {}) }));
  const headers = Object.fromEntries(HEADERS.flatMap((h) => (res.headers.get(h) === null ? [] : [[h, res.headers.get(h)!]])));
  return { status: res.status, headers, errors, data: body.data ?? null };
}

/** Sends one request to `npm start` and to the gateway; returns what each client saw. */
async function both(send: (base: string) => Promise<Response>): Promise<{ single: Seen; gateway: Seen }> {
  return { single: await seen(await send(single.url)), gateway: await seen(await send(federated.url)) };
}

const post = (body: unknown, headers: Record<string, string> = {}) => (base: string) =>
  fetch(`${base}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
const get = (params: Record<string, unknown>, headers: Record<string, string> = {}) => (base: string) => {
  const query = Object.entries(params).map(([k, v]) => `${k}=${encodeURIComponent(typeof v === 'string' ? v : JSON.stringify(v))}`);
  return fetch(`${base}/graphql?${query.join('&')}`, { headers: { 'apollo-require-preflight': 'true', ...headers } });
};
const apq = (hash: string) => ({ persistedQuery: { version: 1, sha256Hash: hash } });

/** The issue's query: every county's daily figures from $f to $t. */
const DAILY =
  'query($f: Date!, $t: Date!) { regions(level: COUNTY, first: 5000) { nodes { daily(from: $f, to: $t) { date newConfirmed newAsymptomatic newSuspected newRecovered newDeaths cumulativeConfirmed newConfirmedPer100k } } } }';

/** `{ region(code: "420106") { parent { … code … } } }`: `depth` fields nested. */
const nested = (depth: number) => `{ region(code: "420106") ${'{ parent '.repeat(depth - 2)}{ code }${' }'.repeat(depth - 2)} }`;

/** Each refused request, and the status, code and limit `npm start` answers it with. */
interface Refused {
  name: string;
  send: (base: string) => Promise<Response>;
  status: number;
  code: string;
  limit?: string;
}
const refused = (name: string, send: Refused['send'], status: number, code: string, limit?: string): Refused => ({ name, send, status, code, limit });
const REFUSED: Refused[] = [
  refused('depth 13', post({ query: nested(13) }), 400, 'QUERY_TOO_COMPLEX', 'depth'),
  refused('nesting 100 (before parsing)', post({ query: nested(100) }), 400, 'QUERY_TOO_COMPLEX', 'depth'),
  refused('21 aliases', post({ query: `{ ${Array.from({ length: 21 }, (_, i) => `a${i}: region(code: "420106") { code }`).join(' ')} }` }), 400, 'QUERY_TOO_COMPLEX', 'aliases'),
  refused('11 directives', post({ query: `{ __typename ${'@include(if: true) '.repeat(11)} }` }), 400, 'QUERY_TOO_COMPLEX', 'directives'),
  refused('10,000 aliases (tokens)', post({ query: `{ ${Array.from({ length: 10_000 }, (_, i) => `a${i}: __typename`).join(' ')} }` }), 400, 'BAD_REQUEST', 'tokens'),
  refused('a 2 MB body', post({ query: '{ __typename }', variables: { pad: 'x'.repeat(2 * 1024 * 1024) } }), 413, 'BAD_REQUEST'),
  refused('a body that is not JSON', (base) => fetch(`${base}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query": ' }), 400, 'BAD_REQUEST'),
  refused('a subscription over HTTP', post({ query: 'subscription { riskLevelChanged(regionCodes: ["420106"]) { level } }' }), 400, 'BAD_REQUEST'),
  refused('a GET without a preflight header (CSRF)', (base) => fetch(`${base}/graphql?query=${encodeURIComponent('{ __typename }')}`), 400, 'BAD_REQUEST'),
  refused('cost 1,010,001 for PUBLIC', post({ query: '{ regions(level: PROVINCE, first: 5000) { nodes { children(first: 200) { nodes { code } } } } }' }), 400, 'QUERY_TOO_COMPLEX', 'cost'),
  refused(
    'PARTNER ProvinceDrilldown (over its 1,300 budget)',
    post({ query: operation('ProvinceDrilldown'), variables: { code: '420000', from: addDays(today, -6), to: today } }, PARTNER),
    400,
    'QUERY_TOO_COMPLEX',
    'cost',
  ),
  // the issue's attacks (PUBLIC, no key): what they can return is priced before anything runs
  refused(
    'three nested 500-pages through a variable default, no variables sent',
    post({ query: 'query($n: Int = 500) { regions(level: PROVINCE, first: $n) { nodes { children(first: $n) { nodes { children(first: $n) { nodes { code } } } } } } }' }),
    400,
    'QUERY_TOO_COMPLEX',
    'cost',
  ),
  refused('every county with 180 days of figures', post({ query: DAILY, variables: { f: addDays(today, -179), t: today } }), 400, 'QUERY_TOO_COMPLEX', 'cost'),
  refused(
    'every county with 180 days of figures, the dates as variable defaults',
    post({ query: DAILY.replace('$f: Date!, $t: Date!', `$f: Date = "${addDays(today, -179)}", $t: Date = "${today}"`) }),
    400,
    'QUERY_TOO_COMPLEX',
    'cost',
  ),
  refused('PARTNER, a document not in the manifest', post({ query: '{ checkPass(token: "x") { status } }' }, PARTNER), 403, 'PERSISTED_QUERY_NOT_ALLOWED'),
  refused('an unknown API key', post({ query: '{ __typename }' }, { authorization: 'Bearer not-a-key' }), 401, 'UNAUTHENTICATED'),
  refused('a malformed Authorization header', post({ query: '{ __typename }' }, { authorization: 'Basic abc' }), 401, 'UNAUTHENTICATED'),
  refused('an empty POST body', post({}), 400, 'BAD_REQUEST'),
  refused('a query that is not a string', post({ query: { kind: 'Name' } }), 400, 'BAD_REQUEST'),
  refused('variables as a JSON string', post({ query: '{ __typename }', variables: '{}' }), 400, 'BAD_REQUEST'),
  refused('extensions as a list', post({ query: '{ __typename }', extensions: [] }), 400, 'BAD_REQUEST'),
  refused('an operation name that is not a string', post({ query: '{ __typename }', operationName: 1 }), 400, 'BAD_REQUEST'),
  refused('a batch of two operations', post([{ query: '{ __typename }' }, { query: '{ __typename }' }]), 400, 'BAD_REQUEST'),
  refused('GET variables that are not JSON', get({ query: '{ __typename }', variables: '{bad' }), 400, 'BAD_REQUEST'),
  refused('GET variables that are not an object', get({ query: '{ __typename }', variables: '[1]' }), 400, 'BAD_REQUEST'),
  refused('a GET naming its query twice', (base) => fetch(`${base}/graphql?query=%7B__typename%7D&query=%7B__typename%7D`, { headers: { 'apollo-require-preflight': 'true' } }), 400, 'BAD_REQUEST'),
  refused('a mutation over GET', get({ query: 'mutation { reportCluster(input: { regionCode: "420106", detectedOn: "2020-01-01", size: 1 }) { userErrors { message } } }' }), 405, 'BAD_REQUEST'),
  // an ID number never travels in a URL: 405 with Allow: POST, before any lookup or count
  refused(
    'closeContactCheck over GET (a name and ID number in the URL)',
    get({ query: operation('CloseContactCheck'), variables: { name: DEMO_PEOPLE[1].name, idNumber: DEMO_PEOPLE[1].idNumber } }),
    405,
    'BAD_REQUEST',
  ),
  refused('person over GET, through a fragment', get({ query: `{ ...P } fragment P on Query { person(idNumber: "${DEMO_PEOPLE[0].idNumber}") { id } }` }, { authorization: 'Bearer demo-health' }), 405, 'BAD_REQUEST'),
  refused('a syntax error', post({ query: '{ region(code: ' }), 400, 'GRAPHQL_PARSE_FAILED'),
  refused('an unknown field', post({ query: '{ nope }' }), 400, 'GRAPHQL_VALIDATION_FAILED'),
  refused('a fragment cycle', post({ query: '{ region(code: "420106") { ...A } } fragment A on Region { parent { ...B } } fragment B on Region { parent { ...A } }' }), 400, 'GRAPHQL_VALIDATION_FAILED'),
];

describe('the gateway refuses what `npm start` refuses, as it does, before any subgraph is called', () => {
  it.each(REFUSED)('$name: HTTP $status $code', async ({ send, status, code, limit }) => {
    const before = await subgraphFetches(federated);
    const { single: want, gateway: got } = await both(send);
    expect(want.status).toBe(status);
    expect(want.errors[0]).toMatchObject({ code, ...(limit ? { limit } : {}) });
    expect(want.data).toBeNull();
    expect(got).toEqual(want);
    expect(await subgraphFetches(federated)).toBe(before);
  });

  it("refuses the issue's query over 14 days (≈ 6.5 MB; 30 days, ≈ 14 MB, costs 155,001 too) with RESPONSE_TOO_LARGE from both, at PUBLIC's 4 MiB", async () => {
    const { single: want, gateway: got } = await both(post({ query: DAILY, variables: { f: addDays(today, -13), t: today } }));
    expect(want).toEqual({
      status: 400,
      headers: {},
      errors: [{ message: expect.stringMatching(/^the answer exceeds the limit of 4194304 bytes for role PUBLIC; /), code: 'RESPONSE_TOO_LARGE', limit: 'response' }],
      data: null,
    });
    expect(got).toEqual(want);
  });

  it('names the same cost for the same operation: the cost walk gives the same figure on the supergraph', async () => {
    const { single: want, gateway: got } = await both(REFUSED.find((r) => r.name.startsWith('PARTNER ProvinceDrilldown'))!.send);
    expect(want.errors[0].message).toMatch(/^cost 180202 exceeds the limit of 1300 for role PARTNER/);
    expect(got.errors[0].message).toBe(want.errors[0].message);
  });

  it('lets through what fits, and each such request reaches the subgraphs (the fetch count can move)', async () => {
    const before = await subgraphFetches(federated);
    const { single: want, gateway: got } = await both(post({ query: nested(12) }));
    expect([want.status, want.errors]).toEqual([200, []]);
    expect(got).toEqual(want);
    expect(await subgraphFetches(federated)).toBeGreaterThan(before);
    const province = await both(post({ query: operation('ProvinceDrilldown'), variables: { code: '420000', from: addDays(today, -6), to: today } }, GOV));
    expect(province.gateway).toEqual(province.single);
    expect(province.single.errors).toEqual([]);
  });
});

describe('trusted documents (PARTNER) and automatic persisted queries, as on `npm start`', () => {
  let token: string;
  beforeAll(async () => {
    const issued = await single.gql(operation('IssuePass'), { name: DEMO_PEOPLE[0].name, idNumber: DEMO_PEOPLE[0].idNumber });
    token = issued.body.data.issuePass.pass.token;
  });

  it('runs a manifest document sent by PARTNER as its text, and by its hash alone (POST and GET)', async () => {
    for (const send of [
      post({ query: operation('CheckPass'), variables: { token } }, PARTNER),
      post({ extensions: apq(sha256(operation('CheckPass'))), variables: { token } }, PARTNER),
      get({ extensions: apq(sha256(operation('CheckPass'))), variables: { token } }, PARTNER),
    ]) {
      const { single: want, gateway: got } = await both(send);
      expect([want.status, want.errors]).toEqual([200, []]);
      expect(got).toEqual(want);
    }
  });

  it('refuses to register a document PARTNER may not run, and keeps it out of the cache', async () => {
    const query = '{ checkPass(token: "apq-partner") { status } }';
    const register = await both(post({ query, extensions: apq(sha256(query)) }, PARTNER));
    expect([register.single.status, register.single.errors[0].code]).toEqual([403, 'PERSISTED_QUERY_NOT_ALLOWED']);
    expect(register.gateway).toEqual(register.single);
    const again = await both(post({ extensions: apq(sha256(query)) }, PARTNER));
    expect([again.single.status, again.single.errors[0].code]).toEqual([200, 'PERSISTED_QUERY_NOT_FOUND']);
    expect(again.gateway).toEqual(again.single);
  });

  it('answers an unknown hash with PERSISTED_QUERY_NOT_FOUND, registers the document with its hash, then runs it by hash (POST and GET)', async () => {
    const query = `{ region(code: "420106") { name apqAt: code } }`;
    const hash = sha256(query);
    for (const hashOnly of [post({ extensions: apq(hash) }), get({ extensions: apq(hash) })]) {
      const miss = await both(hashOnly);
      expect([miss.single.status, miss.single.errors]).toEqual([200, [{ message: 'PersistedQueryNotFound', code: 'PERSISTED_QUERY_NOT_FOUND' }]]);
      expect(miss.gateway).toEqual(miss.single);
    }
    const register = await both(post({ query, extensions: apq(hash) }));
    expect([register.single.status, register.single.errors]).toEqual([200, []]);
    expect(register.gateway).toEqual(register.single);
    // by hash over GET, a public aggregate answer may be kept by a CDN until the data can change
    // (docs/http-caching.md); over POST it carries no Cache-Control, as when it was registered
    const GET_PUBLIC = { 'cache-control': 'public, max-age=0, s-maxage=10, stale-while-revalidate=20' };
    for (const [hashOnly, headers] of [[post({ extensions: apq(hash) }), {}], [get({ extensions: apq(hash) }), GET_PUBLIC]] as const) {
      const hit = await both(hashOnly);
      expect(hit.single).toEqual({ ...register.single, headers });
      expect(hit.gateway).toEqual({ ...register.single, headers });
    }
  });

  it('refuses a hash that does not match the document, and an unknown protocol version, each with its own code', async () => {
    for (const [send, code] of [
      [post({ query: '{ __typename }', extensions: apq(sha256('{ other }')) }), 'PERSISTED_QUERY_HASH_MISMATCH'],
      [get({ query: '{ __typename }', extensions: apq(sha256('{ other }')) }), 'PERSISTED_QUERY_HASH_MISMATCH'],
      [post({ query: '{ __typename }', extensions: { persistedQuery: { version: 2, sha256Hash: sha256('{ __typename }') } } }), 'BAD_REQUEST'],
    ] as const) {
      const { single: want, gateway: got } = await both(send);
      expect([want.status, want.errors.map((e) => e.code)]).toEqual([400, [code]]);
      expect(got).toEqual(want);
    }
  });

  it('refuses a document another role registered, when PARTNER sends its hash', async () => {
    const query = '{ regions(first: 1) { totalCount } }';
    expect((await both(post({ query, extensions: apq(sha256(query)) }, GOV))).gateway.errors).toEqual([]);
    const partner = await both(post({ extensions: apq(sha256(query)) }, PARTNER));
    expect([partner.single.status, partner.single.errors[0].code]).toEqual([403, 'PERSISTED_QUERY_NOT_ALLOWED']);
    expect(partner.gateway).toEqual(partner.single);
  });
});

(redisUrl ? describe : describe.skip)('APQ over one Redis (REDIS_URL)', () => {
  it('runs by hash on `npm start` a document registered through the gateway, and the other way round', async () => {
    for (const [registerAt, runAt] of [
      [federated.url, single.url],
      [single.url, federated.url],
    ]) {
      const alias = registerAt === single.url ? 'registeredAtSingle' : 'registeredAtGateway';
      const query = `{ region(code: "420106") { ${alias}: code } }`;
      const hash = sha256(query);
      expect((await seen(await post({ extensions: apq(hash) })(runAt))).errors[0].code).toBe('PERSISTED_QUERY_NOT_FOUND');
      expect((await seen(await post({ query, extensions: apq(hash) })(registerAt))).errors).toEqual([]);
      // registration is written after the answer (as Apollo does): give it a moment
      await new Promise((r) => setTimeout(r, 100));
      const hit = await seen(await post({ extensions: apq(hash) })(runAt));
      expect([hit.status, hit.errors, hit.data]).toEqual([200, [], { region: { [alias]: '420106' } }]);
    }
  });
});

describe("the caller's address reaches the subgraphs", () => {
  // Self-service lookups are limited to 3 ID numbers per address and day (ENV). Each caller below
  // connects from its own loopback address, as clients on the internet come from theirs.
  const check = (i: number) => (i < DEMO_PEOPLE.length ? { name: DEMO_PEOPLE[i].name, idNumber: DEMO_PEOPLE[i].idNumber } : { name: '王红', idNumber: NOBODY_ID_NUMBER });
  const codes = (res: GraphQLResponse) => (res.body.errors ?? []).map((e) => e.extensions?.code);

  it('limits close-contact checks through the gateway per address: 3 ID numbers, the 4th RATE_LIMITED; another address has its own count', async () => {
    for (const i of [0, 1, 2]) {
      const res = await postGraphQLFrom('127.0.0.2', federated.url, operation('CloseContactCheck'), check(i));
      expect([res.status, codes(res)]).toEqual([200, []]);
    }
    const fourth = await postGraphQLFrom('127.0.0.2', federated.url, operation('CloseContactCheck'), check(3));
    expect([fourth.status, codes(fourth)]).toEqual([429, ['RATE_LIMITED']]);
    // without the forwarded address every caller would share the gateway's count, and this one would be refused
    const other = await postGraphQLFrom('127.0.0.3', federated.url, operation('CloseContactCheck'), check(3));
    expect([other.status, codes(other)]).toEqual([200, []]);
  });

  it('is what the subgraph counts by: past the secret, the forwarded address picks the count', async () => {
    const direct = (address: string) =>
      postGraphQLFrom('127.0.0.1', federated.subgraphUrls.person.replace(/\/graphql$/, ''), operation('CloseContactCheck'), check(4), {
        [SUBGRAPH_SECRET_HEADER]: federated.secret,
        [CLIENT_ADDRESS_HEADER]: address,
      });
    // 127.0.0.2 used up its 3 ID numbers through the gateway (test above)
    expect(codes(await direct('127.0.0.2'))).toEqual(['RATE_LIMITED']);
    expect(codes(await direct('203.0.113.9'))).toEqual([]);
  });
});

describe('answers about a person', () => {
  it('are sent Cache-Control: no-store by both, the refusals too; aggregate answers are not', async () => {
    const lookup = await both(post({ query: operation('CloseContactCheck'), variables: { name: DEMO_PEOPLE[3].name, idNumber: DEMO_PEOPLE[3].idNumber } }));
    expect([lookup.single.status, lookup.single.headers['cache-control']]).toEqual([200, 'no-store']);
    expect(lookup.gateway).toEqual(lookup.single);
    const badKeyCheck = await both(post({ query: '{ checkPass(token: "x.y.z") { status } }' }, GOV));
    expect(badKeyCheck.single.headers['cache-control']).toBe('no-store');
    expect(badKeyCheck.gateway).toEqual(badKeyCheck.single);
    const aggregate = await both(post({ query: '{ region(code: "420106") { name } }' }));
    expect(aggregate.single.headers['cache-control']).toBeUndefined();
    expect(aggregate.gateway).toEqual(aggregate.single);
  });
});

describe("the gateway's request log line and metrics, as `npm start`'s", () => {
  /** The gateway's line for `requestId`, once its stdout has it. */
  async function lineFor(requestId: string): Promise<Record<string, unknown>> {
    for (let i = 0; i < 100; i++) {
      const line = federated.logLines().find((l) => l.msg === 'graphql request' && l.requestId === requestId);
      if (line) return line;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(`no log line with requestId ${requestId}`);
  }
  const FIELDS = ['durationMs', 'errors', 'hostname', 'level', 'msg', 'operation', 'outcome', 'pid', 'requestId', 'role', 'service', 'sqlStatements', 'time'];

  it('logs one line per request: request id, role, operation, outcome and error codes, no variables', async () => {
    const ok = `fed-log-ok-${Date.now()}`;
    const read = await federated.gql(operation('CountyInflows'), { code: '420106', days: 7 }, { ...GOV, 'x-request-id': ok });
    expect(read.body.errors).toBeUndefined();
    const line = await lineFor(ok);
    expect(line).toMatchObject({ level: 30, role: 'GOV', operation: 'CountyInflows', outcome: 'ok', durationMs: expect.any(Number), sqlStatements: expect.any(Number) });
    expect(Object.keys(line).filter((k) => !FIELDS.includes(k))).toEqual([]);
    expect(JSON.stringify(line)).not.toContain('420106');

    const refused = `fed-log-cost-${Date.now()}`;
    await federated.gql(operation('ProvinceDrilldown'), { code: '420000', from: addDays(today, -6), to: today }, { ...PARTNER, 'x-request-id': refused });
    expect(await lineFor(refused)).toMatchObject({ role: 'PARTNER', operation: 'ProvinceDrilldown', outcome: 'QUERY_TOO_COMPLEX', errors: ['QUERY_TOO_COMPLEX'] });

    const before = federated.logLines().filter((l) => l.msg === 'graphql request refused').length;
    await federated.gql('{ __typename }', {}, { authorization: 'Bearer not-a-key' });
    await new Promise((r) => setTimeout(r, 200));
    const warnings = federated.logLines().filter((l) => l.msg === 'graphql request refused');
    expect(warnings.slice(before).map((l) => [l.level, l.code])).toEqual([[40, 'UNAUTHENTICATED']]);
  });

  it("serves npm start's request metrics on /metrics beside Hive's per-subgraph ones", async () => {
    const text = await federated.metrics();
    // run once each through the gateway in this file (test above)
    expect(text).toMatch(/^changxing_graphql_requests_total\{operation="CountyInflows",outcome="ok"\} 1$/m);
    expect(text).toMatch(/^changxing_graphql_requests_total\{operation="ProvinceDrilldown",outcome="QUERY_TOO_COMPLEX"\} \d+$/m);
    expect(text).toMatch(/^changxing_pg_pool_connections\{source="access"\} \d+$/m);
    expect(await subgraphFetches(federated)).toBeGreaterThan(0);
  });
});
