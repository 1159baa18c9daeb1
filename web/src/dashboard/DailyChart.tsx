import { useMemo } from 'react';
import { useQuery } from 'urql';
import { NationalDailyDocument, RegionDailyDocument } from '../gql/graphql';
import { addDays, describeError } from '../api';
import { useECharts } from '../charts';
import { per100k } from './model';

const DAYS = 60;

/** Daily new confirmed cases over the 60 days up to `asOf`, for a region or (code null) the whole country. */
export function DailyChart(props: { code: string | null; name: string; asOf: string; perCapita: boolean }) {
  const { code, name, asOf, perCapita } = props;
  const from = addDays(asOf, -(DAYS - 1));
  const [region] = useQuery({ query: RegionDailyDocument, variables: { code: code ?? '', from, to: asOf }, pause: code == null });
  const [nation] = useQuery({ query: NationalDailyDocument, variables: { from, to: asOf }, pause: code != null });
  const result = code == null ? nation : region;

  const series = useMemo(() => {
    if (code != null) {
      const r = region.data?.region;
      return r ? r.daily.map((d) => [d.date, perCapita ? d.newConfirmedPer100k : d.newConfirmed] as const) : [];
    }
    const provinces = nation.data?.provinces.nodes ?? [];
    const population = provinces.reduce((s, p) => s + p.population, 0);
    const byDate = new Map<string, number>();
    for (const p of provinces) for (const d of p.daily) byDate.set(d.date, (byDate.get(d.date) ?? 0) + d.newConfirmed);
    return [...byDate].sort(([a], [b]) => a.localeCompare(b)).map(([date, n]) => [date, perCapita ? per100k(n, population) : n] as const);
  }, [code, region.data, nation.data, perCapita]);

  const option = useMemo(
    () => ({
      animation: false,
      grid: { left: 48, right: 12, top: 12, bottom: 28 },
      tooltip: { trigger: 'axis' },
      xAxis: { type: 'category', data: series.map(([d]) => d.slice(5)) },
      yAxis: { type: 'value', minInterval: perCapita ? 0 : 1 },
      series: [{ type: 'bar', data: series.map(([, v]) => (perCapita ? Math.round(v * 1000) / 1000 : v)), itemStyle: { color: '#c0392b' } }],
    }),
    [series, perCapita],
  );
  const ref = useECharts(option);
  return (
    <div
      data-testid="daily-chart"
      data-state={result.fetching ? 'loading' : result.error ? 'error' : 'ready'}
      data-total={series.reduce((sum, [, v]) => sum + v, 0)}
    >
      <h2 data-testid="chart-title">
        {name} · 每日新增确诊{perCapita ? '（每10万人）' : ''}
      </h2>
      {result.error && <div className="state error">加载失败：{describeError(result.error)}</div>}
      {result.fetching && !result.data && <div className="muted">加载中…</div>}
      {!result.fetching && !result.error && series.every(([, v]) => v === 0) && <div className="muted">此期间无新增确诊</div>}
      <div ref={ref} style={{ height: 260 }} />
    </div>
  );
}
