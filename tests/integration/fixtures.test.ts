import pg from 'pg';
import { startTestServer, type TestServer } from '../helpers/server';
import { operation } from '../helpers/operations';
import { Fixtures, freshDatabase, seededCopy, type OwnDatabase } from '../helpers/fixtures';
import { installSharedSeedGuard, refusedWrites } from '../helpers/sharedSeedGuard';
import { checkResidentId } from '../../src/privacy/residentId';
import { todayCst } from '../../src/clock';
import { addDays } from '../../src/risk/dates';

const today = todayCst();
const WUCHANG = '420106';
const DONGCHENG = '110101';

describe('a fresh database of its own, built with Fixtures', () => {
  let db: OwnDatabase;
  let fx: Fixtures;
  let server: TestServer;
  beforeAll(async () => {
    db = await freshDatabase('fixtures');
    fx = Fixtures.over(db.url);
    server = await startTestServer({ databaseUrl: db.url });
  });
  afterAll(async () => {
    await server?.close();
    await fx?.close();
    await db?.drop();
  });

  it('holds every region and the demo keys, and no epidemic, person or stay', async () => {
    const { rows } = await fx.pools.cases.query<{ n: number }>(
      `SELECT ((SELECT count(*) FROM cases.daily_reports) + (SELECT count(*) FROM cases.clusters) + (SELECT count(*) FROM cases.persons))::int AS n`,
    );
    expect(rows[0].n).toBe(0);
    expect((await fx.pools.mobility.query('SELECT count(*)::int AS n FROM mobility.stays')).rows[0].n).toBe(0);
    const counties = await fx.pools.region.query(`SELECT count(*)::int AS n FROM region.regions WHERE level = 'COUNTY'`);
    expect(counties.rows[0].n).toBeGreaterThan(2800);
    const { body } = await server.gql(`{ region(code: "${WUCHANG}") { name risk { level } } }`, {}, { authorization: 'Bearer demo-gov' });
    expect(body.data.region).toEqual({ name: '武昌区', risk: { level: 'LOW' } });
  });

  it('stores reports and clusters through ingestion, so the risk rule sees them', async () => {
    await fx.dailyReports(WUCHANG, [
      { date: addDays(today, -3), newConfirmed: 40 },
      { date: addDays(today, -1), newConfirmed: 20 },
    ]);
    await fx.cluster(WUCHANG, { detectedOn: addDays(today, -1), size: 5 });
    const { body } = await server.gql(`{ region(code: "${WUCHANG}") { risk { level } caseSummary(days: 14) { newConfirmed cumulativeConfirmed } } }`);
    expect(body.data.region).toEqual({ risk: { level: 'HIGH' }, caseSummary: { newConfirmed: 60, cumulativeConfirmed: 60 } });
    await expect(fx.dailyReports('420000', [{ date: today, newConfirmed: 1 }])).rejects.toThrow(/is a province; reports are per county-level unit/);
  });

  it('makes persons with valid ID numbers, hashed as the server hashes them, and their cases, contacts and stays', async () => {
    const red = await fx.person({ name: '测试红', homeCode: WUCHANG });
    const orange = await fx.person({ name: '测试橙', homeCode: DONGCHENG });
    const yellow = await fx.person({ name: '测试黄', homeCode: DONGCHENG });
    for (const p of [red, orange, yellow]) expect(checkResidentId(p.idNumber)).toMatchObject({ ok: true, idNumber: p.idNumber });
    expect(new Set([red.idNumber, orange.idNumber, yellow.idNumber]).size).toBe(3);
    const kase = await fx.caseRecord(red, { status: 'CONFIRMED', reportedOn: addDays(today, -2), confirmedOn: addDays(today, -2) });
    await fx.contact(orange, kase.id, { exposureDate: addDays(today, -4), regionCode: WUCHANG });
    await fx.stay(yellow, { regionCode: WUCHANG, arrivedAt: `${addDays(today, -1)}T08:00:00+08:00`, leftAt: `${addDays(today, -1)}T14:00:00+08:00` });

    const colors = [];
    for (const p of [red, orange, yellow]) {
      const { body } = await server.gql(operation('IssuePass'), { name: p.name, idNumber: p.idNumber });
      expect(body.errors).toBeUndefined();
      colors.push(body.data.issuePass.pass.color);
    }
    expect(colors).toEqual(['RED', 'ORANGE', 'YELLOW']);
    const check = await server.gql(operation('CloseContactCheck'), { name: orange.name, idNumber: orange.idNumber });
    expect(check.body.data.closeContactCheck).toMatchObject({ isCloseContact: true, exposureDate: addDays(today, -4) });
  });

  it('registers passes as issuePass does: a new one revokes the earlier', async () => {
    const p = await fx.person({ name: '测试绿', homeCode: DONGCHENG });
    const first = await fx.pass(p);
    const second = await fx.pass(p);
    const { rows } = await fx.pools.access.query<{ id: string; revoked: boolean }>(
      'SELECT id, revoked_at IS NOT NULL AS revoked FROM access.passes WHERE person_id = $1 ORDER BY issued_at, revoked_at NULLS LAST',
      [p.id],
    );
    expect(rows).toEqual([
      { id: first.id, revoked: true },
      { id: second.id, revoked: false },
    ]);
  });

  it('refuses to write to the shared seed', () => {
    expect(() => Fixtures.over(process.env.TEST_DATABASE_URL!)).toThrow(/database of the suite's own/);
  });
});

describe('the shared seed guard (on a seeded copy of its own)', () => {
  let db: OwnDatabase;
  let client: pg.Client;
  beforeAll(async () => {
    db = await seededCopy('guard');
    await installSharedSeedGuard(db.url);
    client = new pg.Client({ connectionString: db.url });
    await client.connect();
  });
  afterAll(async () => {
    await client?.end();
    await db?.drop();
  });

  it('holds the demo people, like the shared seed', async () => {
    const { rows } = await client.query<{ n: number }>('SELECT count(*)::int AS n FROM cases.persons');
    expect(rows[0].n).toBeGreaterThan(1000);
  });

  it('refuses a committed write, a delete and TRUNCATE, naming the table, and counts each refusal', async () => {
    const before = await refusedWrites(db.url);
    await expect(client.query(`INSERT INTO cases.clusters (region_code, detected_on, size) VALUES ('${WUCHANG}', '${today}', 3)`)).rejects.toThrow(
      /shared test seed .* is read-only: INSERT on cases\.clusters refused/,
    );
    await expect(client.query(`DELETE FROM mobility.stays WHERE region_code = '${WUCHANG}'`)).rejects.toThrow(/DELETE on mobility\.stays_\w+ refused/);
    await expect(client.query('TRUNCATE region.regions CASCADE')).rejects.toThrow(/TRUNCATE on region\.regions refused/);
    expect(await refusedWrites(db.url)).toBe(before + 3);
  });

  it('lets a transaction that is rolled back change what it likes', async () => {
    const before = await refusedWrites(db.url);
    await client.query('BEGIN');
    await client.query(`UPDATE cases.daily_reports SET new_confirmed = new_confirmed + 1 WHERE region_code = '${WUCHANG}'`);
    await client.query('ROLLBACK');
    expect(await refusedWrites(db.url)).toBe(before);
  });

  it('leaves the audit trail and passes writable: reads append rows there', async () => {
    await client.query(`INSERT INTO access.audit_log (role, operation, outcome) VALUES ('PUBLIC', 'fixtures.test', 'OK')`);
  });
});
