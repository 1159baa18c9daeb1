import { startTestServer, type TestServer } from '../helpers/server';
import { todayCst } from '../../src/clock';
import { addDays } from '../../src/risk/dates';
import { requestSql, SqlRecorder } from '../../datasources';
import { CaseSource } from '../../datasources/case';
import { countyRiskInputsOn } from '../../datasources/riskChanges';
import { streamCountyDays } from '../../datasources/export';
import { CN_2020_WINDOW_DAYS, type CountyRiskInputs } from '../../src/risk';
import { windowEnding } from '../../src/args';
import { byWindowWidth } from '../../datasources/caseReads';
import { isWideWindow } from '../../datasources/countyRiskInputs';

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

describe('the national map\'s range scan (every county over one window)', () => {
  /** Every county's summary over the rule's window ending `asOf`, asked for all at once (as the map does). */
  async function everyCounty(asOf: string) {
    const { rows } = await server.pools.region.query<{ code: string }>("SELECT code FROM region.regions WHERE level = 'COUNTY' ORDER BY code");
    const window = windowEnding(asOf, CN_2020_WINDOW_DAYS);
    const keys = rows.map((r) => ({ code: r.code, counties: [r.code], ...window }));
    // the case this covers: the whole batch is read by the range scan, not by probes
    expect(byWindowWidth(keys).wide).toHaveLength(keys.length);
    const cases = new CaseSource(requestSql(server.pools, 'cases', new SqlRecorder()));
    const summaries = await cases.summary.loadAll(keys);
    return new Map(keys.map((k, i) => [k.code, summaries[i]]));
  }

  it('reads for each county what the probes read for it alone', async () => {
    const first = (await server.pools.cases.query<{ first: string }>("SELECT min(date)::text AS first FROM cases.daily_reports")).rows[0].first;
    // days with reports, a window after the last report (every county's totals from before it), and one before the first
    for (const asOf of [...DAYS, addDays(today, 30), addDays(first, -1)]) {
      const [all, probed] = await Promise.all([everyCounty(asOf), fromSummary(asOf)]);
      for (const code of counties) {
        const s = all.get(code)!;
        const fromRange = { asOf, cumulativeConfirmed: s.cumulativeConfirmed, newConfirmedInWindow: s.newConfirmed, lastConfirmedOn: s.lastConfirmedOn, clustersInWindow: s.clusterCount, lastClusterOn: s.lastClusterOn };
        expect({ code, ...fromRange }).toEqual({ code, ...probed.get(code) });
      }
    }
  }, 60_000);

  it('answers a batch mixing both paths as each path alone', async () => {
    const { rows } = await server.pools.region.query<{ code: string }>("SELECT code FROM region.regions WHERE level = 'COUNTY' ORDER BY code");
    const wideWindow = windowEnding(today, CN_2020_WINDOW_DAYS);
    const narrowWindow = windowEnding(DAYS[1], CN_2020_WINDOW_DAYS);
    const wideKeys = rows.map((r) => ({ code: r.code, counties: [r.code], ...wideWindow }));
    const narrowKeys = counties.map((code) => ({ code, counties: [code], ...narrowWindow }));
    const split = byWindowWidth([...narrowKeys, ...wideKeys]);
    expect([split.wide.length, split.narrow.length]).toEqual([wideKeys.length, narrowKeys.length]);
    const fresh = () => new CaseSource(requestSql(server.pools, 'cases', new SqlRecorder()));
    const together = await fresh().summary.loadAll([...narrowKeys, ...wideKeys]);
    const [narrowAlone, wideAlone] = await Promise.all([fresh().summary.loadAll(narrowKeys), fresh().summary.loadAll(wideKeys)]);
    expect(together).toEqual([...narrowAlone, ...wideAlone]);
  }, 60_000);

  it('is taken for windows asked for by enough counties only', () => {
    expect(isWideWindow(2978, 14)).toBe(true);
    expect(isWideWindow(1400, 14)).toBe(true);
    expect(isWideWindow(999, 7)).toBe(false);
    expect(isWideWindow(1399, 14)).toBe(false);
    // a long window scans the whole country for each of its days: the national map's counties still pay, a province's do not
    expect(isWideWindow(2978, 29)).toBe(true);
    expect(isWideWindow(2978, 30)).toBe(false);
    const key = (code: string, from: string, to: string) => ({ code, counties: [code], from, to });
    const many = Array.from({ length: 1500 }, (_, i) => key(String(110101 + i), '2026-11-01', '2026-11-14'));
    const other = key('110000', '2026-10-01', '2026-10-14');
    const split = byWindowWidth([other, ...many]);
    expect([split.wide.length, split.narrow, split.window]).toEqual([1500, [other], { from: '2026-11-01', to: '2026-11-14' }]);
    expect(byWindowWidth(many.slice(0, 100)).wide).toEqual([]);
  });
});
