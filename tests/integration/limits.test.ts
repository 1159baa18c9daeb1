import { generateKeyPairSync } from 'node:crypto';
import { startTestServer, type TestServer } from '../helpers/server';
import { contractOperations, operation } from '../helpers/operations';
import { DEFAULT_LIMITS } from '../../src/limits';
import { todayCst } from '../../src/clock';
import { addDays } from '../../src/risk/dates';

const today = todayCst();

const GOV = { authorization: 'Bearer demo-gov' };
const HEALTH = { authorization: 'Bearer demo-health' };
const PARTNER = { authorization: 'Bearer demo-partner' };

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server.close();
});

/** `{ region(code: "420106") { parent { parent { … code … } } } }`: `depth` fields nested (region … code). */
function nested(depth: number): string {
  return `{ region(code: "420106") ${'{ parent '.repeat(depth - 2)}{ code }${' }'.repeat(depth - 2)} }`;
}

async function timed<T>(f: () => Promise<T>): Promise<{ result: T; ms: number }> {
  const started = performance.now();
  const result = await f();
  return { result, ms: performance.now() - started };
}

describe('operation limits', () => {
  it('rejects depth 1,000 quickly, naming the depth and the limit', async () => {
    const { result, ms } = await timed(() => server.gql(nested(1000)));
    expect(result.status).toBe(400);
    expect(result.body.data).toBeUndefined();
    expect(result.body.errors![0]).toMatchObject({
      message: `depth 1000 exceeds the limit of ${DEFAULT_LIMITS.maxDepth}`,
      extensions: { code: 'QUERY_TOO_COMPLEX', limit: 'depth' },
    });
    expect(ms).toBeLessThan(1000);
  });

  it('allows depth 12 and rejects depth 13', async () => {
    const ok = await server.gql(nested(12));
    expect(ok.body.errors).toBeUndefined();
    const deep = await server.gql(nested(13));
    expect(deep.body.errors![0].message).toBe('depth 13 exceeds the limit of 12');
  });

  it('rejects depth 10,000 at the token limit, before parsing it all', async () => {
    const { result, ms } = await timed(() => server.gql(nested(10_000)));
    expect(result.status).toBe(400);
    expect(result.body.errors![0]).toMatchObject({
      message: `the document exceeds the limit of ${DEFAULT_LIMITS.maxTokens} tokens`,
      extensions: { code: 'BAD_REQUEST', limit: 'tokens' },
    });
    expect(ms).toBeLessThan(1000);
  });

  it('rejects 10,000 aliases quickly (token limit), and 21 aliases (alias limit)', async () => {
    const many = `{ ${Array.from({ length: 10_000 }, (_, i) => `a${i}: region(code: "420106") { code }`).join(' ')} }`;
    const { result, ms } = await timed(() => server.gql(many));
    expect(result.status).toBe(400);
    expect(result.body.errors![0]).toMatchObject({ extensions: { code: 'BAD_REQUEST', limit: 'tokens' } });
    expect(ms).toBeLessThan(1000);

    const some = `{ ${Array.from({ length: 21 }, (_, i) => `a${i}: region(code: "420106") { code }`).join(' ')} }`;
    const aliases = await server.gql(some);
    expect(aliases.status).toBe(400);
    expect(aliases.body.errors![0]).toMatchObject({ message: 'aliases 21 exceeds the limit of 20', extensions: { code: 'QUERY_TOO_COMPLEX' } });
  });

  it('counts aliases of __typename too', async () => {
    const q = `{ ${Array.from({ length: 1500 }, (_, i) => `a${i}: __typename`).join(' ')} }`;
    const { status, body } = await server.gql(q);
    expect(status).toBe(400);
    expect(body.errors![0]).toMatchObject({ message: 'aliases 1500 exceeds the limit of 20', extensions: { code: 'QUERY_TOO_COMPLEX' } });
  });

  it('refuses a subscription over HTTP (served over WebSocket only) as a bad request, not as an internal error', async () => {
    const { status, body } = await server.gql('subscription { riskLevelChanged(regionCodes: ["420106"]) { level } }');
    expect(status).toBe(400);
    expect(body.errors![0]).toMatchObject({
      message: 'Subscriptions are served over WebSocket (graphql-transport-ws protocol) at /graphql, not over HTTP.',
      extensions: { code: 'BAD_REQUEST' },
    });
  });

  it('rejects more than 10 directives', async () => {
    const q = `{ __typename ${'@include(if: true) '.repeat(11)} }`;
    const { status, body } = await server.gql(q);
    expect(status).toBe(400);
    expect(body.errors!.map((e) => e.message)).toContain('directives 11 exceeds the limit of 10');
    expect(body.errors!.find((e) => e.message.startsWith('directives'))!.extensions!.code).toBe('QUERY_TOO_COMPLEX');
  });

  it('rejects a fragment cycle', async () => {
    const q = `query { region(code: "420106") { ...A } }
      fragment A on Region { parent { ...B } }
      fragment B on Region { parent { ...A } }`;
    const { status, body } = await server.gql(q);
    expect(status).toBe(400);
    expect(body.errors![0].message).toMatch(/Cannot spread fragment "A" within itself/);
    expect(body.errors![0].extensions!.code).toBe('GRAPHQL_VALIDATION_FAILED');
  });

  it('answers a body over the limit with 413', async () => {
    const res = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ __typename }', variables: { pad: 'x'.repeat(2 * 1024 * 1024) } }),
    });
    expect(res.status).toBe(413);
    const body = (await res.json()) as { errors: { message: string; extensions: { code: string } }[] };
    expect(body.errors[0]).toEqual({ message: 'The request body is larger than the limit of 1mb.', extensions: { code: 'BAD_REQUEST' } });
  });

  it('weighs lists by their page size: 10 nested children(first: 500) is refused for every role', async () => {
    const q = `{ region(code: "420000") ${'{ children(first: 500) { nodes '.repeat(10)}{ code }${' } }'.repeat(10)} }`;
    for (const headers of [{}, GOV, HEALTH]) {
      const { status, body } = await server.gql(q, {}, headers);
      expect(status).toBe(400);
      expect(body.errors![0].extensions!.code).toBe('QUERY_TOO_COMPLEX');
      expect(body.errors![0].message).toMatch(/^depth \d+ exceeds|^cost more than 10\^15 exceeds the limit of \d+ for role/);
    }
    // Within the depth limit, the cost alone refuses it.
    const five = `{ region(code: "420000") ${'{ children(first: 500) { nodes '.repeat(5)}{ code }${' } }'.repeat(5)} }`;
    const { body } = await server.gql(five, {}, GOV);
    expect(body.errors![0]).toMatchObject({ extensions: { code: 'QUERY_TOO_COMPLEX', limit: 'cost' } });
    expect(body.errors![0].message).toMatch(new RegExp(`^cost \\d+ exceeds the limit of ${DEFAULT_LIMITS.maxCost.GOV} for role GOV`));
  });

  it('reads page sizes from variables too', async () => {
    // 1 + 500 × (2 + 500 × (2 + 500)): the innermost level's nodes count (its totalCount alone would not)
    const q = `query($n: Int) { regions(first: $n) { nodes { children(first: $n) { nodes { children(first: $n) { nodes { code } } } } } } }`;
    const { body } = await server.gql(q, { n: 500 }, GOV);
    expect(body.errors![0]).toMatchObject({ extensions: { code: 'QUERY_TOO_COMPLEX', limit: 'cost', cost: 125_501_001 } });
  });

  it('gives each role the budget of the contract operations it runs: PARTNER only its pass checks', async () => {
    // cost = 1 + 5000 × (1 + 1): over PARTNER's 1,300, well under the others' 810,000
    const q = `{ regions(level: PROVINCE, first: 5000) { nodes { children(first: 100) { totalCount } } } }`;
    const partner = await server.gql(q, {}, PARTNER);
    expect(partner.status).toBe(400);
    expect(partner.body.errors![0]).toMatchObject({
      message: expect.stringMatching(/^cost 10001 exceeds the limit of 1300 for role PARTNER/),
      extensions: { code: 'QUERY_TOO_COMPLEX', limit: 'cost', cost: 10001, maxCost: 1300 },
    });
    for (const headers of [{}, GOV, HEALTH]) {
      const { status, body } = await server.gql(q, {}, headers);
      expect(status).toBe(200);
      expect(body.errors).toBeUndefined();
      expect(body.data.regions.nodes.length).toBeGreaterThan(30);
    }
  });

  describe("the issue's attacks, refused before they run", () => {
    const nestedDefaults = 'query($n: Int = 500) { regions(level: PROVINCE, first: $n) { nodes { children(first: $n) { nodes { children(first: $n) { nodes { code } } } } } } }';
    const daily = 'query($f: Date!, $t: Date!) { regions(level: COUNTY, first: 5000) { nodes { daily(from: $f, to: $t) { date newConfirmed newAsymptomatic newSuspected newRecovered newDeaths cumulativeConfirmed newConfirmedPer100k } } } }';
    const dailyDefaults = daily.replace('$f: Date!, $t: Date!', `$f: Date = "${addDays(today, -179)}", $t: Date = "${today}"`);

    it.each([
      ['three nested 500-pages through a variable default, no variables sent', nestedDefaults, {}, 1 + 500 * (2 + 500 * 502)],
      ['every county with 180 days of figures', daily, { f: addDays(today, -179), t: today }, 1 + 5000 * 181],
      ['the same with the dates as variable defaults', dailyDefaults, {}, 1 + 5000 * 181],
    ])('%s: QUERY_TOO_COMPLEX for every role, naming cost and limit', async (_name, query, variables, cost) => {
      for (const [role, headers] of [['PUBLIC', {}], ['GOV', GOV], ['HEALTH', HEALTH]] as const) {
        const { status, body } = await server.gql(query, variables, headers);
        expect(status).toBe(400);
        expect(body.data).toBeUndefined();
        expect(body.errors).toHaveLength(1);
        expect(body.errors![0]).toMatchObject({
          message: expect.stringMatching(new RegExp(`^cost ${cost} exceeds the limit of ${DEFAULT_LIMITS.maxCost[role]} for role ${role}; .*/export/daily\\.csv`)),
          extensions: { code: 'QUERY_TOO_COMPLEX', limit: 'cost', cost, maxCost: DEFAULT_LIMITS.maxCost[role] },
        });
      }
    });
  });

  it('keeps the contract operations within the budget of the roles that run them', async () => {
    // The largest real inputs: 5,000 counties, a province drill-down, 1,000 pass tokens.
    const runs: [string, Record<string, unknown>, Record<string, string>][] = [
      ['NationalRiskMap', {}, {}],
      ['ProvinceDrilldown', { code: '440000', from: '2020-01-01', to: '2020-01-14' }, {}],
      ['CountyInflows', { code: '420106', days: 14 }, GOV],
      ['CheckPasses', { tokens: Array.from({ length: 1000 }, (_, i) => `token-${i}`) }, PARTNER],
    ];
    for (const [name, variables, headers] of runs) {
      const { body } = await server.gql(operation(name), variables, headers);
      expect({ name, codes: (body.errors ?? []).map((e) => e.extensions?.code) }).toEqual({ name, codes: [] });
    }
    expect(contractOperations().size).toBe(12);
  });

  it('lets the resolver explain a page size out of range (the cost clamps it)', async () => {
    const { body } = await server.gql(`query($n: Int) { regions(first: $n) { totalCount } }`, { n: 1_000_000_000 });
    expect(body.errors![0].extensions!.code).toBe('BAD_USER_INPUT');
  });
});

describe('production', () => {
  let prod: TestServer;
  beforeAll(async () => {
    const pem = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    prod = await startTestServer({ env: { NODE_ENV: 'production', ID_HASH_SECRET: process.env.ID_HASH_SECRET!, PASS_SIGNING_KEY: pem } });
  });
  afterAll(async () => {
    await prod.close();
  });

  it('suggests no field names', async () => {
    const dev = await server.gql('{ regionz(first: 1) { totalCount } }');
    expect(dev.body.errors![0].message).toMatch(/Did you mean/);
    const { status, body } = await prod.gql('{ regionz(first: 1) { totalCount } }');
    expect(status).toBe(400);
    expect(body.errors![0].message).toBe('Cannot query field "regionz" on type "Query".');
  });

  it('refuses introspection', async () => {
    const { body } = await prod.gql('{ __schema { types { name } } }');
    expect(body.errors![0].message).toMatch(/introspection is not allowed/i);
    expect(body.data).toBeUndefined();
  });

  it('masks internal errors: no stack, no SQL', async () => {
    // a PUBLIC request's statements go to its class's own pools (docs/limits.md, "Bulkheads and load shedding")
    const query = jest.spyOn(prod.pools.classes!.public.region, 'query').mockImplementation((() =>
      Promise.reject(new Error('column "secret_col" does not exist: SELECT secret_col FROM region.regions'))) as never);
    try {
      const { body } = await prod.gql('{ region(code: "110105") { name } }');
      const text = JSON.stringify(body);
      expect(body.errors![0]).toMatchObject({ message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } });
      expect(text).not.toMatch(/stacktrace|SELECT|secret_col|at .*\.ts/);
    } finally {
      query.mockRestore();
    }
  });

  it('masks limit errors not at all: they say what to change', async () => {
    const { body } = await prod.gql(nested(13));
    expect(body.errors![0]).toEqual({ message: 'depth 13 exceeds the limit of 12', extensions: { code: 'QUERY_TOO_COMPLEX', limit: 'depth' } });
  });
});

describe('cost of fragments', () => {
  it('costs a fragment once however often it is spread (no exponential walk)', async () => {
    // F0 spreads F1 twice, F1 spreads F2 twice, …: 2^40 paths, 40 fragments.
    const n = 40;
    const fragments = Array.from({ length: n }, (_, i) =>
      i < n - 1 ? `fragment F${i} on Region { ...F${i + 1} ...F${i + 1} }` : `fragment F${i} on Region { code }`,
    ).join('\n');
    const { result, ms } = await timed(() => server.gql(`{ region(code: "420106") { ...F0 } }\n${fragments}`));
    expect(ms).toBeLessThan(2000);
    expect(result.status).toBe(200);
    expect(result.body.data.region.code).toBe('420106');
  });

  it('weighs a fragment once however often it is spread, in a list sized by its dates and in a list of objects', async () => {
    // the response budget walks these selections too (the smallest item of a list of days; the
    // leaves each object carries): walked path by path, this document was 2^40 visits
    const n = 40;
    const fragments = Array.from({ length: n }, (_, i) =>
      i < n - 1 ? `fragment D${i} on DailyCaseFigures { ...D${i + 1} ...D${i + 1} }` : `fragment D${i} on DailyCaseFigures { date newConfirmed }`,
    ).join('\n');
    const query = `query($from: Date!, $to: Date!) { region(code: "420106") { daily(from: $from, to: $to) { ...D0 } } }\n${fragments}`;
    const { result, ms } = await timed(() => server.gql(query, { from: '2026-11-01', to: '2026-11-03' }));
    expect(ms).toBeLessThan(2000);
    expect([result.status, result.body.errors]).toEqual([200, undefined]);
    expect(result.body.data.region.daily).toHaveLength(3);
    expect(Object.keys(result.body.data.region.daily[0]).sort()).toEqual(['date', 'newConfirmed']);
  });
});
