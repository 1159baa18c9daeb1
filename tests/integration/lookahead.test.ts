import { startTestServer, type TestServer } from '../helpers/server';

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
