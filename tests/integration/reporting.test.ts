import pg from 'pg';
import { startTestServer, type TestServer } from '../helpers/server';
import { createRegionsOnlyDatabase } from '../helpers/regionsOnly';
import { DEMO_KEYS } from '../../datasources/apiKeys';
import { residentIdCheckChar } from '../../src/privacy/residentId';
import { todayCst } from '../../src/clock';
import { addDays } from '../../src/risk/dates';

/**
 * The health commission's reporting path (issue 17, item 1): case records and close contacts over
 * GraphQL, all or nothing, idempotent, audited, and what they change (pass colours, daily totals),
 * on a database that holds only the region list.
 */
const HEALTH = { authorization: `Bearer ${DEMO_KEYS.HEALTH}` };
const GOV = { authorization: `Bearer ${DEMO_KEYS.GOV}` };
const today = todayCst();
const day = (n: number) => addDays(today, -n);

/** A valid resident ID number issued in `address` for the given birth date and sequence. */
const idNumber = (address: string, birth: string, seq: string) => `${address}${birth}${seq}${residentIdCheckChar(`${address}${birth}${seq}`)}`;

const CASE_ID = idNumber('420106', '19900101', '123');
const CONTACT_ID = idNumber('420111', '19850505', '456');

const REPORT_CASES = `mutation ($input: [CaseRecordInput!]!, $key: String) {
  reportCaseRecords(input: $input, idempotencyKey: $key) { accepted created updated unchanged replayed userErrors { field message code } }
}`;
const REPORT_CONTACTS = `mutation ($input: [ContactInput!]!, $key: String) {
  reportContacts(input: $input, idempotencyKey: $key) { accepted created updated unchanged replayed userErrors { field message code } }
}`;
const PERSON = `query ($id: String!) {
  person(idNumber: $id) { id name passColor passColorReason cases { reference status reportedOn confirmedOn closedOn region { code } }
                          contacts { exposureDate setting quarantineEndedOn region { code } } }
}`;

const confirmed = {
  reference: 'WH-0001', name: '陈一', idNumber: CASE_ID, homeRegionCode: '420106', regionCode: '420106',
  status: 'CONFIRMED', reportedOn: day(3), confirmedOn: day(2),
};
const contact = {
  caseReference: 'WH-0001', name: '周二', idNumber: CONTACT_ID, homeRegionCode: '420111', regionCode: '420106',
  exposureDate: day(4), setting: 'HOUSEHOLD',
};

let db: { url: string; drop(): Promise<void> };
let server: TestServer;
let client: pg.Client;

beforeAll(async () => {
  db = await createRegionsOnlyDatabase('changxing_reporting');
  server = await startTestServer({ databaseUrl: db.url });
  client = new pg.Client({ connectionString: db.url });
  await client.connect();
});

afterAll(async () => {
  await client?.end();
  await server?.close();
  await db?.drop();
});

const count = async (table: string) => Number((await client.query(`SELECT count(*) FROM ${table}`)).rows[0].count);
const person = async (id: string) => (await server.gql(PERSON, { id }, HEALTH)).body.data.person;

describe('reportCaseRecords', () => {
  it('stores a confirmed case: the person is RED, the ID number is kept only as a keyed hash, the county counts the case', async () => {
    const { body } = await server.gql(REPORT_CASES, { input: [confirmed] }, HEALTH);
    expect(body.errors).toBeUndefined();
    expect(body.data.reportCaseRecords).toEqual({ accepted: 1, created: 1, updated: 0, unchanged: 0, replayed: false, userErrors: [] });

    const p = await person(CASE_ID);
    expect(p).toMatchObject({ name: '陈一', passColor: 'RED', cases: [{ reference: 'WH-0001', status: 'CONFIRMED', confirmedOn: day(2), region: { code: '420106' } }] });
    const stored = await client.query('SELECT id_hash, name FROM cases.persons');
    expect(stored.rows).toHaveLength(1);
    expect(stored.rows[0].id_hash).toHaveLength(32);
    expect(JSON.stringify(stored.rows)).not.toContain(CASE_ID);

    // the daily total of the county and day is raised to the records it holds (docs/reporting.md)
    const figures = await server.gql(`{ region(code: "420106") { caseSummary { newConfirmed cumulativeConfirmed } risk { level } } }`, {}, GOV);
    expect(figures.body.data.region).toEqual({ caseSummary: { newConfirmed: 1, cumulativeConfirmed: 1 }, risk: { level: 'MEDIUM' } });
  });

  it('writes one audit row per person, naming no one', async () => {
    const p = await person(CASE_ID);
    const { body } = await server.gql(
      `query ($id: ID!) { auditTrail(filter: { subjectPersonId: $id, operation: "reportCaseRecords" }) { nodes { role outcome detail } } }`,
      { id: p.id },
      HEALTH,
    );
    expect(body.data.auditTrail.nodes).toEqual([{ role: 'HEALTH', outcome: 'STORED', detail: '1 created, 0 updated, 0 unchanged in the call' }]);
  });

  it('takes a re-sent record as unchanged, and an idempotency key replays the first answer', async () => {
    const again = await server.gql(REPORT_CASES, { input: [confirmed] }, HEALTH);
    expect(again.body.data.reportCaseRecords).toMatchObject({ accepted: 1, created: 0, updated: 0, unchanged: 1, userErrors: [] });

    const second = { ...confirmed, reference: 'WH-0002', status: 'SUSPECTED', confirmedOn: null, reportedOn: day(1) };
    const first = await server.gql(REPORT_CASES, { input: [second], key: 'batch-2026-0002' }, HEALTH);
    expect(first.body.data.reportCaseRecords).toMatchObject({ created: 1, replayed: false });
    const replay = await server.gql(REPORT_CASES, { input: [second], key: 'batch-2026-0002' }, HEALTH);
    expect(replay.body.data.reportCaseRecords).toEqual({ accepted: 1, created: 1, updated: 0, unchanged: 0, replayed: true, userErrors: [] });
    const reused = await server.gql(REPORT_CASES, { input: [{ ...second, reportedOn: day(2) }], key: 'batch-2026-0002' }, HEALTH);
    expect(reused.body.data.reportCaseRecords.userErrors).toEqual([expect.objectContaining({ field: ['idempotencyKey'], code: 'CONFLICT' })]);
  });

  it('applies a valid transition and refuses an invalid one, all or nothing', async () => {
    const recovered = { ...confirmed, status: 'RECOVERED', closedOn: day(0) };
    const wrong = { ...confirmed, reference: 'WH-0002', status: 'RECOVERED', confirmedOn: null, closedOn: day(0), reportedOn: day(1) }; // SUSPECTED → RECOVERED
    const refused = await server.gql(REPORT_CASES, { input: [recovered, wrong] }, HEALTH);
    expect(refused.body.data.reportCaseRecords).toMatchObject({ accepted: 0, created: 0, updated: 0 });
    expect(refused.body.data.reportCaseRecords.userErrors).toEqual([
      { field: ['input', '1', 'status'], code: 'INVALID', message: expect.stringMatching(/SUSPECTED; it can become CONFIRMED or ASYMPTOMATIC or RULED_OUT, not RECOVERED/) },
    ]);
    expect((await person(CASE_ID)).cases.map((c: { status: string }) => c.status).sort()).toEqual(['CONFIRMED', 'SUSPECTED']);

    const ok = await server.gql(REPORT_CASES, { input: [recovered] }, HEALTH);
    expect(ok.body.data.reportCaseRecords).toMatchObject({ accepted: 1, updated: 1, userErrors: [] });
    // still RED: WH-0002 (suspected) is active; ruled out, the person's pass turns GREEN
    const ruledOut = await server.gql(REPORT_CASES, { input: [{ ...wrong, status: 'RULED_OUT' }] }, HEALTH);
    expect(ruledOut.body.data.reportCaseRecords).toMatchObject({ updated: 1, userErrors: [] });
    expect((await person(CASE_ID)).passColor).toBe('GREEN');
  });

  it('answers bad input with a precise userError per item and field, and stores nothing', async () => {
    const before = await count('cases.case_records');
    const { body } = await server.gql(
      REPORT_CASES,
      {
        input: [
          { ...confirmed, reference: 'WH-0100', idNumber: '110105199003071238' }, // wrong check digit
          { ...confirmed, reference: 'WH-0101', name: '陈三' }, // known ID number, another name
          { ...confirmed, reference: 'WH-0102', regionCode: '420100' }, // a city
          { ...confirmed, reference: 'WH-0103', regionCode: '429999' }, // no such region
          { ...confirmed, reference: 'WH-0104', confirmedOn: day(5) }, // confirmed before reported
          { ...confirmed, reference: 'WH-0104' }, // twice in one call
          { ...confirmed, reference: 'WH-0105', clusterId: '424242' }, // no such cluster
        ],
      },
      HEALTH,
    );
    const errors = body.data.reportCaseRecords.userErrors as { field: string[]; code: string; message: string }[];
    expect(errors.map((e) => [e.field.join('.'), e.code])).toEqual([
      ['input.0.idNumber', 'INVALID'],
      ['input.4.confirmedOn', 'INVALID'],
      ['input.5.reference', 'CONFLICT'],
      ['input.2.regionCode', 'INVALID'],
      ['input.3.regionCode', 'NOT_FOUND'],
      ['input.6.clusterId', 'NOT_FOUND'],
    ]);
    expect(JSON.stringify(errors)).not.toContain('110105199003071238');
    // the name conflict needs the stored person: it is found once the rest is right
    const renamed = await server.gql(REPORT_CASES, { input: [{ ...confirmed, reference: 'WH-0101', name: '陈三' }] }, HEALTH);
    expect(renamed.body.data.reportCaseRecords.userErrors).toEqual([expect.objectContaining({ field: ['input', '0', 'name'], code: 'CONFLICT' })]);
    expect(await count('cases.case_records')).toBe(before);
  });

  it('keeps daily totals at least the case records: a lower total is refused', async () => {
    const { body } = await server.gql(
      `mutation ($input: [DailyReportInput!]!) { reportDailyCases(input: $input) { accepted userErrors { field code message } } }`,
      { input: [{ regionCode: '420106', date: day(2), newConfirmed: 0 }] },
      HEALTH,
    );
    expect(body.data.reportDailyCases).toEqual({
      accepted: 0,
      userErrors: [{ field: ['input', '0', 'newConfirmed'], code: 'CONFLICT', message: expect.stringMatching(/^1 case records of 420106 were confirmed on/) }],
    });
    const higher = await server.gql(
      `mutation ($input: [DailyReportInput!]!) { reportDailyCases(input: $input) { accepted userErrors { field } } }`,
      { input: [{ regionCode: '420106', date: day(2), newConfirmed: 4 }] },
      HEALTH,
    );
    expect(higher.body.data.reportDailyCases).toEqual({ accepted: 1, userErrors: [] });
  });

  it('sends as many SQL statements for 40 records as for one', async () => {
    const batch = (from: number, n: number) =>
      Array.from({ length: n }, (_, k) => ({ ...confirmed, reference: `RT-${from + k}`, name: '钱五', idNumber: idNumber('420106', '19600101', String(from + k).padStart(3, '0')), regionCode: '420111', reportedOn: day(9), confirmedOn: day(9) }));
    await server.gql(REPORT_CASES, { input: batch(100, 1) }, HEALTH); // 洪山区 turns MEDIUM: a NOTIFY more, once
    const one = await server.gql(REPORT_CASES, { input: batch(101, 1) }, HEALTH);
    const forty = await server.gql(REPORT_CASES, { input: batch(200, 40) }, HEALTH);
    expect([one.body.data.reportCaseRecords.created, forty.body.data.reportCaseRecords.created]).toEqual([1, 40]);
    // regions; lock, levels before, facts, persons, records, raised totals, running totals, levels after; audit
    expect(forty.body.extensions.sql.statements).toBe(one.body.extensions.sql.statements);
    expect(one.body.extensions.sql.bySource).toEqual({ region: 1, cases: 8, mobility: 0, access: 1 });
  });

  it('is HEALTH only', async () => {
    const { body } = await server.gql(REPORT_CASES, { input: [confirmed] }, GOV);
    expect(body.errors?.[0].extensions?.code).toBe('FORBIDDEN');
  });
});

describe('reportContacts', () => {
  it('links a contact to a case: the contact is ORANGE until the quarantine ends', async () => {
    const active = { ...confirmed, reference: 'WH-0200', name: '吴四', idNumber: idNumber('420106', '19700303', '789') };
    expect((await server.gql(REPORT_CASES, { input: [active] }, HEALTH)).body.data.reportCaseRecords.userErrors).toEqual([]);
    const linked = await server.gql(REPORT_CONTACTS, { input: [{ ...contact, caseReference: 'WH-0200' }] }, HEALTH);
    expect(linked.body.data.reportContacts).toEqual({ accepted: 1, created: 1, updated: 0, unchanged: 0, replayed: false, userErrors: [] });
    expect(await person(CONTACT_ID)).toMatchObject({
      passColor: 'ORANGE',
      contacts: [{ exposureDate: day(4), setting: 'HOUSEHOLD', quarantineEndedOn: null, region: { code: '420106' } }],
    });

    const ended = await server.gql(REPORT_CONTACTS, { input: [{ ...contact, caseReference: 'WH-0200', quarantineEndedOn: day(0) }] }, HEALTH);
    expect(ended.body.data.reportContacts).toMatchObject({ accepted: 1, updated: 1, created: 0 });
    expect(await person(CONTACT_ID)).toMatchObject({ passColor: 'GREEN', contacts: [{ quarantineEndedOn: day(0) }] });
  });

  it('refuses a contact of an unknown case, or a case as its own contact, naming the item', async () => {
    const before = await count('cases.contacts');
    const { body } = await server.gql(
      REPORT_CONTACTS,
      { input: [{ ...contact, caseReference: 'WH-0200', exposureDate: day(6) }, { ...contact, caseReference: 'NOPE-1' }, { ...contact, caseReference: 'WH-0001', name: '陈一', idNumber: CASE_ID }] },
      HEALTH,
    );
    expect(body.data.reportContacts.userErrors.map((e: { field: string[]; code: string }) => [e.field.join('.'), e.code])).toEqual([
      ['input.1.caseReference', 'NOT_FOUND'],
      ['input.2.idNumber', 'INVALID'],
    ]);
    expect(await count('cases.contacts')).toBe(before);
    expect((await person(CONTACT_ID)).contacts[0].exposureDate).toBe(day(4));
  });
});
