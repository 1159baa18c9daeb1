import { startTestServer, type TestServer } from '../helpers/server';
import { todayCst } from '../../src/clock';
import { addDays } from '../../src/risk/dates';
import { requestSql, SqlRecorder } from '../../datasources';
import { CaseSource } from '../../datasources/case';
import { countyRiskInputsOn } from '../../datasources/riskChanges';
import { streamCountyDays } from '../../datasources/export';
import { CN_2020_WINDOW_DAYS, type CountyRiskInputs } from '../../src/risk';
import { windowEnding } from '../../src/args';

const today = todayCst();
const DAYS = [addDays(today, -20), addDays(today, -7), today];

let server: TestServer;
let counties: string[];
beforeAll(async () => {
  server = await startTestServer();
  // Counties with cases, with clusters, and quiet ones: every branch of the inputs.
  const { rows } = await server.pools.cases.query<{ region_code: string }>(
    `(SELECT region_code FROM cases.clusters GROUP BY region_code ORDER BY region_code LIMIT 8)
     UNION (SELECT region_code FROM cases.daily_reports WHERE new_confirmed > 0 GROUP BY region_code ORDER BY region_code LIMIT 8)
     UNION (SELECT region_code FROM cases.daily_reports GROUP BY region_code HAVING max(cumulative_confirmed) = 0 ORDER BY region_code LIMIT 4)`,
  );
  counties = rows.map((r) => r.region_code).sort();
});
afterAll(async () => {
  await server.close();
});

/** The inputs as the map and `Region.risk` see them: CaseSource.summary over the rule's window. */
async function fromSummary(asOf: string): Promise<Map<string, CountyRiskInputs>> {
  const cases = new CaseSource(requestSql(server.pools, 'cases', new SqlRecorder()));
  const window = windowEnding(asOf, CN_2020_WINDOW_DAYS);
  const summaries = await cases.summary.loadAll(counties.map((code) => ({ code, counties: [code], ...window })));
  return new Map(counties.map((code, i) => {
    const s = summaries[i];
    return [code, { asOf, cumulativeConfirmed: s.cumulativeConfirmed, newConfirmedInWindow: s.newConfirmed, lastConfirmedOn: s.lastConfirmedOn, clustersInWindow: s.clusterCount, lastClusterOn: s.lastClusterOn }];
  }));
}

/** The inputs as live level changes see them (RiskChanges, inside an ingestion). */
async function fromRiskChanges(asOf: string): Promise<Map<string, CountyRiskInputs>> {
  const query = async (name: string, text: string, params: unknown[] = []) => (await server.pools.cases.query(`/* ${name} */ ${text}`, params)).rows;
  return countyRiskInputsOn({ query }, 'test.riskChanges', counties, asOf);
}

/** The inputs as the export writes them, every day of the range. */
async function fromExport(from: string, to: string): Promise<Map<string, CountyRiskInputs>> {
  const out = new Map<string, CountyRiskInputs>();
  for await (const d of streamCountyDays(server.pools.cases, counties, { from, to }, { statementTimeoutMs: 60_000 })) {
    out.set(`${d.regionCode}|${d.date}`, {
      asOf: d.date,
      cumulativeConfirmed: d.cumulativeConfirmed,
      newConfirmedInWindow: d.newConfirmedInWindow,
      lastConfirmedOn: d.lastConfirmedOn,
      clustersInWindow: d.clustersInWindow,
      lastClusterOn: d.lastClusterOn,
    });
  }
  return out;
}

describe('the CN_2020_COUNTY inputs of a county and day', () => {
  it('are the same for the map, live level changes and the export', async () => {
    expect(counties.length).toBeGreaterThan(4);
    const exported = await fromExport(DAYS[0], today);
    let withCases = 0;
    let withClusters = 0;
    for (const asOf of DAYS) {
      const [summary, changes] = await Promise.all([fromSummary(asOf), fromRiskChanges(asOf)]);
      for (const code of counties) {
        const expected = summary.get(code)!;
        expect({ code, ...changes.get(code) }).toEqual({ code, ...expected });
        expect({ code, ...exported.get(`${code}|${asOf}`) }).toEqual({ code, ...expected });
        if (expected.newConfirmedInWindow > 0) withCases++;
        if (expected.clustersInWindow > 0 || expected.lastClusterOn !== null) withClusters++;
      }
    }
    // The comparison covered counties with recent cases and with clusters, not only quiet ones.
    expect(withCases).toBeGreaterThan(0);
    expect(withClusters).toBeGreaterThan(0);
  });
});
