import { startTestServer, type TestServer } from '../helpers/server';
import { createRegionsOnlyDatabase } from '../helpers/regionsOnly';
import { DEMO_KEYS } from '../../datasources/apiKeys';
import { residentIdCheckChar } from '../../src/privacy/residentId';
import { todayCst } from '../../src/clock';
import { addDays } from '../../src/risk/dates';

/**
 * Issue 17, "done when": a pass colour, a county level and an import risk driven end to end from
 * uploads alone. The database starts with the region list only; the health commission reports case
 * records, a cluster and a close contact (GraphQL), a carrier uploads stays and flows (POST
 * /ingest/…), civil affairs merges a county; then the API answers with colours, levels and import
 * risk computed from those uploads, and across the region change.
 */
const HEALTH = { authorization: `Bearer ${DEMO_KEYS.HEALTH}` };
const GOV = { authorization: `Bearer ${DEMO_KEYS.GOV}` };
const today = todayCst();
const day = (n: number) => addDays(today, -n);
const idNumber = (address: string, birth: string, seq: number) => {
  const first17 = `${address}${birth}${String(seq).padStart(3, '0')}`;
  return first17 + residentIdCheckChar(first17);
};

const OUTBREAK = '421003'; // 荆州区: 51 confirmed cases within 14 days and a cluster → HIGH
const ARRIVALS = '421022'; // 公安县: travellers from 荆州区 → import risk
const MERGED = '421024'; // 江陵县: one case, then merged into 荆州区
const QUIET = '421081'; // 石首市: nothing → LOW

const RED = { name: '陈红', idNumber: idNumber(OUTBREAK, '19800101', 100) };
const ORANGE = { name: '周橙', idNumber: idNumber(ARRIVALS, '19850505', 201) };
const YELLOW = { name: '张黄', idNumber: idNumber(QUIET, '19750921', 302) };
const GREEN = { name: '赵绿', idNumber: idNumber(QUIET, '20010101', 403) };

let db: { url: string; drop(): Promise<void> };
let server: TestServer;

async function gql(query: string, variables: Record<string, unknown>, headers: Record<string, string>) {
  const { body } = await server.gql(query, variables, headers);
  expect(body.errors).toBeUndefined();
  return body.data;
}

const CARRIER = { authorization: 'Bearer demo-carrier' };

/** A carrier's upload through the public path; the job must succeed with every row applied. */
async function upload(kind: 'flows' | 'stays', contentType: string, text: string) {
  const res = await fetch(`${server.url}/ingest/${kind}`, { method: 'POST', headers: { ...CARRIER, 'content-type': contentType }, body: text });
  const body = (await res.json()) as { job: { status: string; rowsApplied: number; errors: unknown[] } };
  expect(body.job.errors).toEqual([]);
  expect({ status: res.status, job: body.job.status }).toEqual({ status: 200, job: 'SUCCEEDED' });
  return body.job.rowsApplied;
}

const stay = (person: { name: string; idNumber: string }, county: string, on: string) => ({
  ...person,
  county,
  arrived: `${on}T09:00:00+08:00`,
  left: `${on}T17:00:00+08:00`,
  source: 'RAIL',
});

beforeAll(async () => {
  db = await createRegionsOnlyDatabase('changxing_end_to_end');
  server = await startTestServer({ databaseUrl: db.url });

  // the health commission: 51 confirmed cases in 荆州区 over the last 10 days, one in 江陵县, a cluster, a close contact
  const cases = Array.from({ length: 51 }, (_, k) => ({
    reference: `JZ-${k}`,
    ...(k === 0 ? RED : { name: '病例', idNumber: idNumber(OUTBREAK, '19900101', 500 + k) }),
    homeRegionCode: OUTBREAK,
    regionCode: OUTBREAK,
    status: 'CONFIRMED',
    reportedOn: day(1 + (k % 10)),
    confirmedOn: day(1 + (k % 10)),
  }));
  cases.push({ reference: 'JL-1', name: '江陵', idNumber: idNumber(MERGED, '19700707', 600), homeRegionCode: MERGED, regionCode: MERGED, status: 'CONFIRMED', reportedOn: day(5), confirmedOn: day(5) });
  const reported = await gql(
    `mutation ($input: [CaseRecordInput!]!) { reportCaseRecords(input: $input, idempotencyKey: "e2e-cases-0001") { accepted userErrors { field message } } }`,
    { input: cases },
    HEALTH,
  );
  expect(reported.reportCaseRecords).toEqual({ accepted: 52, userErrors: [] });
  const cluster = await gql(
    `mutation { reportCluster(input: { regionCode: "${OUTBREAK}", detectedOn: "${day(3)}", size: 6 }) { userErrors { field } } }`,
    {},
    HEALTH,
  );
  expect(cluster.reportCluster.userErrors).toEqual([]);
  const contact = await gql(
    `mutation ($input: [ContactInput!]!) { reportContacts(input: $input) { accepted userErrors { field message } } }`,
    { input: [{ caseReference: 'JZ-0', ...ORANGE, homeRegionCode: ARRIVALS, regionCode: OUTBREAK, exposureDate: day(3), setting: 'HOUSEHOLD' }] },
    HEALTH,
  );
  expect(contact.reportContacts).toEqual({ accepted: 1, userErrors: [] });

  // a carrier: stays (the YELLOW and GREEN persons are known only from them) and a week of flows into 公安县
  const stays = [stay(YELLOW, OUTBREAK, day(2)), stay(GREEN, QUIET, day(2))];
  expect(await upload('stays', 'application/x-ndjson', stays.map((s) => JSON.stringify(s)).join('\n'))).toBe(2);
  const flows = ['date,origin,destination,trips,mode', ...Array.from({ length: 7 }, (_, k) => `${day(k + 1)},${OUTBREAK},${ARRIVALS},40000,RAIL`)];
  expect(await upload('flows', 'text/csv', `${flows.join('\n')}\n`)).toBe(7);
});

afterAll(async () => {
  await server?.close();
  await db?.drop();
});

describe('from uploads alone', () => {
  it('colours passes: RED (a case), ORANGE (a contact), YELLOW (a stay in a county rated MEDIUM that day), GREEN', async () => {
    const colours: Record<string, string> = {};
    for (const [expected, person] of Object.entries({ RED, ORANGE, YELLOW, GREEN })) {
      const data = await gql(`query ($id: String!) { person(idNumber: $id) { name passColor passColorReason } }`, { id: person.idNumber }, HEALTH);
      expect(data.person.name).toBe(person.name);
      colours[expected] = data.person.passColor;
    }
    expect(colours).toEqual({ RED: 'RED', ORANGE: 'ORANGE', YELLOW: 'YELLOW', GREEN: 'GREEN' });
  });

  it('rates counties: HIGH where the cases and the cluster are, MEDIUM with one case, LOW elsewhere', async () => {
    const data = await gql(
      `{ outbreak: region(code: "${OUTBREAK}") { caseSummary { newConfirmed cumulativeConfirmed hasCluster } risk { level } }
         merged: region(code: "${MERGED}") { risk { level } }
         quiet: region(code: "${QUIET}") { risk { level } } }`,
      {},
      GOV,
    );
    expect(data).toEqual({
      outbreak: { caseSummary: { newConfirmed: 51, cumulativeConfirmed: 51, hasCluster: true }, risk: { level: 'HIGH' } },
      merged: { risk: { level: 'MEDIUM' } },
      quiet: { risk: { level: 'LOW' } },
    });
  });

  it('models import risk from the uploaded flows, naming the origin', async () => {
    const data = await gql(
      `{ region(code: "${ARRIVALS}") { importRisk { probability expectedInfectedArrivals topSources(first: 3) { region { code } trips } } } }`,
      {},
      GOV,
    );
    const risk = data.region.importRisk;
    expect(risk.expectedInfectedArrivals).toBeGreaterThan(0);
    expect(risk.probability).toBeGreaterThan(0);
    expect(risk.topSources).toEqual([{ region: { code: OUTBREAK }, trips: expect.any(Number) }]);
    expect(risk.topSources[0].trips).toBeGreaterThanOrEqual(6 * 40000);
  });

  it('answers across a region change: 江陵县 merged into 荆州区 keeps its figures under its code', async () => {
    const applied = await gql(
      `mutation { applyRegionChanges(input: [{ code: "${MERGED}", change: MERGED, effectiveOn: "${today}", successorCodes: ["${OUTBREAK}"] }]) { accepted userErrors { field message } } }`,
      {},
      HEALTH,
    );
    expect(applied.applyRegionChanges).toEqual({ accepted: 1, userErrors: [] });
    const data = await gql(
      `query ($before: Date!, $today: Date!) {
         old: region(code: "${MERGED}") { validTo successors { code } risk(asOf: $before) { level } caseSummary(asOf: $before) { cumulativeConfirmed } }
         inForce: region(code: "${MERGED}", asOf: $today) { code }
         city: regions(parentCode: "421000", asOf: $today, first: 50) { nodes { code } }
       }`,
      { before: day(1), today },
      GOV,
    );
    expect(data.old).toEqual({ validTo: day(1), successors: [{ code: OUTBREAK }], risk: { level: 'MEDIUM' }, caseSummary: { cumulativeConfirmed: 1 } });
    expect(data.inForce).toBeNull();
    expect(data.city.nodes.map((n: { code: string }) => n.code)).not.toContain(MERGED);
    // a new case of that area is reported under the successor; under the retired code it is refused
    const refused = await server.gql(
      `mutation ($input: [CaseRecordInput!]!) { reportCaseRecords(input: $input) { accepted userErrors { field code } } }`,
      { input: [{ reference: 'JL-2', name: '江陵二', idNumber: idNumber(MERGED, '19700808', 601), homeRegionCode: OUTBREAK, regionCode: MERGED, status: 'SUSPECTED', reportedOn: today }] },
      HEALTH,
    );
    expect(refused.body.data.reportCaseRecords).toEqual({ accepted: 0, userErrors: [{ field: ['input', '0', 'regionCode'], code: 'INVALID' }] });
  });
});
