import type { RiskLevel, PassColor } from './gql/graphql';

/** Labels and colours as the data and national reports use them. */
export const LEVEL_LABEL: Record<RiskLevel, string> = { LOW: '低风险', MEDIUM: '中风险', HIGH: '高风险' };
export const LEVEL_COLOR: Record<RiskLevel, string> = { LOW: '#3a9d5d', MEDIUM: '#f0a020', HIGH: '#d93025' };
export const LEVEL_RANK: Record<RiskLevel, number> = { LOW: 1, MEDIUM: 2, HIGH: 3 };

export const PASS_LABEL: Record<PassColor, string> = { GREEN: '绿码', YELLOW: '黄码', ORANGE: '橙码', RED: '红码' };
export const PASS_COLOR: Record<PassColor, string> = { GREEN: '#1e9e4a', YELLOW: '#e6b800', ORANGE: '#f07800', RED: '#d93025' };
