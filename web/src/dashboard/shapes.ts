/**
 * Which county-level units the map can draw: one rule for the page and for the script that
 * generates the outlines (scripts/county-map/main.ts), which reports the same figures.
 *
 * A unit with an outline is drawn as itself. One without (a development zone, or a unit created
 * since the outlines were drawn) is shown as a marker in its city's area when the city has other
 * units with outlines — it lies inside them — and is only listed when its city has none.
 */
export interface ShapeCoverage<C> {
  shaped: C[];
  inParentArea: C[];
  listed: C[];
}

export function classifyShapes<C extends { code: string; parentCode: string | null }>(counties: readonly C[], shaped: ReadonlySet<string>): ShapeCoverage<C> {
  const citiesWithShapes = new Set(counties.filter((c) => shaped.has(c.code)).map((c) => c.parentCode));
  const out: ShapeCoverage<C> = { shaped: [], inParentArea: [], listed: [] };
  for (const c of counties) {
    if (shaped.has(c.code)) out.shaped.push(c);
    else if (c.parentCode != null && citiesWithShapes.has(c.parentCode)) out.inParentArea.push(c);
    else out.listed.push(c);
  }
  return out;
}
