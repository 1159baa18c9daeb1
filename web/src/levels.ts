import type { RiskLevel, PassColor } from './gql/graphql';

/** Labels and colours as the data and national reports use them. */
export const LEVEL_LABEL: Record<RiskLevel, string> = { LOW: '低风险', MEDIUM: '中风险', HIGH: '高风险' };
/** One character for tight places (chips): always next to its colour, so no level is told by colour alone. */
export const LEVEL_SHORT: Record<RiskLevel, string> = { LOW: '低', MEDIUM: '中', HIGH: '高' };
export const LEVEL_COLOR: Record<RiskLevel, string> = { LOW: '#3a9d5d', MEDIUM: '#f0a020', HIGH: '#d93025' };
export const LEVEL_RANK: Record<RiskLevel, number> = { LOW: 1, MEDIUM: 2, HIGH: 3 };
/** Highest first, as lists and legends show them. */
export const LEVELS_DOWN: readonly RiskLevel[] = ['HIGH', 'MEDIUM', 'LOW'];

export const PASS_LABEL: Record<PassColor, string> = { GREEN: '绿码', YELLOW: '黄码', ORANGE: '橙码', RED: '红码' };
export const PASS_COLOR: Record<PassColor, string> = { GREEN: '#1e9e4a', YELLOW: '#e6b800', ORANGE: '#f07800', RED: '#d93025' };

/**
 * Classes of new confirmed cases per 100,000 residents over 14 days, for the map's second mode.
 * ColorBrewer YlOrRd (sequential, readable with any colour vision: darker is more), grey for none.
 */
export const PER_100K_BINS: readonly { upTo: number; label: string; color: string }[] = [
  { upTo: 0, label: '无新增', color: '#e9ebee' },
  { upTo: 1, label: '≤ 1', color: '#fed976' },
  { upTo: 5, label: '1–5', color: '#feb24c' },
  { upTo: 20, label: '5–20', color: '#fd8d3c' },
  { upTo: 50, label: '20–50', color: '#f03b20' },
  { upTo: Infinity, label: '> 50', color: '#bd0026' },
];

export function per100kBin(value: number): (typeof PER_100K_BINS)[number] {
  return PER_100K_BINS.find((b) => value <= b.upTo) ?? PER_100K_BINS[PER_100K_BINS.length - 1];
}

/** What a colour means for the holder, in plain words (the rule is in schema/pass.graphql, PassColor). */
export const PASS_MEANING: Record<PassColor, string> = {
  GREEN: '未发现风险：可以正常通行。',
  YELLOW: '14天内到过中、高风险地区：通行受限，请按当地要求检测。',
  ORANGE: '14天内与病例密切接触：请居家或集中隔离观察。',
  RED: '确诊、疑似或无症状感染者：请配合治疗与隔离。',
};
