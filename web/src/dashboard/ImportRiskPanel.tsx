import { useState } from 'react';
import { useQuery } from 'urql';
import { CountyForecastDocument, ImportRiskRankingDocument, type LocalTrendDirection } from '../gql/graphql';
import { describeError } from '../api';
import { LEVEL_LABEL } from '../levels';
import type { County } from './model';

const TREND: Record<LocalTrendDirection, string> = { NONE: '无本地病例', RISING: '上升', STABLE: '持平', FALLING: '下降' };
const percent = (p: number, digits = 1) => `${(p * 100).toFixed(digits)}%`;

/**
 * The 7-day forecast (riskForecast: a model, never the rule). For the picked county, its own
 * forecast whatever its rank; for the scope (country, province or city), its ten most likely
 * counties, asked of the API with `within` so that a scope is never empty for lack of a place in
 * a national top list. By default only counties without a case in 14 days (`firstCaseOnly`), where
 * a new case would come from outside; a checkbox adds those of ongoing outbreaks.
 */
export function ImportRiskPanel(props: {
  scope: { code: string; name: string } | null;
  county: County | null;
  nationalTotal: number;
  asOf: string;
  hasKey: boolean;
  onPick(code: string): void;
}) {
  const { scope, county, nationalTotal, asOf, hasKey, onPick } = props;
  const [includeActive, setIncludeActive] = useState(false);
  const [ranking] = useQuery({
    query: ImportRiskRankingDocument,
    variables: { asOf, firstCaseOnly: !includeActive, within: scope?.code ?? null },
    pause: !hasKey,
  });
  if (!hasKey) return <div className="muted">输入 GOV 密钥后显示输入风险（模型预测）。</div>;
  const data = ranking.data?.riskForecast;
  return (
    <div>
      {county && <CountyForecast county={county} asOf={asOf} nationalTotal={nationalTotal} />}
      <h3>
        {scope?.name ?? '全国'}最可能出现新增的县级单位
        {data && <span className="muted">（{data.model}，数据截至 {data.asOf}）</span>}
      </h3>
      <p className="muted" data-testid="ranking-explained">
        按模型估计的“未来7天内报告至少1例新增”的概率排序；排名是在全国 {nationalTotal.toLocaleString('zh-CN')} 个县级单位中的名次
        {includeActive ? '。' : '，这里只列近14天无新增确诊的县级单位（它们的新增将来自外地输入）。'}
      </p>
      <label className="toolbar">
        <input type="checkbox" checked={includeActive} onChange={(e) => setIncludeActive(e.target.checked)} />
        包括近14天已有病例的县级单位
      </label>
      {ranking.error ? (
        <div className="state error">加载失败：{describeError(ranking.error)}</div>
      ) : !data ? (
        <div className="muted">加载中…</div>
      ) : data.nodes.length === 0 ? (
        <div className="muted">{scope?.name ?? '全国'}的县级单位近14天都有新增确诊；勾选上面的选项可查看它们。</div>
      ) : (
        <table data-testid="import-risk">
          <thead>
            <tr>
              <th className="num">全国排名</th>
              <th>县级单位</th>
              <th className="num">7天内新增概率</th>
              <th className="num">输入占比</th>
              <th>主要来源</th>
            </tr>
          </thead>
          <tbody>
            {data.nodes.map((n) => (
              <tr key={n.region.code} data-code={n.region.code} onClick={() => onPick(n.region.code)} className="clickable">
                <td className="num">{n.rank}</td>
                <td>
                  {n.region.name} <span className="muted">{n.region.parent?.name}</span>
                </td>
                <td className="num">
                  {percent(n.probability)} <span className="muted">{LEVEL_LABEL[n.level]}</span>
                </td>
                <td className="num">{percent(n.importShare, 0)}</td>
                <td className="wrap">{n.topSources.map((s) => `${s.region.name} ${percent(s.contribution, 0)}`).join('，') || '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

/** One county's forecast and what explains it: local trend, expected cases split, top sources. */
function CountyForecast({ county, asOf, nationalTotal }: { county: County; asOf: string; nationalTotal: number }) {
  const [result] = useQuery({ query: CountyForecastDocument, variables: { asOf, code: county.code } });
  const f = result.data?.riskForecast?.nodes[0];
  if (result.error) return <div className="state error">加载失败：{describeError(result.error)}</div>;
  if (!f) return <div className="muted">{result.fetching ? `正在加载${county.name}的预测…` : `${county.name}没有预测`}</div>;
  return (
    <div className="forecast" data-testid="county-forecast" data-code={f.region.code}>
      <div className="forecast-head">
        <strong>{f.region.name}</strong>：未来7天内报告新增的概率 <strong>{percent(f.probability)}</strong>（{LEVEL_LABEL[f.level]}），全国第 {f.rank} /{' '}
        {nationalTotal.toLocaleString('zh-CN')} 名
      </div>
      <div>
        预计新增 {f.expectedCases.toFixed(2)} 例：外地输入 {f.expectedImportedCases.toFixed(2)}，本地传播 {f.expectedLocalCases.toFixed(2)}（输入占 {percent(f.importShare, 0)}）
      </div>
      <div>
        本地趋势：{TREND[f.localTrend.direction]}（近7天 {f.localTrend.recentCases} 例，此前7天 {f.localTrend.previousCases} 例）；近14天新增确诊 {f.confirmedLast14Days} 例
      </div>
      <div>
        主要来源：
        {f.topSources.length === 0
          ? '无来自有病例地区的人员流入'
          : f.topSources.map((s) => `${s.region.name} ${percent(s.contribution, 0)}（${s.trips.toLocaleString('zh-CN')} 人次）`).join('，')}
      </div>
    </div>
  );
}
