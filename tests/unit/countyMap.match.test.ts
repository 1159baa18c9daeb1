import { matchOutlines, nameStem, type County, type SourceOutline } from '../../scripts/county-map/match';
import { classifyShapes } from '../../web/src/dashboard/shapes';

/**
 * The rules that give today's county-level units the outlines of a 2016 source (scripts/county-map):
 * each case below is one that the real data has (docs/pages.md).
 */
let next = 0;
const outline = (code: string | null, name: string, cityName = '某市', provinceName = '某省'): SourceOutline => ({ index: next++, code, name, cityName, provinceName });
const county = (code: string, name: string, parentName = '某市', provinceName = '某省'): County => ({
  code,
  name,
  parentCode: `${code.slice(0, 4)}00`,
  parentName,
  provinceCode: `${code.slice(0, 2)}0000`,
  provinceName,
});
const byUnit = (outlines: SourceOutline[], result: ReturnType<typeof matchOutlines>) =>
  Object.fromEntries(result.matches.map((m) => [m.code, `${m.method}: ${m.outlines.map((i) => outlines.find((o) => o.index === i)!.name).join(' + ')}`]));

describe('nameStem', () => {
  it('drops the administrative suffix but never the whole name', () => {
    expect(['潜山县', '潜山市', '孟村回族自治县', '鄂温克族自治旗', '大柴旦行政委员会', '横县', '嘉黎县'].map(nameStem)).toEqual(['潜山', '潜山', '孟村回族', '鄂温克族', '大柴旦', '横县', '嘉黎']);
  });
});

describe('matchOutlines', () => {
  it('takes the outline with the same code and name, and one of the same name under a former code in the same city', () => {
    const outlines = [outline('420106', '武昌区'), outline('340824', '潜山县'), outline('340825', '太湖县')];
    const result = matchOutlines(outlines, [county('420106', '武昌区'), county('340882', '潜山市')], {});
    expect(byUnit(outlines, result)).toEqual({ '420106': 'code: 武昌区', '340882': 'name: 潜山县' });
    expect(result.unused.map((o) => o.name)).toEqual(['太湖县']);
  });

  it('matches outlines without a code by name within the file of their city', () => {
    // the source's 沧州 has no codes, and 新华区 is also a district of 石家庄
    const outlines = [outline(null, '新华区', '沧州', '河北'), outline('130105', '新华区', '石家庄', '河北')];
    const result = matchOutlines(outlines, [county('130902', '新华区', '沧州市', '河北省'), county('130105', '新华区', '石家庄市', '河北省')], {});
    expect(result.matches.map((m) => [m.code, m.method, outlines.find((o) => o.index === m.outlines[0])!.code])).toEqual([
      ['130902', 'name', null],
      ['130105', 'code', '130105'],
    ]);
  });

  it('follows a county to another city of the province only when its name is unique there', () => {
    // 那曲's counties moved from 5424xx to 5406xx; an outline of a 城区 cannot tell which of two is meant
    const outlines = [outline('542422', '嘉黎县'), outline('140202', '城区')];
    const counties = [county('540621', '嘉黎县'), county('140999', '城区'), county('140998', '城区')];
    const result = matchOutlines(outlines, counties, {});
    expect(byUnit(outlines, result)).toEqual({ '540621': 'name: 嘉黎县' });
    expect(result.unmatched.map((c) => c.code)).toEqual(['140999', '140998']);
  });

  it('gives a reused code to the unit that has the name, and the code to a renamed unit only when nobody claims it', () => {
    // 232701 was 加格达奇区 and is now 漠河市; 加格达奇区 is 232761. 130502 桥东区 was renamed 襄都区.
    const outlines = [outline('232701', '加格达奇区'), outline('232723', '漠河县'), outline('130502', '桥东区')];
    const result = matchOutlines(outlines, [county('232701', '漠河市'), county('232761', '加格达奇区'), county('130502', '襄都区')], {});
    expect(byUnit(outlines, result)).toEqual({ '232701': 'name: 漠河县', '232761': 'name: 加格达奇区', '130502': 'renamed: 桥东区' });
  });

  it('merges the outlines of the units a new one was formed from, before any name rule', () => {
    // 友好区 (2019) = the old 友好区 + 上甘岭区: by name alone it would get only the first
    const outlines = [outline('230704', '友好区'), outline('230716', '上甘岭区')];
    const result = matchOutlines(outlines, [county('230719', '友好区')], { '230719': ['230704', '230716'] });
    expect(byUnit(outlines, result)).toEqual({ '230719': 'predecessors: 友好区 + 上甘岭区' });
    expect(result.unused).toEqual([]);
  });

  it('refuses a decision that names an outline the source does not have, or one already taken', () => {
    const outlines = [outline('230704', '友好区')];
    expect(() => matchOutlines(outlines, [county('230719', '友好区')], { '230719': ['230704', '239999'] })).toThrow(/PREDECESSORS\['230719'\]: no unclaimed source outline 239999/);
    expect(() => matchOutlines(outlines, [county('230718', '乌翠区'), county('230719', '友好区')], { '230718': ['230704'], '230719': ['230704'] })).toThrow(
      /PREDECESSORS\['230719'\]: no unclaimed source outline 230704/,
    );
  });

  it('uses each outline once at most', () => {
    const outlines = [outline('110101', '东城区')];
    const result = matchOutlines(outlines, [county('110101', '东城区'), county('110102', '东城区')], {});
    expect(result.matches).toHaveLength(1);
    expect(result.unmatched.map((c) => c.code)).toEqual(['110102']);
  });
});

describe('classifyShapes', () => {
  it('draws units with an outline, marks the others in their city when it has outlines, and lists the rest', () => {
    const units = [
      { code: '420106', parentCode: '420100' },
      { code: '420171', parentCode: '420100' }, // a development zone of a drawn city
      { code: '460321', parentCode: '460300' }, // 西沙群岛: 三沙市 has no outline at all
    ];
    const { shaped, inParentArea, listed } = classifyShapes(units, new Set(['420106']));
    expect([shaped, inParentArea, listed].map((l) => l.map((u) => u.code))).toEqual([['420106'], ['420171'], ['460321']]);
  });
});
