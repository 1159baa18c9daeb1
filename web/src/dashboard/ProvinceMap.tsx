import { useMemo } from 'react';
import provinces from 'virtual:china-provinces';
import { echarts, useECharts } from '../charts';
import { LEVEL_COLOR, LEVEL_LABEL, LEVEL_RANK } from '../levels';
import { per100k, type Area } from './model';

/**
 * National map by province: coloured by the highest county level, with the counties by level in the
 * tooltip. No npm package ships county outlines small enough to load for all 2,978 counties (README,
 * "Dashboard and pass pages"), so counties are in the table and the drill-down.
 */
export function ProvinceMap(props: { areas: Area[]; selected: string | null; perCapita: boolean; onSelect(area: Area): void }) {
  const { areas, selected, perCapita, onSelect } = props;
  const byCode = useMemo(() => new Map(areas.map((a) => [a.code, a])), [areas]);
  // The outlines name provinces briefly (湖北); the API fully (湖北省): the map uses the API's names by code.
  // A copy each time: ECharts decodes the compressed coordinates in place when it first draws a map.
  useMemo(() => {
    const geoJson = structuredClone(provinces);
    for (const f of geoJson.features) f.properties.name = byCode.get(String(f.id))?.name ?? f.properties.name;
    echarts.registerMap('changxing-china', geoJson as never);
  }, [byCode]);
  const option = useMemo(
    () => ({
      animation: false,
      tooltip: {
        trigger: 'item',
        formatter: (p: { name: string; data?: { area?: Area } }) => {
          const a = p.data?.area;
          if (!a) return `${p.name}<br/>无数据`;
          const figure = perCapita ? `每10万人新增 ${per100k(a.newConfirmed, a.population).toFixed(2)}` : `14天新增确诊 ${a.newConfirmed}`;
          return `${a.name}：${LEVEL_LABEL[a.level]}<br/>高风险 ${a.counts.HIGH} · 中风险 ${a.counts.MEDIUM} · 低风险 ${a.counts.LOW}<br/>${figure}`;
        },
      },
      visualMap: {
        type: 'piecewise',
        left: 8,
        bottom: 8,
        pieces: (['LOW', 'MEDIUM', 'HIGH'] as const).map((l) => ({ value: LEVEL_RANK[l], label: LEVEL_LABEL[l], color: LEVEL_COLOR[l] })),
      },
      series: [
        {
          type: 'map',
          map: 'changxing-china',
          roam: true,
          itemStyle: { areaColor: '#e4e6ea', borderColor: '#fff' },
          emphasis: { label: { show: false }, itemStyle: { areaColor: '#5b8def' } },
          select: { disabled: true },
          data: areas.map((a) => ({
            name: a.name,
            value: LEVEL_RANK[a.level],
            area: a,
            itemStyle: a.code === selected ? { borderColor: '#12355b', borderWidth: 2.5 } : undefined,
          })),
        },
      ],
    }),
    [areas, selected, perCapita],
  );
  const ref = useECharts(option, (name) => {
    const area = areas.find((a) => a.name === name);
    if (area) onSelect(area);
  });
  return <div ref={ref} data-testid="province-map" style={{ height: 460 }} />;
}
