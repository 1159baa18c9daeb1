import type { RiskLevel } from '../gql/graphql';
import { LEVEL_COLOR, LEVEL_LABEL, LEVEL_SHORT, LEVELS_DOWN } from '../levels';
import type { LevelCounts } from './model';

/**
 * Levels are never told by colour alone: MEDIUM carries diagonal lines and HIGH a cross-hatch, laid
 * over the colour (so the fill itself stays the level's colour), and every count has its word.
 * One pattern design for the map (in its own frame) and for the small bars and swatches (in pixels).
 */
export function HatchPatterns({ prefix, size }: { prefix: string; size: number }) {
  const line = { stroke: 'rgba(255,255,255,0.6)', strokeWidth: size * 0.28 };
  return (
    <defs>
      <pattern id={`${prefix}-MEDIUM`} patternUnits="userSpaceOnUse" width={size} height={size} patternTransform="rotate(45)">
        <line x1={0} y1={0} x2={0} y2={size} {...line} />
      </pattern>
      <pattern id={`${prefix}-HIGH`} patternUnits="userSpaceOnUse" width={size} height={size} patternTransform="rotate(45)">
        <line x1={0} y1={0} x2={0} y2={size} {...line} />
        <line x1={0} y1={0} x2={size} y2={0} {...line} />
      </pattern>
    </defs>
  );
}

/** The hatch over a level, or none for LOW. */
export const hatchOf = (prefix: string, level: RiskLevel) => (level === 'LOW' ? null : `url(#${prefix}-${level})`);

/** Patterns for the bars and swatches of the page, rendered once. */
export function PageHatchPatterns() {
  return (
    <svg width={0} height={0} style={{ position: 'absolute' }} aria-hidden="true">
      <HatchPatterns prefix="hatch" size={6} />
    </svg>
  );
}

export function LevelSwatch({ level }: { level: RiskLevel }) {
  const hatch = hatchOf('hatch', level);
  return (
    <svg width={18} height={12} className="swatch" aria-hidden="true">
      <rect width={18} height={12} fill={LEVEL_COLOR[level]} />
      {hatch && <rect width={18} height={12} fill={hatch} />}
    </svg>
  );
}

/**
 * Counties by level as a stacked bar with the counts in words: HIGH, MEDIUM, LOW from the left.
 * `compact` gives one character per level (chips), else the full labels.
 */
export function LevelBar({ counts, width, height = 10, compact = false }: { counts: LevelCounts; width: number; height?: number; compact?: boolean }) {
  const total = counts.HIGH + counts.MEDIUM + counts.LOW;
  let x = 0;
  const text = LEVELS_DOWN.map((l) => `${compact ? LEVEL_SHORT[l] : LEVEL_LABEL[l]} ${counts[l]}`).join(compact ? ' ' : ' · ');
  return (
    <span className="level-bar" data-high={counts.HIGH} data-medium={counts.MEDIUM} data-low={counts.LOW}>
      <svg width={width} height={height} role="img" aria-label={text}>
        {total > 0 &&
          LEVELS_DOWN.map((l) => {
            const w = (counts[l] / total) * width;
            const at = x;
            x += w;
            const hatch = hatchOf('hatch', l);
            return w > 0 ? (
              <g key={l}>
                <rect x={at} width={w} height={height} fill={LEVEL_COLOR[l]} />
                {hatch && <rect x={at} width={w} height={height} fill={hatch} />}
              </g>
            ) : null;
          })}
      </svg>
      <span className="level-bar-text">{text}</span>
    </span>
  );
}
