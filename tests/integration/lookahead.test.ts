import pg from 'pg';
import { startTestServer, type TestServer } from '../helpers/server';
import { seededCopy, type OwnDatabase } from '../helpers/fixtures';
import { operation } from '../helpers/operations';
import { addDays } from '../../src/risk/dates';
import { todayCst } from '../../src/clock';

/**
 * A list's look-ahead (resolvers/lookahead.ts) computes `caseSummary` and `risk` for every node at
 * once, and the nodes' resolvers read those values instead of computing their own. What a node
 * answers must not depend on which path computed it: each field of a list's nodes is compared here
 * with the same field asked of the region alone (`region(code:)`, no list, no look-ahead), for two
 * windows selected side by side, through a fragment, and on a province's list of children.
 */

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ env: { RESPONSE_CACHE: 'off' } });
});
afterAll(async () => {
  await server.close();
});

const SUMMARY = 'days newConfirmed newAsymptomatic newDeaths cumulativeConfirmed cumulativeRecovered cumulativeDeaths activeConfirmed newConfirmedPer100k cumulativeConfirmedPer100k lastConfirmedOn clusterCount hasCluster';
const RISK = 'level ruleset asOf reasons countyCounts { low medium high }';
const FIELDS = `code
  week: caseSummary(days: 7) { ${SUMMARY} }
  ...Fortnight
  risk { ${RISK} }`;
const FRAGMENT = `fragment Fortnight on Region { fortnight: caseSummary(days: 14) { ${SUMMARY} } risk { level } }`;

async function alone(code: string) {
  const { body } = await server.gql(`query($code: ID!) { region(code: $code) { ${FIELDS} } } ${FRAGMENT}`, { code });
  expect(body.errors).toBeUndefined();
  return body.data.region;
}

/** Counties with the most cases in the fortnight, some with clusters and some with none at all. */
function sample(nodes: any[]): any[] {
  const byCases = [...nodes].sort((a, b) => b.fortnight.newConfirmed - a.fortnight.newConfirmed);
  const picked = [...byCases.slice(0, 8), ...nodes.filter((n) => n.fortnight.hasCluster).slice(0, 4), ...byCases.slice(-3)];
  return [...new Map(picked.map((n) => [n.code, n])).values()];
}

describe('values computed ahead for a list', () => {
  it("equal each county's own answer, per window, through fragments", async () => {
    const { body } = await server.gql(`{ regions(level: COUNTY, first: 5000) { totalCount nodes { ${FIELDS} } } } ${FRAGMENT}`);
    expect(body.errors).toBeUndefined();
    const nodes = body.data.regions.nodes;
    expect(nodes.length).toBeGreaterThan(2900);
    // the two windows are two values, not one value kept for both
    expect(nodes.some((n: any) => n.week.newConfirmed !== n.fortnight.newConfirmed)).toBe(true);
    const checked = sample(nodes);
    expect(checked.some((n) => n.fortnight.newConfirmed > 0)).toBe(true);
    for (const node of checked) expect(node).toEqual(await alone(node.code));
  });

  it("equal them on a province's list of children", async () => {
    const { body } = await server.gql(`{ region(code: "420000") { children(first: 50) { nodes { code children(first: 50) { nodes { ${FIELDS} } } } } } } ${FRAGMENT}`);
    expect(body.errors).toBeUndefined();
    const counties = body.data.region.children.nodes.flatMap((city: any) => city.children.nodes);
    expect(counties.length).toBeGreaterThan(50);
    for (const node of sample(counties)) expect(node).toEqual(await alone(node.code));
  });

  it("count a list whose first page holds every match as a page that does not", async () => {
    const { body } = await server.gql(`{ all: regions(level: COUNTY, first: 5000) { totalCount nodes { code } } page: regions(level: COUNTY, first: 10) { totalCount } }`);
    expect(body.errors).toBeUndefined();
    expect(body.data.all.totalCount).toBe(body.data.all.nodes.length);
    expect(body.data.page.totalCount).toBe(body.data.all.totalCount);
  });
});

/**
 * A big list's look-ahead starts loading its counties' figures together with the list statement,
 * for the counties the same list held last time (src/cache/regionListGuesses.ts). Seen here by
 * holding both tables locked: the statements that wait show what was sent before the list came back.
 */
describe('the national map loads its figures while its list is read', () => {
  let db: OwnDatabase;
  let admin: pg.Client;
  beforeAll(async () => {
    db = await seededCopy('lookahead');
    admin = new pg.Client({ connectionString: db.url });
    await admin.connect();
  });
  afterAll(async () => {
    await admin?.end();
    await db?.drop();
  });

  /** The named statements waiting on the locks once the map is asked with both tables locked. */
  async function sentWhileListWaits(server: TestServer): Promise<string[]> {
    const locker = new pg.Client({ connectionString: db.url });
    await locker.connect();
    await locker.query('BEGIN');
    await locker.query('LOCK TABLE region.regions, cases.daily_reports IN ACCESS EXCLUSIVE MODE');
    const answer = server.gql(operation('NationalRiskMap'), {});
    const waiting = async () =>
      (await admin.query(`SELECT query FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`)).rows
        .map((r) => /\/\* (\w+\.\w+) \*\//.exec(r.query)?.[1])
        .filter((name): name is string => name != null);
    let seen: string[] = [];
    for (let i = 0; i < 100 && !seen.includes('RegionSource.list'); i++) {
      await new Promise((r) => setTimeout(r, 50));
      seen = await waiting();
    }
    // anything sent at the same time as the list is sent within a few event-loop turns of it
    await new Promise((r) => setTimeout(r, 300));
    seen = await waiting();
    await locker.query('ROLLBACK');
    await locker.end();
    const { body } = await answer;
    expect(body.errors).toBeUndefined();
    return seen.sort();
  }

  it('after a first answer, not before', async () => {
    const server = await startTestServer({ databaseUrl: db.url, env: { RESPONSE_CACHE: 'off' } });
    try {
      expect(await sentWhileListWaits(server)).toEqual(['RegionSource.list']);
      expect(await sentWhileListWaits(server)).toEqual(['CaseSource.summary', 'RegionSource.list']);
    } finally {
      await server.close();
    }
  });

  it('answers from the list it reads when the list changed since the guess', async () => {
    const guessing = await startTestServer({ databaseUrl: db.url, env: { RESPONSE_CACHE: 'off' } });
    try {
      const before = (await guessing.gql(operation('NationalRiskMap'), {})).body.data.counties;
      // a county with cases leaves the list (retired yesterday), a new one comes into force
      const gone = before.nodes.find((n: any) => n.caseSummary.newConfirmed > 0).code;
      const codes = new Set(before.nodes.map((n: any) => n.code));
      const born = ['99', '98', '97'].map((tail) => gone.slice(0, 4) + tail).find((c) => !codes.has(c))!;
      await admin.query('UPDATE region.regions SET valid_to = $2 WHERE code = $1', [gone, addDays(todayCst(), -1)]);
      await admin.query('CREATE TEMP TABLE born AS SELECT * FROM region.regions WHERE code = $1', [gone]);
      await admin.query(`UPDATE born SET code = $1, name = name || '新区', official_name = official_name || '新区', valid_from = $2, valid_to = NULL`, [born, todayCst()]);
      await admin.query('INSERT INTO region.regions SELECT * FROM born');
      const after = (await guessing.gql(operation('NationalRiskMap'), {})).body;
      expect(after.errors).toBeUndefined();
      const listed = after.data.counties.nodes.map((n: any) => n.code);
      expect(listed).not.toContain(gone);
      expect(listed).toContain(born);
      const fresh = await startTestServer({ databaseUrl: db.url, env: { RESPONSE_CACHE: 'off' } });
      try {
        const unguessed = (await fresh.gql(operation('NationalRiskMap'), {})).body;
        expect(after.data).toEqual(unguessed.data);
        // the cost of the wrong guess: one more statement, for the county it did not hold
        expect(after.extensions.sql.statements).toBe(unguessed.extensions.sql.statements + 1);
      } finally {
        await fresh.close();
      }
    } finally {
      await guessing.close();
    }
  });
});
