import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startTestServer, type TestServer } from '../helpers/server';
import { createRegionsOnlyDatabase } from '../helpers/regionsOnly';
import { runEntryPoint } from '../helpers/entryPoints';
import { TEST_ID_HASH_SECRET } from '../helpers/secrets';
import { DEMO_KEYS } from '../../datasources/apiKeys';
import { todayCst } from '../../src/clock';
import { addDays } from '../../src/risk/dates';

/**
 * Civil affairs' path (issue 17, item 3): GB/T 2260 changes with validity and successors, over
 * GraphQL and from a CSV file, and queries across a change. The example: 江陵县 (421024) merged
 * into 荆州区 (421003) ten days ago; its reports from before stay under its code.
 */
const HEALTH = { authorization: `Bearer ${DEMO_KEYS.HEALTH}` };
const GOV = { authorization: `Bearer ${DEMO_KEYS.GOV}` };
const today = todayCst();
const day = (n: number) => addDays(today, -n);

const APPLY = `mutation ($input: [RegionChangeInput!]!) { applyRegionChanges(input: $input) { accepted unchanged userErrors { field message code } } }`;
const REPORT = `mutation ($input: [DailyReportInput!]!) { reportDailyCases(input: $input) { accepted userErrors { field message code } } }`;
const MERGER = { code: '421024', change: 'MERGED', effectiveOn: day(10), successorCodes: ['421003'] };

let db: { url: string; drop(): Promise<void> };
let server: TestServer;
const scratch = mkdtempSync(path.join(tmpdir(), 'changxing-regions-'));

beforeAll(async () => {
  db = await createRegionsOnlyDatabase('changxing_region_changes');
  server = await startTestServer({ databaseUrl: db.url });
  // figures of 江陵县 from before the merger, reported under its own code
  const before = await server.gql(REPORT, { input: [{ regionCode: '421024', date: day(20), newConfirmed: 5 }, { regionCode: '421024', date: day(12), newConfirmed: 2 }] }, HEALTH);
  expect(before.body.data.reportDailyCases).toEqual({ accepted: 2, userErrors: [] });
});

afterAll(async () => {
  await server?.close();
  await db?.drop();
  rmSync(scratch, { recursive: true, force: true });
});

const counties = async (asOf: string) =>
  (await server.gql(`query ($asOf: Date) { regions(parentCode: "421000", asOf: $asOf, first: 50) { nodes { code } } }`, { asOf })).body.data.regions.nodes.map((n: { code: string }) => n.code);

describe('applyRegionChanges', () => {
  it('merges a county into a district: the list of today leaves it out, the list of before holds it', async () => {
    const cachedBefore = await counties(today); // answers are cached: the change must not leave this one behind
    expect(cachedBefore).toContain('421024');
    const { body } = await server.gql(APPLY, { input: [MERGER] }, HEALTH);
    expect(body.data.applyRegionChanges).toEqual({ accepted: 1, unchanged: 0, userErrors: [] });
    expect(await counties(today)).not.toContain('421024');
    expect(await counties(day(11))).toContain('421024');
  });

  it('keeps the retired code addressable, with its figures from before and its successor', async () => {
    const { body } = await server.gql(
      `query ($before: Date!, $today: Date!) {
         old: region(code: "421024") { name validFrom validTo successors { code name } predecessors { code }
                                        caseSummary(asOf: $before) { newConfirmed cumulativeConfirmed } }
         inForce: region(code: "421024", asOf: $today) { code }
         then: region(code: "421024", asOf: $before) { code }
         district: region(code: "421003") { validTo predecessors { code name } successors { code } }
       }`,
      { before: day(11), today },
      GOV,
    );
    expect(body.errors).toBeUndefined();
    expect(body.data).toEqual({
      old: { name: '江陵县', validFrom: '1980-01-01', validTo: day(11), successors: [{ code: '421003', name: '荆州区' }], predecessors: [], caseSummary: { newConfirmed: 7, cumulativeConfirmed: 7 } },
      inForce: null,
      then: { code: '421024' },
      district: { validTo: null, predecessors: [{ code: '421024', name: '江陵县' }], successors: [] },
    });
    // the city's figures still count the county's reports from before
    const city = await server.gql(`query ($d: Date!) { region(code: "421000") { caseSummary(asOf: $d) { cumulativeConfirmed } } }`, { d: day(11) }, GOV);
    expect(city.body.data.region.caseSummary.cumulativeConfirmed).toBe(7);
  });

  it('takes reports under the retired code for days it was in force, and refuses later ones', async () => {
    const { body } = await server.gql(REPORT, { input: [{ regionCode: '421024', date: day(11), newConfirmed: 1 }, { regionCode: '421024', date: day(10), newConfirmed: 1 }] }, HEALTH);
    expect(body.data.reportDailyCases).toEqual({
      accepted: 0,
      userErrors: [{ field: ['input', '1', 'regionCode'], code: 'INVALID', message: expect.stringMatching(/^421024 江陵县 was not in force on .*Region\.successors/) }],
    });
  });

  it('changes nothing when the same list comes again', async () => {
    const { body } = await server.gql(APPLY, { input: [MERGER] }, HEALTH);
    expect(body.data.applyRegionChanges).toEqual({ accepted: 1, unchanged: 1, userErrors: [] });
  });

  it('adds and renames units, a new one in force from its day', async () => {
    const { body } = await server.gql(
      APPLY,
      { input: [
        { code: '421004', change: 'ADDED', effectiveOn: day(5), name: '荆州新区', parentCode: '421000', population: 120000 },
        { code: '421071', change: 'RENAMED', effectiveOn: day(5), name: '荆州开发区' },
      ] },
      HEALTH,
    );
    expect(body.data.applyRegionChanges).toEqual({ accepted: 2, unchanged: 0, userErrors: [] });
    expect(await counties(today)).toEqual(expect.arrayContaining(['421004']));
    expect(await counties(day(6))).not.toContain('421004');
    const named = await server.gql(`{ region(code: "421071") { name } }`);
    expect(named.body.data.region.name).toBe('荆州开发区');
  });

  it('answers a bad list with a userError per change and field, and applies none of it', async () => {
    const { body } = await server.gql(
      APPLY,
      { input: [
        { code: '421087', change: 'MERGED', effectiveOn: day(1) }, // no successor
        { code: '421081', change: 'MERGED', effectiveOn: day(1), successorCodes: ['421024'] }, // successor retired
        { code: '421099', change: 'ABOLISHED', effectiveOn: day(1) }, // no such code
        { code: '421000', change: 'RENAMED', effectiveOn: day(1), name: '荆州' }, // a city
        { code: '421083', change: 'ABOLISHED', effectiveOn: day(1) },
        { code: '421083', change: 'RENAMED', effectiveOn: day(1), name: '洪湖' }, // twice
        { code: '421088', change: 'ABOLISHED', effectiveOn: day(1) }, // fine alone, but the list is refused
      ] },
      HEALTH,
    );
    expect(body.data.applyRegionChanges.accepted).toBe(0);
    expect(body.data.applyRegionChanges.userErrors.map((e: { field: string[]; code: string }) => [e.field.join('.'), e.code])).toEqual([
      ['input.5.code', 'CONFLICT'],
      ['input.0.successorCodes', 'INVALID'],
      ['input.1.successorCodes', 'INVALID'],
      ['input.2.code', 'NOT_FOUND'],
      ['input.3.code', 'INVALID'],
    ]);
    expect(await counties(today)).toEqual(expect.arrayContaining(['421083', '421087', '421081', '421088']));
  });

  it('is HEALTH only', async () => {
    const { body } = await server.gql(APPLY, { input: [MERGER] }, GOV);
    expect(body.errors?.[0].extensions?.code).toBe('FORBIDDEN');
  });
});

describe('npm run regions -- import FILE', () => {
  const run = async (file: string) => {
    const cli = runEntryPoint('src/cli/regions.ts', ['import', file], {
      ...process.env,
      NODE_ENV: 'test',
      DATABASE_URL: db.url,
      ID_HASH_SECRET: TEST_ID_HASH_SECRET,
      DATA_DIR: path.join(scratch, 'data'),
      LOG_LEVEL: 'silent',
    });
    return { code: await cli.exited, output: cli.output() };
  };

  it('applies a change list in the published shape (Chinese header), all or nothing', async () => {
    const file = path.join(scratch, 'changes.csv');
    writeFileSync(file, `行政区划代码,单位名称,变更类型,生效日期,新代码\n421088,监利市,合并,${day(2)},421083\n421071,荆州开发区,更名,${day(5)},\n`);
    const result = await run(file);
    expect(result.output).toContain('2 changes, 1 applied, 1 already applied');
    expect(result.code).toBe(0);
    const { body } = await server.gql(`{ region(code: "421088") { validTo successors { code } } }`);
    expect(body.data.region).toEqual({ validTo: day(3), successors: [{ code: '421083' }] });
  });

  it('refuses a file with a bad row, naming its line', async () => {
    const file = path.join(scratch, 'bad.csv');
    writeFileSync(file, `code,name,change,effective_on,successors\n421087,松滋市,MERGED,${day(1)},\n`);
    const result = await run(file);
    expect(result.code).toBe(1);
    expect(result.output).toMatch(/line 2: successorCodes: A MERGED change needs/);
    expect(await counties(today)).toContain('421087');
  });
});
