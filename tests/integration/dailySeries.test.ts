import { startTestServer, type TestServer } from '../helpers/server';
import { Fixtures, freshDatabase, type OwnDatabase } from '../helpers/fixtures';
import { todayCst } from '../../src/clock';
import { addDays } from '../../src/risk/dates';
import type { DailyFigures as Figures } from '../../datasources/caseReads';

/**
 * `Region.daily` (datasources/caseReads.ts, DAILY_SQL) against a plain reading of its rule, on
 * reports with gaps: every day of the window, the sums of the scope's counties' reports that day,
 * and as cumulative each county's last reported cumulative on or before the day (0 before its
 * first report), summed — including counties whose last report is before the window, and windows
 * before any report, after the last one, and of a single day.
 */
const today = todayCst();
const day = (n: number) => addDays(today, -n);
// three of Wuhan's districts (city 420100, province 420000)
const JIANGAN = '420102';
const WUCHANG = '420106';
const HONGSHAN = '420111';

describe('daily series of a scope, with gaps in its counties\' reports', () => {
  let db: OwnDatabase;
  let fx: Fixtures;
  let server: TestServer;
  let stored: { region_code: string; date: string; new_confirmed: number; new_asymptomatic: number; new_suspected: number; new_recovered: number; new_deaths: number; cumulative_confirmed: number }[];
  beforeAll(async () => {
    db = await freshDatabase('daily-series');
    fx = Fixtures.over(db.url);
    server = await startTestServer({ databaseUrl: db.url });
    // 江岸: reports only long before the windows below; 武昌: reports with gaps through them; 洪山: a few, late
    await fx.dailyReports(JIANGAN, [
      { date: day(60), newConfirmed: 7 },
      { date: day(58), newConfirmed: 3, newRecovered: 1 },
    ]);
    await fx.dailyReports(WUCHANG, [
      { date: day(40), newConfirmed: 5 },
      { date: day(20), newConfirmed: 2, newSuspected: 4 },
      { date: day(19), newConfirmed: 0, newAsymptomatic: 3 },
      { date: day(15), newConfirmed: 9, newDeaths: 1 },
      { date: day(3), newConfirmed: 1 },
    ]);
    await fx.dailyReports(HONGSHAN, [
      { date: day(15), newConfirmed: 4 },
      { date: day(2), newConfirmed: 6, newRecovered: 2 },
    ]);
    const { rows } = await fx.pools.cases.query(
      `SELECT region_code, to_char(date, 'YYYY-MM-DD') AS date, new_confirmed, new_asymptomatic, new_suspected, new_recovered, new_deaths, cumulative_confirmed
         FROM cases.daily_reports ORDER BY region_code, date`,
    );
    stored = rows;
  });
  afterAll(async () => {
    await server?.close();
    await fx?.close();
    await db?.drop();
  });

  /** The rule read plainly, from the stored rows of the scope's counties. */
  function expected(counties: readonly string[], from: string, to: string): Figures[] {
    const out: Figures[] = [];
    for (let d = from; d <= to; d = addDays(d, 1)) {
      const f: Figures = { date: d, newConfirmed: 0, newAsymptomatic: 0, newSuspected: 0, newRecovered: 0, newDeaths: 0, cumulativeConfirmed: 0 };
      for (const county of counties) {
        const mine = stored.filter((r) => r.region_code === county && r.date <= d);
        const that = mine.find((r) => r.date === d);
        if (that) {
          f.newConfirmed += that.new_confirmed;
          f.newAsymptomatic += that.new_asymptomatic;
          f.newSuspected += that.new_suspected;
          f.newRecovered += that.new_recovered;
          f.newDeaths += that.new_deaths;
        }
        f.cumulativeConfirmed += mine.length > 0 ? mine[mine.length - 1].cumulative_confirmed : 0;
      }
      out.push(f);
    }
    return out;
  }

  async function daily(code: string, from: string, to: string): Promise<Figures[]> {
    const { body } = await server.gql(
      'query($code: ID!, $from: Date!, $to: Date!) { region(code: $code) { daily(from: $from, to: $to) { date newConfirmed newAsymptomatic newSuspected newRecovered newDeaths cumulativeConfirmed } } }',
      { code, from, to },
    );
    expect(body.errors).toBeUndefined();
    return body.data.region.daily;
  }

  it('stored running totals the rule can be read from (the fixture is what the cases below assume)', () => {
    expect(stored.filter((r) => r.region_code === WUCHANG).map((r) => r.cumulative_confirmed)).toEqual([5, 7, 7, 16, 17]);
    expect(stored.filter((r) => r.region_code === JIANGAN).map((r) => r.cumulative_confirmed)).toEqual([7, 10]);
  });

  it.each([
    ['a window through the gaps', day(25), day(0)],
    ['a window starting on a report day', day(20), day(14)],
    ['a window after every report', addDays(today, -1), today],
    ['a window before any report', day(90), day(61)],
    ['a single day without a report', day(10), day(10)],
    ['a window holding every report', day(70), today],
  ])('a county (武昌区) and its city and province: %s', async (_label, from, to) => {
    const wuhanCounties = [JIANGAN, WUCHANG, HONGSHAN];
    expect(await daily(WUCHANG, from, to)).toEqual(expected([WUCHANG], from, to));
    // the city and the province: every other county of them has no report, so only these three count
    const city = await daily('420100', from, to);
    expect(city).toEqual(expected(wuhanCounties, from, to));
    expect(await daily('420000', from, to)).toEqual(city);
  });

  it('a city whose counties all fell silent before the window carries their last figures through every day', async () => {
    const series = await daily('420100', day(30), day(26));
    expect(series.map((f) => f.cumulativeConfirmed)).toEqual([15, 15, 15, 15, 15]);
    expect(series.every((f) => f.newConfirmed === 0)).toBe(true);
  });
});
