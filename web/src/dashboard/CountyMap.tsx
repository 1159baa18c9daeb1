import { memo, useEffect, useMemo, useState, type MouseEvent } from 'react';
import { LEVEL_COLOR, LEVEL_LABEL, LEVELS_DOWN, PER_100K_BINS, per100kBin } from '../levels';
import { boxOf, FRAME, loadCountyOutlines, type CountyOutlines } from './geometry';
import { HatchPatterns, hatchOf, LevelSwatch } from './LevelGraphics';
import { classifyShapes } from './shapes';
import { countLevels, inScope, type County, type Scope } from './model';

/**
 * Every county-level unit on one map, coloured by its risk level (or, with `perCapita`, by new
 * confirmed cases per 100,000 over 14 days), province borders over it; zoomed to the province or
 * city of the scope. Hover: the county's figures; click: drill one level down and pick the county.
 * All figures come from the dashboard's one national query. Units without an outline (development
 * zones, units created since the outlines were drawn) are markers in their city's area and listed
 * under the map (web/src/dashboard/shapes.ts).
 */
export function CountyMap(props: { counties: readonly County[]; scope: Scope; picked: string | null; perCapita: boolean; onPick(county: County): void }) {
  const { counties, scope, picked, perCapita, onPick } = props;
  const [outlines, setOutlines] = useState<CountyOutlines | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const [hover, setHover] = useState<{ code: string; x: number; y: number } | null>(null);
  useEffect(() => {
    let live = true;
    loadCountyOutlines().then(
      (o) => live && setOutlines(o),
      (err: unknown) => live && setFailure(err instanceof Error ? err.message : String(err)),
    );
    return () => {
      live = false;
    };
  }, []);

  const byCode = useMemo(() => new Map(counties.map((c) => [c.code, c])), [counties]);
  const scoped = useMemo(() => inScope(counties, scope), [counties, scope]);
  const scopeCodes = useMemo(() => new Set(scoped.map((c) => c.code)), [scoped]);
  const coverage = useMemo(
    () => (outlines ? classifyShapes(counties.map((c) => ({ ...c, parentCode: c.parent?.code ?? null })), new Set(outlines.paths.keys())) : null),
    [outlines, counties],
  );
  const view = useMemo(() => {
    const box = outlines && scope.province ? boxOf(outlines, scopeCodes) : null;
    return box ? [box[0][0], box[0][1], box[1][0] - box[0][0], box[1][1] - box[0][1]] : [0, 0, FRAME.width, FRAME.height];
  }, [outlines, scope.province, scopeCodes]);
  const unit = view[2] / 900; // frame units per screen pixel, about (the map is ≈ 900 px wide)

  const provinceBorders = useMemo(() => {
    if (!outlines) return '';
    const province = (code: string) => byCode.get(code)?.province.code;
    return outlines.borders((a, b) => province(a) !== province(b), true);
  }, [outlines, byCode]);
  const cityBorders = useMemo(() => {
    if (!outlines || !scope.province) return '';
    const p = scope.province.code;
    const of = (code: string) => byCode.get(code);
    return outlines.borders((a, b) => of(a)?.parent?.code !== of(b)?.parent?.code && (of(a)?.province.code === p || of(b)?.province.code === p), false);
  }, [outlines, byCode, scope.province]);

  const fills = useFills(counties, perCapita);
  const hatchLayers = useMemo(() => {
    if (!outlines || perCapita) return [];
    return (['MEDIUM', 'HIGH'] as const).map((level) => ({
      level,
      d: counties.filter((c) => c.risk.level === level).map((c) => outlines.paths.get(c.code) ?? '').join(''),
    }));
  }, [outlines, counties, perCapita]);

  const markers = useMemo(() => {
    if (!outlines || !coverage) return [];
    const byCity = new Map<string, County[]>();
    for (const c of coverage.inParentArea) byCity.set(c.parent!.code, [...(byCity.get(c.parent!.code) ?? []), byCode.get(c.code)!]);
    return [...byCity].flatMap(([city, units]) => {
      const centre = outlines.centreOf(coverage.shaped.filter((s) => s.parentCode === city).map((s) => s.code));
      if (!centre) return [];
      // In rows of up to five around the centre of the city's area; spacing in screen pixels.
      return units.map((county, i) => ({ county, dx: (i % 5) - (Math.min(units.length, 5) - 1) / 2, dy: Math.floor(i / 5), centre }));
    });
  }, [outlines, coverage, byCode]);

  const pointAt = (e: MouseEvent) => {
    const code = (e.target as Element).closest('[data-code]')?.getAttribute('data-code');
    return code ? byCode.get(code) : undefined;
  };
  const onMove = (e: MouseEvent<HTMLDivElement>) => {
    const county = pointAt(e);
    const box = e.currentTarget.getBoundingClientRect();
    setHover(county ? { code: county.code, x: e.clientX - box.left, y: e.clientY - box.top } : null);
  };

  if (failure) return <div className="state error">地图边界无法加载：{failure}</div>;
  if (!outlines || !coverage) return <div className="state" style={{ height: 520 }}>正在加载县级边界…</div>;

  const hovered = hover ? byCode.get(hover.code) : undefined;
  const listedInScope = [...coverage.inParentArea, ...coverage.listed].filter((c) => scopeCodes.has(c.code));
  const r = 4.5 * unit;
  return (
    <div>
      <div className="map" onMouseMove={onMove} onMouseLeave={() => setHover(null)} onClick={(e) => { const c = pointAt(e); if (c) onPick(c); }}>
        <svg
          data-testid="county-map"
          data-view={scope.city?.code ?? scope.province?.code ?? 'country'}
          data-mode={perCapita ? 'per100k' : 'level'}
          viewBox={view.join(' ')}
          preserveAspectRatio="xMidYMid meet"
          role="img"
          aria-label={`县级风险地图：${scope.city?.name ?? scope.province?.name ?? '全国'}。各县数据见下方表格。`}
        >
          <HatchPatterns prefix="map" size={6 * unit} />
          {outlines.context.map((a) => (
            <path key={a.code} d={a.d} className="context" data-context={a.code}>
              <title>{a.name}：不在本系统的数据范围内</title>
            </path>
          ))}
          <CountyLayer outlines={outlines} counties={counties} fills={fills} inScope={scope.province ? scopeCodes : null} />
          {hatchLayers.map((h) => (
            <path key={h.level} d={h.d} fill={hatchOf('map', h.level)!} className="hatch" />
          ))}
          <path d={cityBorders} className="border city" />
          <path d={provinceBorders} className="border province" />
          {picked && outlines.paths.has(picked) && <path d={outlines.paths.get(picked)} className="picked" />}
          {hovered && outlines.paths.has(hovered.code) && <path d={outlines.paths.get(hovered.code)} className="hovered" />}
          {markers.map(({ county, dx, dy, centre }) => {
            const hatch = perCapita ? null : hatchOf('map', county.risk.level);
            const at = { cx: centre[0] + dx * 2.6 * r, cy: centre[1] + dy * 2.6 * r, r };
            return (
              <g key={county.code} data-code={county.code} data-level={county.risk.level} className={`marker${county.code === picked ? ' picked' : ''}`} opacity={scope.province && !scopeCodes.has(county.code) ? 0.35 : 1}>
                <circle {...at} fill={fills.get(county.code)!.fill} />
                {hatch && <circle {...at} fill={hatch} />}
              </g>
            );
          })}
        </svg>
        {hovered && hover && <Tooltip county={hovered} x={hover.x} y={hover.y} shaped={outlines.paths.has(hovered.code)} />}
      </div>
      <Legend perCapita={perCapita} counties={scoped} />
      {listedInScope.length > 0 && (
        <details className="no-shape" data-testid="no-shape">
          <summary>
            {listedInScope.length} 个县级单位没有边界数据（开发区等）：以圆点标在所属地级市的范围内{coverage.listed.some((c) => scopeCodes.has(c.code)) ? '，所属地级市也没有边界的只列在这里' : ''}
          </summary>
          <ul>
            {listedInScope.map((c) => {
              const county = byCode.get(c.code)!;
              return (
                <li key={c.code}>
                  <button onClick={() => onPick(county)} data-code={c.code}>
                    <span className={`level ${county.risk.level}`}>{LEVEL_LABEL[county.risk.level]}</span> {county.name} <span className="muted">{county.code} · {county.parent?.name}</span>
                    {coverage.listed.includes(c) && <span className="muted">（仅列出）</span>}
                  </button>
                </li>
              );
            })}
          </ul>
        </details>
      )}
    </div>
  );
}

/** Fill per county code for the mode; a new map only when a level or figure changed. */
function useFills(counties: readonly County[], perCapita: boolean): ReadonlyMap<string, { fill: string; key: string }> {
  return useMemo(
    () =>
      new Map(
        counties.map((c) => {
          if (!perCapita) return [c.code, { fill: LEVEL_COLOR[c.risk.level], key: c.risk.level }];
          const bin = per100kBin(c.caseSummary.newConfirmedPer100k);
          return [c.code, { fill: bin.color, key: bin.label }];
        }),
      ),
    [counties, perCapita],
  );
}

/** The 2,800-odd county paths: re-rendered only when fills or the scope change, not on hover. */
const CountyLayer = memo(function CountyLayer(props: {
  outlines: CountyOutlines;
  counties: readonly County[];
  fills: ReadonlyMap<string, { fill: string; key: string }>;
  inScope: ReadonlySet<string> | null;
}) {
  const { outlines, counties, fills, inScope } = props;
  return (
    <g className="counties">
      {counties.map((c) => {
        const d = outlines.paths.get(c.code);
        if (!d) return null;
        const f = fills.get(c.code)!;
        return <path key={c.code} d={d} data-code={c.code} data-level={f.key} fill={f.fill} fillOpacity={inScope && !inScope.has(c.code) ? 0.35 : 1} />;
      })}
    </g>
  );
});

function Tooltip({ county, x, y, shaped }: { county: County; x: number; y: number; shaped: boolean }) {
  const s = county.caseSummary;
  return (
    <div className="tooltip" data-testid="map-tooltip" style={{ left: x + 14, top: y + 14 }}>
      <strong>{county.name}</strong> <span className="muted">{county.code}</span>
      <div className="muted">
        {county.parent?.name} · {county.province.name}
      </div>
      <div>
        <span className={`level ${county.risk.level}`}>{LEVEL_LABEL[county.risk.level]}</span>
      </div>
      <div>14天新增确诊 {s.newConfirmed} · 每10万人 {s.newConfirmedPer100k.toFixed(2)}</div>
      <div>
        现有确诊 {s.activeConfirmed} · 累计确诊 {s.cumulativeConfirmed}
        {s.hasCluster ? ' · 14天内有聚集性疫情' : ''}
      </div>
      <div className="muted">常住人口 {(county.population / 10_000).toFixed(1)} 万</div>
      {!shaped && <div className="muted">无边界数据：圆点标在所属地级市的范围内</div>}
    </div>
  );
}

function Legend({ perCapita, counties }: { perCapita: boolean; counties: readonly County[] }) {
  if (perCapita) {
    const counts = new Map<string, number>();
    for (const c of counties) {
      const bin = per100kBin(c.caseSummary.newConfirmedPer100k).label;
      counts.set(bin, (counts.get(bin) ?? 0) + 1);
    }
    return (
      <div className="legend" data-testid="legend">
        <span>14天每10万人新增确诊：</span>
        {PER_100K_BINS.map((b) => (
          <span key={b.label}>
            <svg width={18} height={12} className="swatch" aria-hidden="true">
              <rect width={18} height={12} fill={b.color} />
            </svg>
            {b.label}（{counts.get(b.label) ?? 0}）
          </span>
        ))}
      </div>
    );
  }
  const counts = countLevels(counties);
  return (
    <div className="legend" data-testid="legend">
      {LEVELS_DOWN.map((l) => (
        <span key={l}>
          <LevelSwatch level={l} /> {LEVEL_LABEL[l]}（{counts[l]}）
        </span>
      ))}
      <span className="muted">斜线：中风险；网格：高风险。灰色：港澳台，不在本系统数据范围内。</span>
    </div>
  );
}
