import { startFullAndFifty, type TestServer } from '../helpers/server';
import { todayCst } from '../../src/clock';

/**
 * The national 7-day forecast (riskForecast) and the forecast on Region.importRisk, over the small
 * seed: bounded SQL, and answers that agree with the model's equations and with the existing
 * import-risk estimate computed along a different path.
 */
let full: TestServer;
let fifty: TestServer;
beforeAll(async () => ({ full, fifty } = await startFullAndFifty()));
afterAll(() => Promise.all([full.close(), fifty.close()]));

const GOV = { authorization: 'Bearer demo-gov' };
const today = todayCst();

const RANKING = `query Ranking($asOf: Date, $first: Int, $after: String, $firstCaseOnly: Boolean, $within: ID) {
  riskForecast(asOf: $asOf, first: $first, after: $after, firstCaseOnly: $firstCaseOnly, within: $within) {
    totalCount model asOf parameters { name value }
    observedExpectedFit { model slope intercept rSquared counties }
    pageInfo { hasNextPage endCursor }
    nodes {
      rank probability level expectedCases expectedImportedCases expectedLocalCases importShare
      expectedInfectedArrivals importProbability confirmedLast14Days firstCaseCandidate horizonDays windowDays
      region { code name level }
      localTrend { direction recentCases previousCases recentSuspected growth }
      topSources(first: 50) { region { code } expectedInfectedArrivals contribution trips }
      observedExpected { inflowFromActiveAreas observedCases expectedCases ratio zScore reading }
    }
  }
}`;

async function ranking(server: TestServer, variables: Record<string, unknown>) {
  const { body } = await server.gql(RANKING, variables, GOV);
  expect(body.errors).toBeUndefined();
  return { data: body.data.riskForecast, statements: body.extensions.sql.statements as number, bySource: body.extensions.sql.bySource as Record<string, number> };
}

describe('riskForecast', () => {
  it('takes the same small number of SQL statements for 2,978 counties as for 50', async () => {
    const big = await ranking(full, { asOf: today, first: 500 });
    const small = await ranking(fifty, { asOf: today, first: 500 });
    expect(big.data.totalCount).toBeGreaterThan(2900);
    expect(small.data.totalCount).toBe(50);
    // one statement per source: the county list, the counts of the window, the weighted inflows
    expect(big.bySource).toMatchObject({ region: 1, cases: 1, mobility: 1 });
    expect(big.statements).toBeLessThanOrEqual(4);
    expect(small.statements).toBe(big.statements);
  });

  it('ranks by probability, and each answer follows the model equations', async () => {
    const { data } = await ranking(full, { asOf: today, first: 100 });
    expect(data.model).toBe('IMPORT_FORECAST_V1');
    const kappa = Number(data.parameters.find((p: any) => p.name === 'importSeedRate').value);
    expect(kappa).toBeGreaterThan(0);
    expect(data.nodes.map((n: any) => n.rank)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    for (let i = 1; i < data.nodes.length; i++) expect(data.nodes[i].probability).toBeLessThanOrEqual(data.nodes[i - 1].probability);
    for (const n of data.nodes) {
      expect(n.region.level).toBe('COUNTY');
      expect(n.expectedCases).toBeCloseTo(n.expectedImportedCases + n.expectedLocalCases, 9);
      expect(n.expectedImportedCases).toBeCloseTo(kappa * n.expectedInfectedArrivals, 9);
      expect(n.probability).toBeCloseTo(1 - Math.exp(-n.expectedCases), 9);
      expect(n.importProbability).toBeCloseTo(1 - Math.exp(-n.expectedInfectedArrivals), 9);
      expect(n.level).toBe(n.probability >= 0.5 ? 'HIGH' : n.probability >= 0.1 ? 'MEDIUM' : 'LOW');
      expect(n.firstCaseCandidate).toBe(n.confirmedLast14Days === 0);
      const shares = n.topSources.reduce((s: number, x: any) => s + x.contribution, 0);
      expect(shares).toBeLessThanOrEqual(1 + 1e-9);
      const sourced = n.topSources.reduce((s: number, x: any) => s + x.expectedInfectedArrivals, 0);
      expect(sourced).toBeLessThanOrEqual(n.expectedInfectedArrivals * (1 + 1e-9));
      if (n.observedExpected) {
        const o = n.observedExpected;
        expect(o.ratio).toBeCloseTo((o.observedCases + 1) / (o.expectedCases + 1), 6);
      }
    }
    // Wuchang's outbreak (6 cases confirmed 6 days ago, DESIGN §3a) puts it near the top.
    const wuchang = data.nodes.find((n: any) => n.region.code === '420106');
    expect(wuchang).toBeDefined();
    expect(wuchang.localTrend.recentCases).toBeGreaterThanOrEqual(6);
    expect(wuchang.level).toBe('HIGH');
    expect(wuchang.firstCaseCandidate).toBe(false);
  });

  it('agrees with Region.importRisk: the same λ from the per-county path and the national path', async () => {
    const { data } = await ranking(full, { asOf: today, first: 200, firstCaseOnly: true });
    const imported = data.nodes.find((n: any) => n.expectedInfectedArrivals > 0 && n.topSources.length > 0);
    expect(imported).toBeDefined();
    const { body } = await full.gql(
      `query($code: ID!, $asOf: Date) { region(code: $code) { importRisk(days: 14, asOf: $asOf) {
         expectedInfectedArrivals topSources(first: 1) { region { code } }
         forecast { rank probability expectedInfectedArrivals region { code } }
         observedExpected { ratio }
       } } }`,
      { code: imported.region.code, asOf: today },
      GOV,
    );
    expect(body.errors).toBeUndefined();
    const risk = body.data.region.importRisk;
    expect(risk.expectedInfectedArrivals).toBeCloseTo(imported.expectedInfectedArrivals, 9);
    expect(risk.topSources[0].region.code).toBe(imported.topSources[0].region.code);
    expect(risk.forecast).toEqual({
      rank: imported.rank,
      probability: imported.probability,
      expectedInfectedArrivals: imported.expectedInfectedArrivals,
      region: { code: imported.region.code },
    });
    expect(risk.observedExpected).toEqual(imported.observedExpected && { ratio: imported.observedExpected.ratio });
  });

  it('filters to counties where a new case would be a first one, and pages with cursors', async () => {
    const all = await ranking(full, { asOf: today, first: 6 });
    const quiet = await ranking(full, { asOf: today, first: 500, firstCaseOnly: true });
    expect(quiet.data.totalCount).toBeLessThan(all.data.totalCount);
    expect(quiet.data.nodes.every((n: any) => n.confirmedLast14Days === 0 && n.firstCaseCandidate)).toBe(true);
    const page1 = await ranking(full, { asOf: today, first: 3 });
    const page2 = await ranking(full, { asOf: today, first: 3, after: page1.data.pageInfo.endCursor });
    expect(page2.data.nodes.map((n: any) => n.region.code)).toEqual(all.data.nodes.slice(3, 6).map((n: any) => n.region.code));
    expect(page2.data.nodes[0].rank).toBe(4);
  });

  it('ranks within a city, a province or one county, keeping national ranks, for one more statement', async () => {
    const national = await ranking(full, { asOf: today, first: 500 });
    const wuhan = await ranking(full, { asOf: today, first: 500, within: '420100' });
    const { body } = await full.gql('{ regions(parentCode: "420100", first: 100) { totalCount } }');
    expect(wuhan.data.totalCount).toBe(body.data.regions.totalCount);
    expect(wuhan.data.nodes.every((n: any) => n.region.code.startsWith('4201'))).toBe(true);
    // the same ranks as in the national list, in the same order
    const nationalRank = new Map(national.data.nodes.map((n: any) => [n.region.code, n.rank]));
    for (const n of wuhan.data.nodes) if (nationalRank.has(n.region.code)) expect(n.rank).toBe(nationalRank.get(n.region.code));
    expect(wuhan.data.nodes.map((n: any) => n.rank)).toEqual([...wuhan.data.nodes.map((n: any) => n.rank)].sort((a, b) => a - b));
    // one more region statement (the counties under the code); the API key lookup (access) is cached after the first request
    const { access: _a, ...nationalData } = national.bySource;
    const { access: _b, ...wuhanData } = wuhan.bySource;
    expect(wuhanData).toEqual({ ...nationalData, region: nationalData.region + 1 });

    // one county, whatever its rank: the one the national top 500 may not hold
    const last = await ranking(full, { asOf: today, first: 1, after: national.data.pageInfo.endCursor });
    const county = last.data.nodes[0].region.code;
    const alone = await ranking(full, { asOf: today, first: 5, within: county });
    expect(alone.data.nodes.map((n: any) => [n.region.code, n.rank])).toEqual([[county, 501]]);

    const hubei = await ranking(full, { asOf: today, first: 500, within: '420000', firstCaseOnly: true });
    expect(hubei.data.totalCount).toBeGreaterThan(0);
    expect(hubei.data.nodes.every((n: any) => n.region.code.startsWith('42') && n.confirmedLast14Days === 0)).toBe(true);
  });

  it('answers bad arguments with BAD_USER_INPUT errors that say what is allowed', async () => {
    const cases: [string, RegExp][] = [
      ['{ riskForecast(within: "999999") { totalCount } }', /"within": there is no region with the code 999999/],
      ['{ riskForecast(within: "42") { totalCount } }', /"within" must be a six-digit GB\/T 2260 region code/],
      [`{ riskForecast(within: "${'4'.repeat(100_000)}") { totalCount } }`, /"within" must be a six-digit/],
      ['{ riskForecast(days: 30) { totalCount } }', /"days" must be an integer from 7 to 14/],
      ['{ riskForecast(first: 501) { totalCount } }', /"first" must be between 1 and 500/],
      ['{ riskForecast(after: "bm90LWEtY3Vyc29y") { totalCount } }', /"after" is not a cursor of this list/],
    ];
    for (const [query, message] of cases) {
      const { body } = await full.gql(query, {}, GOV);
      expect(body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      expect(body.errors?.[0]?.message).toMatch(message);
    }
  });

  it('is null for a province, and refused to PUBLIC and PARTNER', async () => {
    const { body } = await full.gql('{ region(code: "420000") { importRisk { forecast { rank } observedExpected { ratio } } } }', {}, GOV);
    expect(body.errors).toBeUndefined();
    expect(body.data.region.importRisk).toEqual({ forecast: null, observedExpected: null });
    for (const headers of [{}, { authorization: 'Bearer demo-partner' }] as Record<string, string>[]) {
      const denied = await full.gql('{ riskForecast { totalCount } }', {}, headers);
      expect(denied.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    }
  });
});
