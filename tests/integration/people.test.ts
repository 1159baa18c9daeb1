import { startTestServer, type TestServer } from '../helpers/server';
import { Fixtures, freshDatabase, type OwnDatabase } from '../helpers/fixtures';
import { operation } from '../helpers/operations';
import { DEMO_PEOPLE, NOBODY_ID_NUMBER, demoPerson } from '../../src/seed/demoPeople';
import { todayCst } from '../../src/clock';
import { addDays } from '../../src/risk/dates';

const HEALTH = { authorization: 'Bearer demo-health' };
const GOV = { authorization: 'Bearer demo-gov' };
const today = todayCst();

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server.close();
});

async function auditCount(operationName: string): Promise<number> {
  const { rows } = await server.pools.access.query('SELECT count(*)::int AS n FROM access.audit_log WHERE operation = $1', [operationName]);
  return rows[0].n;
}

describe('closeContactCheck (public self-service)', () => {
  it('tells 李橙 that he is a close contact, exposed 5 days ago', async () => {
    const li = demoPerson('liCheng');
    const { body } = await server.gql(operation('CloseContactCheck'), { name: li.name, idNumber: li.idNumber });
    expect(body.errors).toBeUndefined();
    expect(body.data.closeContactCheck).toMatchObject({ isCloseContact: true, exposureDate: addDays(today, -5) });
  });

  it('answers an unknown or mismatched pair exactly like "not a close contact"', async () => {
    const li = demoPerson('liCheng');
    const zhao = demoPerson('zhaoLu');
    const answers = await Promise.all([
      server.gql(operation('CloseContactCheck'), { name: zhao.name, idNumber: zhao.idNumber }),
      server.gql(operation('CloseContactCheck'), { name: '李白', idNumber: li.idNumber }),
      server.gql(operation('CloseContactCheck'), { name: '李白', idNumber: NOBODY_ID_NUMBER }),
    ]);
    const [notContact, mismatched, unknown] = answers.map((a) => a.body.data.closeContactCheck);
    expect(notContact).toEqual({ isCloseContact: false, exposureDate: null, advice: expect.any(String) });
    expect(mismatched).toEqual(notContact);
    expect(unknown).toEqual(notContact);
  });

  it('writes one audit row per check, never with the ID number', async () => {
    const before = await auditCount('closeContactCheck');
    const li = demoPerson('liCheng');
    await server.gql(operation('CloseContactCheck'), { name: li.name, idNumber: li.idNumber });
    expect(await auditCount('closeContactCheck')).toBe(before + 1);
    const { rows } = await server.pools.access.query('SELECT * FROM access.audit_log');
    expect(JSON.stringify(rows)).not.toContain(li.idNumber);
  });
});

describe('the audit trail of self-service lookups', () => {
  let proxied: TestServer;
  beforeAll(async () => {
    // callers named by X-Forwarded-For, as behind a load balancer
    proxied = await startTestServer({ env: { TRUST_PROXY: 'loopback' } });
  });
  afterAll(async () => {
    await proxied.close();
  });
  let n = 0;
  /** Runs `query` as PUBLIC from `from`; returns the audit rows of that request. */
  async function auditedAs(from: string, query: string, variables: Record<string, unknown>) {
    const requestId = `audit-test-${process.pid}-${n++}`;
    await proxied.gql(query, variables, { 'x-forwarded-for': from, 'x-request-id': requestId });
    const { rows } = await proxied.pools.access.query(
      'SELECT key_id, role, caller, operation, subject_person_id, outcome FROM access.audit_log WHERE request_id = $1',
      [requestId],
    );
    return rows;
  }

  it("records a wrong name for an existing ID number against its holder, so name-guessing shows in that person's trail", async () => {
    const li = demoPerson('liCheng');
    const { body } = await proxied.gql(`{ person(idNumber: "${li.idNumber}") { id } }`, undefined, HEALTH);
    const liId: string = body.data.person.id;
    for (const op of ['CloseContactCheck', 'IssuePass']) {
      const [guess] = await auditedAs('198.51.100.20', operation(op), { name: '李白', idNumber: li.idNumber });
      expect(guess).toMatchObject({ operation: op === 'IssuePass' ? 'issuePass' : 'closeContactCheck', subject_person_id: liId, outcome: 'NOT_MATCHED', key_id: null, role: 'PUBLIC' });
      const [nobody] = await auditedAs('198.51.100.20', operation(op), { name: '李白', idNumber: NOBODY_ID_NUMBER });
      expect(nobody).toMatchObject({ subject_person_id: null, outcome: 'NOT_MATCHED' });
    }
    // the holder's trail shows the guesses (HEALTH, by subject)
    const trail = await proxied.gql(`{ auditTrail(filter: { subjectPersonId: "${liId}", outcome: "NOT_MATCHED" }) { totalCount } }`, undefined, HEALTH);
    expect(trail.body.data.auditTrail.totalCount).toBeGreaterThanOrEqual(2);
  });

  it('names each PUBLIC caller by a pseudonym: one per IPv4 address or IPv6 /64, none for a keyed caller, never the address', async () => {
    const zhao = demoPerson('zhaoLu');
    const check = { name: zhao.name, idNumber: zhao.idNumber };
    const [a] = await auditedAs('2001:db8:77:1::1', operation('CloseContactCheck'), check);
    const [b] = await auditedAs('2001:db8:77:1:ffff::2', operation('CloseContactCheck'), check);
    const [c] = await auditedAs('2001:db8:77:2::1', operation('CloseContactCheck'), check);
    const [d] = await auditedAs('198.51.100.21', operation('CloseContactCheck'), check);
    expect(a.caller).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(b.caller).toBe(a.caller);
    expect(new Set([a.caller, c.caller, d.caller]).size).toBe(3);
    for (const row of [a, c, d]) expect(row.caller).not.toMatch(/2001|db8|198\.51/);
    const keyed = await proxied.gql(`{ person(idNumber: "${zhao.idNumber}") { id } }`, undefined, { ...HEALTH, 'x-request-id': `audit-keyed-${process.pid}` });
    expect(keyed.body.errors).toBeUndefined();
    const { rows } = await proxied.pools.access.query('SELECT caller, key_id FROM access.audit_log WHERE request_id = $1', [`audit-keyed-${process.pid}`]);
    expect(rows).toEqual([{ caller: null, key_id: expect.any(String) }]);
    // HEALTH finds one caller's rows by its pseudonym
    const trail = await proxied.gql(`{ auditTrail(filter: { caller: "${a.caller}" }) { totalCount nodes { caller role operation } } }`, undefined, HEALTH);
    expect(trail.body.data.auditTrail.totalCount).toBe(2);
    expect(trail.body.data.auditTrail.nodes).toEqual([a, b].map(() => ({ caller: a.caller, role: 'PUBLIC', operation: 'closeContactCheck' })));
    const bad = await proxied.gql('{ auditTrail(filter: { caller: "198.51.100.21" }) { totalCount } }', undefined, HEALTH);
    expect(bad.body.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
  });
});

// The same limit held across two instances on one Redis: tests/integration/stateless.test.ts.
describe('closeContactCheck rate limits', () => {
  it('allows 3 distinct ID numbers per client per day, then RATE_LIMITED with the retry time', async () => {
    const limited = await startTestServer({ env: { SELF_SERVICE_MAX_IDS_PER_DAY: '3', SELF_SERVICE_RATE_PER_MINUTE: '100' } });
    try {
      const ask = (p: { name: string; idNumber: string }) => limited.gql(operation('CloseContactCheck'), { name: p.name, idNumber: p.idNumber });
      for (const p of DEMO_PEOPLE.slice(0, 3)) expect((await ask(p)).body.errors).toBeUndefined();
      // The same three again are fine: the limit counts distinct numbers.
      expect((await ask(DEMO_PEOPLE[0])).body.errors).toBeUndefined();
      const fourth = await ask(DEMO_PEOPLE[3]);
      expect(fourth.status).toBe(429);
      expect(fourth.body.errors![0].extensions).toMatchObject({ code: 'RATE_LIMITED', retryAfterSeconds: expect.any(Number) });
    } finally {
      await limited.close();
    }
  });

  it('limits the request rate per client, answering with the time until the window resets', async () => {
    const limited = await startTestServer({ env: { SELF_SERVICE_MAX_IDS_PER_DAY: '100', SELF_SERVICE_RATE_PER_MINUTE: '2' } });
    try {
      const li = demoPerson('liCheng');
      const ask = () => limited.gql(operation('CloseContactCheck'), { name: li.name, idNumber: li.idNumber });
      expect((await ask()).body.errors).toBeUndefined();
      expect((await ask()).body.errors).toBeUndefined();
      const third = await ask();
      expect(third.body.errors![0].extensions!.code).toBe('RATE_LIMITED');
      expect(third.body.errors![0].extensions!.retryAfterSeconds).toBeLessThanOrEqual(60);
    } finally {
      await limited.close();
    }
  });
});

describe('person (HEALTH)', () => {
  it("returns 王红's record with itinerary, cases and colour, and audits the read", async () => {
    const wang = demoPerson('wangHong');
    const before = await auditCount('person');
    const { body } = await server.gql(operation('PersonRecord'), { idNumber: wang.idNumber }, HEALTH);
    expect(body.errors).toBeUndefined();
    const p = body.data.person;
    expect(p).toMatchObject({ name: '王红', passColor: 'RED' });
    expect(p.cases[0]).toMatchObject({ status: 'CONFIRMED', confirmedOn: addDays(today, -6) });
    expect(await auditCount('person')).toBe(before + 1);
  });

  it("shows 张黄's stay in 武昌区 three days ago", async () => {
    const zhang = demoPerson('zhangHuang');
    const { body } = await server.gql(
      `query($id: String!) { person(idNumber: $id) { passColor passColorReason itinerary(days: 14) { region { code } arrivedAt hours riskDuringStay } } }`,
      { id: zhang.idNumber },
      HEALTH,
    );
    const p = body.data.person;
    expect(p.passColor).toBe('YELLOW');
    const stay = p.itinerary.find((s: any) => s.region.code === '420106');
    expect(stay).toMatchObject({ riskDuringStay: 'HIGH' });
    expect(stay.hours).toBeGreaterThanOrEqual(4);
  });

  it('is null for a valid number that belongs to nobody, and forbidden to GOV', async () => {
    const { body } = await server.gql(operation('PersonRecord'), { idNumber: NOBODY_ID_NUMBER }, HEALTH);
    expect(body.errors).toBeUndefined();
    expect(body.data.person).toBeNull();
    const gov = await server.gql(operation('PersonRecord'), { idNumber: NOBODY_ID_NUMBER }, GOV);
    expect(gov.body.errors![0].extensions!.code).toBe('FORBIDDEN');
  });
});

describe('ingestion (HEALTH)', () => {
  const county = '130102'; // 长安区, 石家庄
  // Ingestion writes: these tests work in a database of their own, where the county has a history.
  let db: OwnDatabase;
  let server: TestServer;
  beforeAll(async () => {
    db = await freshDatabase('people_ingestion');
    const fx = Fixtures.over(db.url);
    try {
      await fx.dailyReports(county, [
        { date: addDays(today, -20), newConfirmed: 12 },
        { date: addDays(today, -2), newConfirmed: 3 },
      ]);
    } finally {
      await fx.close();
    }
    server = await startTestServer({ databaseUrl: db.url });
  });
  afterAll(async () => {
    await server?.close();
    await db?.drop();
  });
  const read = async () =>
    (await server.gql(`{ region(code: "${county}") { caseSummary(days: 1) { newConfirmed cumulativeConfirmed lastConfirmedOn } } }`)).body.data.region.caseSummary;

  it('stores a day, replaces it on correction, and keeps running totals consistent', async () => {
    const before = await read();
    const first = await server.gql(operation('ReportDailyCases'), { input: [{ regionCode: county, date: today, newConfirmed: 7 }] }, HEALTH);
    expect(first.body.data.reportDailyCases).toEqual({ accepted: 1, userErrors: [] });
    const after = await read();
    const base = before.cumulativeConfirmed - before.newConfirmed;
    expect(after).toMatchObject({ newConfirmed: 7, cumulativeConfirmed: base + 7, lastConfirmedOn: today });
    // Re-sending is harmless; a correction replaces.
    await server.gql(operation('ReportDailyCases'), { input: [{ regionCode: county, date: today, newConfirmed: 7 }] }, HEALTH);
    expect(await read()).toEqual(after);
    await server.gql(operation('ReportDailyCases'), { input: [{ regionCode: county, date: today, newConfirmed: 2 }] }, HEALTH);
    expect(await read()).toMatchObject({ newConfirmed: 2, cumulativeConfirmed: base + 2 });
  });

  it('is all or nothing: one bad report stores none, with userErrors naming the field', async () => {
    const before = await read();
    const { body } = await server.gql(
      operation('ReportDailyCases'),
      { input: [{ regionCode: county, date: today, newConfirmed: 99 }, { regionCode: '999999', date: today, newConfirmed: 1 }, { regionCode: '420000', date: today, newConfirmed: 1 }] },
      HEALTH,
    );
    const payload = body.data.reportDailyCases;
    expect(payload.accepted).toBe(0);
    expect(payload.userErrors.map((e: any) => [e.field, e.code])).toEqual([
      [['input', '1', 'regionCode'], 'NOT_FOUND'],
      [['input', '2', 'regionCode'], 'INVALID'],
    ]);
    expect(await read()).toEqual(before);
  });

  it('stores a cluster, which then counts for the risk rule', async () => {
    const { body } = await server.gql(operation('ReportCluster'), { input: { regionCode: county, detectedOn: today, size: 3 } }, HEALTH);
    expect(body.data.reportCluster.userErrors).toEqual([]);
    expect(body.data.reportCluster.cluster.id).toEqual(expect.any(String));
    const bad = await server.gql(operation('ReportCluster'), { input: { regionCode: county, detectedOn: today, size: 1 } }, HEALTH);
    expect(bad.body.data.reportCluster.userErrors[0]).toMatchObject({ field: ['input', 'size'], code: 'INVALID' });
  });

  it('is forbidden without a HEALTH key', async () => {
    const { body } = await server.gql(operation('ReportDailyCases'), { input: [{ regionCode: county, date: today, newConfirmed: 1 }] }, GOV);
    expect(body.errors![0].extensions!.code).toBe('FORBIDDEN');
  });
});
