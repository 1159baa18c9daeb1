import { startTestServer, type TestServer } from '../helpers/server';
import { seededCopy, type OwnDatabase } from '../helpers/fixtures';
import { operation } from '../helpers/operations';
import { DEMO_PEOPLE } from '../../src/seed/demoPeople';
import { Sql, SqlRecorder } from '../../src/db/sql';
import { staysOf } from '../../datasources/mobility';
import { passFactsOf } from '../../datasources/person';

/**
 * The fast path of pass checks (issue 6): three statements in the steady state, the audit rows
 * written by the statement that looks the passes up, and county levels from a process-wide cache
 * that a change of case data invalidates at once, whether it comes through the API or not.
 */
const PARTNER = { authorization: 'Bearer demo-partner' };
const HEALTH = { authorization: 'Bearer demo-health' };
const GREEN = DEMO_PEOPLE.find((p) => p.expectedColor === 'GREEN')!;

// Reports and writes that bypass the API change the data here: a copy of the seed of this suite's own.
let db: OwnDatabase;
let server: TestServer;
beforeAll(async () => {
  db = await seededCopy('pass_check_path');
  server = await startTestServer({ databaseUrl: db.url });
});
afterAll(async () => {
  await server?.close();
  await db?.drop();
});

async function issue(person: { name: string; idNumber: string }): Promise<string> {
  const { body } = await server.gql(operation('IssuePass'), { name: person.name, idNumber: person.idNumber });
  expect(body.errors).toBeUndefined();
  return body.data.issuePass.pass.token;
}

const check = (tokens: string[]) => server.gql(operation('CheckPasses'), { tokens }, PARTNER);
const passIdOf = (token: string) => JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()).jti as string;
const caseVersion = async () => (await server.pools.cases.query<{ v: string }>('SELECT version::text AS v FROM cases.data_version')).rows[0].v;

describe('pass checks: statements', () => {
  it('take three statements once county levels are cached, for 1, 100 and 1,000 tokens', async () => {
    const tokens: string[] = [];
    for (const p of DEMO_PEOPLE) tokens.push(await issue(p));
    await check(tokens); // warms the key cache and the county levels of the demo people's stays
    for (const n of [1, 100, 1000]) {
      const { body } = await check(Array.from({ length: n }, (_, i) => tokens[i % tokens.length]));
      expect(body.errors).toBeUndefined();
      expect(body.data.checkPasses).toHaveLength(n);
      expect(body.extensions.sql.statements).toBe(3);
    }
  });
});

describe('pass checks: shared across concurrent requests', () => {
  it('answer each request with its own results and audit rows while sending fewer statements than requests', async () => {
    const tokens: string[] = [];
    for (const p of DEMO_PEOPLE) tokens.push(await issue(p));
    const metric = async () => {
      const text = await fetch(`${server.url}/metrics`).then((r) => r.text());
      const read = (what: string) => Number(new RegExp(`^changxing_shared_batch_requests_${what}\\{batch="PassRegistry.checkAndAudit"\\} (\\S+)$`, 'm').exec(text)?.[1] ?? 0);
      return { batches: read('count'), requests: read('sum') };
    };
    const before = await metric();
    const run = `shared-${Date.now()}`;
    const n = 48;
    const answers = await Promise.all(
      Array.from({ length: n }, (_, i) =>
        server.gql(operation('CheckPass'), { token: tokens[i % 4] }, { ...PARTNER, 'x-request-id': `${run}-${i}` }),
      ),
    );
    answers.forEach(({ body }, i) => {
      expect(body.errors).toBeUndefined();
      expect(body.data.checkPass).toMatchObject({ status: 'VALID', color: DEMO_PEOPLE[i % 4].expectedColor });
    });
    const after = await metric();
    expect(after.requests - before.requests).toBe(n);
    expect(after.batches - before.batches).toBeLessThan(n);
    // Each request's audit row carries its own request id, and names its own holder.
    const { rows } = await server.pools.access.query<{ request_id: string; subject_person_id: string }>(
      `SELECT request_id, subject_person_id FROM access.audit_log WHERE request_id LIKE $1 || '-%' ORDER BY id`,
      [run],
    );
    expect(rows).toHaveLength(n);
    const { rows: passes } = await server.pools.access.query<{ id: string; person_id: string }>('SELECT id, person_id FROM access.passes WHERE id = ANY($1::uuid[])', [tokens.map(passIdOf)]);
    const holder = new Map(passes.map((p) => [p.id, p.person_id]));
    for (const r of rows) expect(r.subject_person_id).toBe(holder.get(passIdOf(tokens[Number(r.request_id.split('-').pop()) % 4])));
  });
});

describe('pass checks: batch functions shared by requests', () => {
  it('give a key repeated by many requests the same answer as the key alone', async () => {
    const { rows } = await server.pools.mobility.query<{ person_id: string }>('SELECT person_id FROM mobility.stays GROUP BY person_id HAVING count(*) >= 2 LIMIT 2');
    const keys = rows.map((r) => ({ personId: r.person_id, since: '2000-01-01T00:00:00+08:00' }));
    const recorder = new SqlRecorder();
    const alone = await staysOf(new Sql(server.pools.mobility, 'mobility', recorder), keys);
    const repeated = await staysOf(new Sql(server.pools.mobility, 'mobility', recorder), [...keys, ...keys, ...keys, keys[0]]);
    expect(alone[0].length).toBeGreaterThanOrEqual(2);
    expect(repeated).toEqual([...alone, ...alone, ...alone, alone[0]]);
    const factKeys = rows.map((r) => ({ personId: r.person_id, since: '2000-01-01' }));
    const facts = await passFactsOf(new Sql(server.pools.cases, 'cases', recorder), [...factKeys, ...factKeys]);
    expect(facts.slice(2)).toEqual(facts.slice(0, 2));
    expect(recorder.statements).toBe(3);
  });
});

describe('pass checks: audit', () => {
  it('writes one row per token, in the statement that looks the passes up, with the pass status', async () => {
    const good = await issue(GREEN);
    const requestId = `audit-check-${Date.now()}`;
    const { body } = await server.gql(operation('CheckPasses'), { tokens: [good, 'garbage', good] }, { ...PARTNER, 'x-request-id': requestId });
    expect(body.data.checkPasses.map((c: { status: string }) => c.status)).toEqual(['VALID', 'INVALID', 'VALID']);
    const { rows } = await server.pools.access.query<{ operation: string; outcome: string; subject_person_id: string | null; role: string; detail: string | null }>(
      'SELECT operation, outcome, subject_person_id, role, detail FROM access.audit_log WHERE request_id = $1 ORDER BY id',
      [requestId],
    );
    const { rows: [pass] } = await server.pools.access.query<{ person_id: string }>('SELECT person_id FROM access.passes WHERE id = $1', [passIdOf(good)]);
    expect(rows).toEqual([
      { operation: 'checkPass', outcome: 'VALID', subject_person_id: pass.person_id, role: 'PARTNER', detail: 'shown: colour, validity, masked name' },
      { operation: 'checkPass', outcome: 'INVALID', subject_person_id: null, role: 'PARTNER', detail: null },
      { operation: 'checkPass', outcome: 'VALID', subject_person_id: pass.person_id, role: 'PARTNER', detail: 'shown: colour, validity, masked name' },
    ]);
  });
});

describe('pass checks: cached county levels follow the data', () => {
  it('turn a GREEN holder YELLOW as soon as a report makes a county of their stay MEDIUM, and back after the correction', async () => {
    const token = await issue(GREEN);
    const { rows: [pass] } = await server.pools.access.query<{ person_id: string }>('SELECT person_id FROM access.passes WHERE id = $1', [passIdOf(token)]);
    // The holder's latest stay: its county and its last CST day (within the 14-day window by construction of the demo).
    const { rows: [stay] } = await server.pools.mobility.query<{ region_code: string; day: string }>(
      `SELECT region_code, to_char((left_at AT TIME ZONE 'Asia/Shanghai')::date, 'YYYY-MM-DD') AS day
         FROM mobility.stays WHERE person_id = $1 ORDER BY left_at DESC LIMIT 1`,
      [pass.person_id],
    );
    expect(stay).toBeDefined();
    const before = (await check([token])).body.data.checkPasses[0];
    expect(before.color).toBe('GREEN');

    const { rows: original } = await server.pools.cases.query<{ new_confirmed: number }>(
      'SELECT new_confirmed FROM cases.daily_reports WHERE region_code = $1 AND date = $2',
      [stay.region_code, stay.day],
    );
    const report = (newConfirmed: number) =>
      server.gql(operation('ReportDailyCases'), { input: [{ regionCode: stay.region_code, date: stay.day, newConfirmed }] }, HEALTH);
    try {
      expect((await report((original[0]?.new_confirmed ?? 0) + 1)).body.data.reportDailyCases.userErrors).toEqual([]);
      const after = (await check([token])).body;
      expect(after.data.checkPasses[0].color).toBe('YELLOW');
      // The version changed, so the levels were computed again: one statement more than the steady state.
      expect(after.extensions.sql.statements).toBe(4);
    } finally {
      await report(original[0]?.new_confirmed ?? 0);
    }
    expect((await check([token])).body.data.checkPasses[0].color).toBe('GREEN');
  });

  it('bumps the case data version on writes that bypass the API (statement triggers)', async () => {
    const v0 = BigInt(await caseVersion());
    await server.pools.cases.query('UPDATE cases.daily_reports SET new_confirmed = new_confirmed WHERE region_code = $1', ['420106']);
    const v1 = BigInt(await caseVersion());
    await server.pools.cases.query('UPDATE cases.clusters SET size = size WHERE false');
    expect(v1).toBe(v0 + 1n);
    expect(BigInt(await caseVersion())).toBe(v1 + 1n);
  });
});
