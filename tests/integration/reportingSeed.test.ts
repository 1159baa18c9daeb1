import { startTestServer, type TestServer } from '../helpers/server';
import { createRegionsOnlyDatabase } from '../helpers/regionsOnly';
import { poolsFor } from '../helpers/pools';
import { TEST_ID_HASH_SECRET } from '../helpers/secrets';
import { closePools, type Pools } from '../../src/db/pools';
import { DEMO_KEYS } from '../../datasources/apiKeys';
import { generateSeedData, type SeedData } from '../../src/seed';
import { loadCases } from '../../src/seed/load';
import { caseRecordInputs, contactInputs } from '../../src/seed/reportInputs';
import { todayCst } from '../../src/clock';

/**
 * The simulator as a client (issue 17, item 5): the demo's case records and contacts, sent through
 * the public reporting path (reportCaseRecords, reportContacts over HTTP) instead of COPY, give the
 * same tables — same persons (by ID hash), records, links and daily totals — so the seed's data is
 * data the API accepts, and `npm run seed` may keep loading it by COPY for speed.
 */
const HEALTH = { authorization: `Bearer ${DEMO_KEYS.HEALTH}` };
const BATCH = 1000;

let db: { url: string; drop(): Promise<void> };
let pools: Pools;
let server: TestServer;
let data: SeedData;

beforeAll(async () => {
  db = await createRegionsOnlyDatabase('changxing_reporting_seed');
  pools = poolsFor(db.url, 2);
  data = generateSeedData({ scale: 'small', seedDay: todayCst(), limitCounties: 50 });
  await loadCases(pools.cases, data, TEST_ID_HASH_SECRET);
  server = await startTestServer({ databaseUrl: db.url });
});

afterAll(async () => {
  await server?.close();
  await closePools(pools);
  await db?.drop();
});

/** The person-level tables by natural keys (ids and timestamps differ between the two paths). */
async function tables() {
  const q = async (sql: string) => (await pools.cases.query(sql)).rows;
  return {
    persons: await q(`SELECT encode(p.id_hash, 'hex') AS id_hash, p.name, p.home_region_code FROM cases.persons p
                       WHERE EXISTS (SELECT 1 FROM cases.case_records c WHERE c.person_id = p.id) OR EXISTS (SELECT 1 FROM cases.contacts x WHERE x.person_id = p.id)
                       ORDER BY 1`),
    caseRecords: await q(`SELECT c.reference, encode(p.id_hash, 'hex') AS id_hash, c.region_code, c.status, c.reported_on, c.confirmed_on, c.closed_on, c.cluster_id
                            FROM cases.case_records c JOIN cases.persons p ON p.id = c.person_id ORDER BY c.reference`),
    contacts: await q(`SELECT c.reference, encode(p.id_hash, 'hex') AS id_hash, x.exposure_date, x.region_code, x.setting, x.quarantine_ended_on
                         FROM cases.contacts x JOIN cases.case_records c ON c.id = x.case_id JOIN cases.persons p ON p.id = x.person_id ORDER BY 1, 2`),
    dailyReports: await q(`SELECT region_code, date, new_confirmed, new_asymptomatic, new_suspected, new_recovered, new_deaths,
                                  cumulative_confirmed, cumulative_recovered, cumulative_deaths, last_confirmed_on
                             FROM cases.daily_reports ORDER BY region_code, date`),
  };
}

async function send(mutation: string, type: string, items: unknown[]) {
  for (let i = 0; i < items.length; i += BATCH) {
    const { body } = await server.gql(`mutation ($input: [${type}!]!) { ${mutation}(input: $input) { accepted userErrors { field message } } }`, { input: items.slice(i, i + BATCH) }, HEALTH);
    expect(body.errors).toBeUndefined();
    expect(body.data[mutation].userErrors).toEqual([]);
    expect(body.data[mutation].accepted).toBe(Math.min(BATCH, items.length - i));
  }
}

it('seeds case records and contacts through the public reporting path and gets the tables COPY loads', async () => {
  const loaded = await tables();
  expect(loaded.caseRecords.length).toBeGreaterThan(50);
  expect(loaded.contacts.length).toBeGreaterThan(50);
  // the person-level tables emptied; daily reports and clusters stay as the seed loaded them
  await pools.cases.query('TRUNCATE cases.contacts, cases.case_records, cases.persons RESTART IDENTITY');

  await send('reportCaseRecords', 'CaseRecordInput', caseRecordInputs(data.people));
  await send('reportContacts', 'ContactInput', contactInputs(data.people));

  expect(await tables()).toEqual(loaded);
});
