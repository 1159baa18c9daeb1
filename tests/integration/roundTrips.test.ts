import { startFullAndFifty, type TestServer } from '../helpers/server';
import { operation } from '../helpers/operations';
import { todayCst } from '../../src/clock';
import { addDays } from '../../src/risk/dates';

/**
 * SQL round trips per operation are bounded by the query's depth, never by the length of its
 * lists (DESIGN §5). The server reports the count in `extensions.sql` outside production.
 */
let full: TestServer;
let fifty: TestServer;
beforeAll(async () => ({ full, fifty } = await startFullAndFifty()));
afterAll(() => Promise.all([full.close(), fifty.close()]));

async function statements(server: TestServer, query: string, variables: Record<string, unknown>, headers: Record<string, string> = {}) {
  const { body } = await server.gql(query, variables, headers);
  expect(body.errors).toBeUndefined();
  return { count: body.extensions.sql.statements as number, data: body.data };
}

const today = todayCst();

describe('SQL round trips', () => {
  it('NationalRiskMap takes at most 5 statements, the same with 50 counties as with all of them', async () => {
    const big = await statements(full, operation('NationalRiskMap'), {});
    const small = await statements(fifty, operation('NationalRiskMap'), {});
    expect(big.data.counties.totalCount).toBeGreaterThan(2900);
    expect(small.data.counties.totalCount).toBe(50);
    expect(big.count).toBeLessThanOrEqual(5);
    expect(small.count).toBe(big.count);
  });

  it("ProvinceDrilldown's count does not grow with the number of children", async () => {
    const vars = (code: string) => ({ code, from: addDays(today, -29), to: today });
    const hubei = await statements(full, operation('ProvinceDrilldown'), vars('420000'));
    const tianjin = await statements(full, operation('ProvinceDrilldown'), vars('120000'));
    const counties = (d: any) => d.region.children.nodes.reduce((s: number, c: any) => s + c.children.nodes.length, 0);
    expect(counties(hubei.data)).toBeGreaterThan(3 * counties(tianjin.data));
    expect(hubei.count).toBe(tianjin.count);
    expect(hubei.count).toBeLessThanOrEqual(6);
  });

  it('CountyInflows is bounded as well', async () => {
    const { count } = await statements(full, operation('CountyInflows'), { code: '420106', days: 7 }, { authorization: 'Bearer demo-gov' }); // counts the key lookup too
    expect(count).toBeLessThanOrEqual(8);
  });
});
