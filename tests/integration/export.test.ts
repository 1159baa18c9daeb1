import { startTestServer, type TestServer } from '../helpers/server';
import { todayCst } from '../../src/clock';
import { addDays } from '../../src/risk/dates';
import { DEMO_KEYS } from '../../datasources/apiKeys';
import { DAILY_CSV_COLUMNS } from '../../src/export/dailyCsv';

const today = todayCst();
const GOV = { authorization: `Bearer ${DEMO_KEYS.GOV}` };
const WUCHANG = '420106'; // 武昌区: the demo seed's active county (王红)
const WUHAN = '420100';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server.close();
});

async function exportCsv(params: Record<string, string>, headers: Record<string, string> = GOV) {
  const res = await fetch(`${server.url}/export/daily.csv?${new URLSearchParams(params)}`, { headers });
  const bytes = Buffer.from(await res.arrayBuffer());
  // (Response.text() would drop a byte order mark: decode without it, and report it)
  const bom = bytes.subarray(0, 3).equals(Buffer.from([0xef, 0xbb, 0xbf]));
  return { status: res.status, type: res.headers.get('content-type'), bom, text: bytes.subarray(bom ? 3 : 0).toString('utf8') };
}

/** CSV rows as objects by column name (the export quotes only names with commas or quotes; none here). */
function rowsOf(text: string): Record<string, string>[] {
  const [header, ...lines] = text.trimEnd().split('\r\n');
  const columns = header.split(',');
  return lines.map((line) => Object.fromEntries(line.split(',').map((v, i) => [columns[i], v])));
}

describe('GET /export/daily.csv', () => {
  it('gives a county, its city and its province the API figures and risk level of every day', async () => {
    const from = addDays(today, -20);
    const { status, type, text } = await exportCsv({ parentCode: '420000', from, to: today });
    expect(status).toBe(200);
    expect(type).toBe('text/csv; charset=utf-8');
    expect(text.split('\r\n')[0]).toBe(DAILY_CSV_COLUMNS.join(','));
    const rows = rowsOf(text);
    const regionsPerDay = new Set(rows.map((r) => r.region_code)).size;
    expect(rows).toHaveLength(21 * regionsPerDay);
    expect(rows.some((r) => r.region_code === '420000')).toBe(false); // inside the parent, not the parent itself

    const days = [from, addDays(today, -7), today];
    for (const code of [WUCHANG, WUHAN]) {
      const api = await server.gql(
        `query($code: ID!, $from: Date!, $to: Date!, $a: Date, $b: Date, $c: Date) { region(code: $code) {
           name level population parent { code }
           daily(from: $from, to: $to) { date newConfirmed cumulativeConfirmed newConfirmedPer100k }
           a: risk(asOf: $a) { level inputs { newConfirmedInWindow clustersInWindow } }
           b: risk(asOf: $b) { level inputs { newConfirmedInWindow clustersInWindow } }
           c: risk(asOf: $c) { level inputs { newConfirmedInWindow clustersInWindow } } } }`,
        { code, from, to: today, a: days[0], b: days[1], c: days[2] },
        GOV,
      );
      const region = api.body.data.region;
      const risks = [region.a, region.b, region.c];
      days.forEach((date, i) => {
        const row = rows.find((r) => r.region_code === code && r.date === date)!;
        const day = region.daily.find((d: { date: string }) => d.date === date);
        expect(row).toMatchObject({
          region_name: region.name,
          level: region.level,
          parent_code: region.parent.code,
          population: String(region.population),
          new_confirmed: String(day.newConfirmed),
          cumulative_confirmed: String(day.cumulativeConfirmed),
          new_confirmed_14d: String(risks[i].inputs.newConfirmedInWindow),
          clusters_14d: String(risks[i].inputs.clustersInWindow),
          risk_level: risks[i].level,
        });
        expect(Number(row.new_confirmed_per_100k)).toBeCloseTo(day.newConfirmedPer100k, 3);
        expect(Number(row.cumulative_confirmed_per_100k)).toBeCloseTo((day.cumulativeConfirmed * 100_000) / region.population, 3);
      });
    }
    // the seed keeps 武昌区 active: not every day of it is LOW
    expect(rows.filter((r) => r.region_code === WUCHANG).some((r) => r.risk_level !== 'LOW')).toBe(true);
  });

  it('filters by level, defaults to the last 30 days, and adds a byte order mark only when asked', async () => {
    const provinces = await exportCsv({ level: 'PROVINCE', bom: 'true' });
    expect(provinces.status).toBe(200);
    expect(provinces.bom).toBe(true);
    expect((await exportCsv({ level: 'PROVINCE', from: today })).bom).toBe(false);
    const rows = rowsOf(provinces.text);
    expect(new Set(rows.map((r) => r.level))).toEqual(new Set(['PROVINCE']));
    expect(new Set(rows.map((r) => r.date)).size).toBe(30);
    expect(rows[rows.length - 1].date).toBe(today);
  });

  it('stops the query and frees its slot when the client goes away mid-file', async () => {
    for (let i = 0; i < 3; i++) {
      const aborted = new AbortController();
      const res = await fetch(`${server.url}/export/daily.csv?from=${addDays(today, -365)}`, { headers: GOV, signal: aborted.signal });
      const reader = res.body!.getReader();
      await reader.read();
      aborted.abort();
      await reader.closed.catch(() => undefined);
    }
    // two slots per process: had the three exports above kept theirs, this would be 503
    let status = 0;
    for (let i = 0; i < 50 && status !== 200; i++) {
      status = (await exportCsv({ level: 'PROVINCE', from: today })).status;
      if (status !== 200) await new Promise((r) => setTimeout(r, 100));
    }
    expect(status).toBe(200);
    // and no export's COPY is left running on the database
    const copying = async () =>
      (await server.pools.cases.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND query LIKE '/* ExportSource.countyDays */ COPY%' AND state = 'active'`)).rows[0].n as number;
    let running = await copying();
    for (let i = 0; i < 100 && running > 0; i++) {
      await new Promise((r) => setTimeout(r, 50));
      running = await copying();
    }
    expect(running).toBe(0);
  });

  it('refuses callers without a GOV or HEALTH key', async () => {
    const anonymous = await exportCsv({}, {});
    expect(anonymous.status).toBe(401);
    expect(JSON.parse(anonymous.text).errors[0].extensions.code).toBe('UNAUTHENTICATED');
    const partner = await exportCsv({}, { authorization: `Bearer ${DEMO_KEYS.PARTNER}` });
    expect(partner.status).toBe(403);
    expect(JSON.parse(partner.text).errors[0]).toMatchObject({
      message: 'GET /export/daily.csv requires role GOV or HEALTH; this request has role PARTNER',
      extensions: { code: 'FORBIDDEN' },
    });
    const badKey = await exportCsv({}, { authorization: 'Bearer nope' });
    expect(badKey.status).toBe(401);
    expect(JSON.parse(badKey.text).errors[0].extensions.code).toBe('UNAUTHENTICATED');
    expect((await exportCsv({}, { authorization: `Bearer ${DEMO_KEYS.HEALTH}` })).status).toBe(200);
  });

  it.each([
    [{ from: '2026-02-30' }, 'from must be a date YYYY-MM-DD, got "2026-02-30".'],
    [{ from: addDays(today, -400), to: today }, 'spans 401 days; at most 366 are allowed'],
    [{ from: today, to: addDays(today, -1) }, 'is after "to"'],
    [{ to: addDays(today, 1) }, 'is in the future'],
    [{ parentCode: '42' }, 'parentCode must be a six-digit region code, got "42".'],
    [{ parentCode: '999999' }, 'No region has code 999999.'],
    [{ level: 'TOWN' }, 'level must be PROVINCE, CITY or COUNTY, got "TOWN".'],
    [{ region: '420106' }, 'Unknown parameter region'],
    [{ bom: 'yes' }, 'bom must be true or false'],
  ])('answers %j with 400 and a message that says what to fix', async (params, message) => {
    const { status, text } = await exportCsv(params as Record<string, string>);
    expect(status).toBe(400);
    const error = JSON.parse(text).errors[0];
    expect(error.extensions.code).toBe('BAD_USER_INPUT');
    expect(error.message).toContain(message);
  });
});
