import { useMemo, useState } from 'react';
import { useQuery } from 'urql';
import { ImportRiskRankingDocument } from '../gql/graphql';
import { describeError } from '../api';
import { LEVEL_LABEL } from '../levels';
import type { County } from './model';

/**
 * The counties of the scope most likely to report a new case within 7 days (riskForecast, a model,
 * never the rule), with the share due to arrivals and the origins contributing most. One request
 * for the national top 500 per date; the scope only filters it. By default only counties without a
 * case in 14 days (`firstCaseOnly`), where a new case would come from outside: otherwise the counties
 * of an ongoing outbreak fill the list at 100 % with nothing imported.
 */
export function ImportRiskPanel(props: { counties: County[]; asOf: string; hasKey: boolean }) {
  const { counties, asOf, hasKey } = props;
  const [includeActive, setIncludeActive] = useState(false);
  const [result] = useQuery({ query: ImportRiskRankingDocument, variables: { asOf, firstCaseOnly: !includeActive }, pause: !hasKey });
  const ranking = result.data?.riskForecast;
  const top = useMemo(() => {
    const inScope = new Set(counties.map((c) => c.code));
    return (ranking?.nodes ?? []).filter((n) => inScope.has(n.region.code)).slice(0, 10);
  }, [ranking, counties]);
  if (!hasKey) return <div className="muted">输入 GOV 密钥后显示输入风险（模型预测）。</div>;
  return (
    <div>
      <label className="toolbar">
        <input type="checkbox" checked={includeActive} onChange={(e) => setIncludeActive(e.target.checked)} />
        包括近14天已有病例的县
        {ranking && <span className="muted">{ranking.model}，数据截至 {ranking.asOf}</span>}
      </label>
      {result.error ? (
        <div className="state error">加载失败：{describeError(result.error)}</div>
      ) : result.fetching && !result.data ? (
        <div className="muted">加载中…</div>
      ) : top.length === 0 ? (
        <div className="muted">此范围内没有进入全国前 500 名的县级单位</div>
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
            {top.map((n) => (
              <tr key={n.region.code}>
                <td className="num">{n.rank}</td>
                <td>
                  {n.region.name} <span className="muted">{n.region.parent?.name}</span>
                </td>
                <td className="num" title={LEVEL_LABEL[n.level]}>
                  {(n.probability * 100).toFixed(1)}%
                </td>
                <td className="num">{(n.importShare * 100).toFixed(0)}%</td>
                <td style={{ whiteSpace: 'normal' }}>{n.topSources.map((s) => `${s.region.name} ${(s.contribution * 100).toFixed(0)}%`).join('，') || '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
