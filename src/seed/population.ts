import { Prng, seedFrom } from './prng';

/**
 * Provincial totals of the 2020 census (第七次全国人口普查), with 新疆生产建设兵团 split off
 * from Xinjiang. There is no official county table in the data we ship, so county populations
 * are simulated, then scaled so that each province adds up to its census total: the national
 * sum (≈ 1.41 billion) and the provincial weights stay plausible.
 */
const PROVINCE_TOTALS_2020: Record<string, number> = {
  '110000': 21_893_095, '120000': 13_866_009, '130000': 74_610_235, '140000': 34_915_616,
  '150000': 24_049_155, '210000': 42_591_407, '220000': 24_073_453, '230000': 31_850_088,
  '310000': 24_870_895, '320000': 84_748_016, '330000': 64_567_588, '340000': 61_027_171,
  '350000': 41_540_086, '360000': 45_188_635, '370000': 101_527_453, '410000': 99_365_519,
  '420000': 57_752_557, '430000': 66_444_864, '440000': 126_012_510, '450000': 50_126_804,
  '460000': 10_081_232, '500000': 32_054_159, '510000': 83_674_866, '520000': 38_562_148,
  '530000': 47_209_277, '540000': 3_648_100, '610000': 39_528_999, '620000': 25_019_831,
  '630000': 5_923_957, '640000': 7_202_654, '650000': 25_852_345 - 3_249_400,
  '660000': 3_249_400,
};

export interface CountyForPopulation {
  code: string;
  officialName: string;
  provinceCode: string;
  isDevelopmentZone: boolean;
  /** A district (区) of a municipality or of a provincial capital: denser than elsewhere. */
  isCoreDistrict: boolean;
}

/** Median size before calibration, by the kind of unit the name says it is. */
function medianFor(county: CountyForPopulation): number {
  const name = county.officialName;
  if (name.endsWith('区')) return county.isCoreDistrict ? 1_000_000 : 550_000;
  if (name.endsWith('市')) return 600_000;
  return 330_000; // 县, 旗, 自治县, 特区, 林区 …
}

/**
 * Simulated populations for every county, keyed by code. Each draw is seeded by the county's code
 * alone, so a county's population never depends on which other counties are kept.
 */
export function simulateCountyPopulations(counties: readonly CountyForPopulation[]): Map<string, number> {
  const result = new Map<string, number>();
  const byProvince = new Map<string, CountyForPopulation[]>();
  for (const county of counties) {
    const list = byProvince.get(county.provinceCode) ?? [];
    list.push(county);
    byProvince.set(county.provinceCode, list);
  }
  for (const [provinceCode, members] of byProvince) {
    const total = PROVINCE_TOTALS_2020[provinceCode];
    if (total === undefined) throw new Error(`no population total for province ${provinceCode}`);
    // Development zones are statistical areas of 30k–300k people, outside the calibration.
    let zonePeople = 0;
    const weights = new Map<string, number>();
    for (const county of members) {
      const rng = new Prng(seedFrom('population', county.code));
      if (county.isDevelopmentZone) {
        const people = Math.round(30_000 * Math.pow(10, rng.next()));
        result.set(county.code, people);
        zonePeople += people;
      } else {
        // A clamped log-normal: varied sizes without the implausible giants of an open tail.
        const z = Math.max(-2, Math.min(2, rng.normal()));
        weights.set(county.code, medianFor(county) * Math.exp(0.45 * z));
      }
    }
    const weightSum = [...weights.values()].reduce((a, b) => a + b, 0);
    const factor = (total - zonePeople) / weightSum;
    for (const [code, weight] of weights) result.set(code, Math.round(weight * factor));
  }
  return result;
}
