import { useMemo } from 'react';
import { useQuery } from 'urql';
import { CountyImportRiskDocument } from '../gql/graphql';
import { describeError } from '../api';
import { LEVEL_LABEL } from '../levels';
import type { County } from './model';

/**
 * The counties of the scope most likely to see imported infections (a model, not the rule), with the
 * origins contributing most. One request for all counties per date; the scope only filters it.
 */
export function ImportRiskPanel(props: { counties: County[]; asOf: string; hasKey: boolean }) {
  const { counties, asOf, hasKey } = props;
  const [result] = useQuery({ query: CountyImportRiskDocument, variables: { asOf }, pause: !hasKey });
  const top = useMemo(() => {
    const risk = new Map((result.data?.counties.nodes ?? []).map((n) => [n.code, n.importRisk]));
    return counties
      .flatMap((c) => {
        const r = risk.get(c.code);
        return r ? [{ county: c, risk: r }] : [];
      })
      .sort((a, b) => b.risk.probability - a.risk.probability)
      .slice(0, 10);
  }, [result.data, counties]);
  if (!hasKey) return <div className="muted">输入 GOV 密钥后显示输入风险（模型预测）。</div>;
  if (result.error) return <div className="state error">加载失败：{describeError(result.error)}</div>;
  if (result.fetching && !result.data) return <div className="muted">加载中…</div>;
  if (top.length === 0) return <div className="muted">无数据</div>;
  return (
    <table data-testid="import-risk">
      <thead>
        <tr>
          <th>县级单位</th>
          <th className="num">概率</th>
          <th>主要来源</th>
        </tr>
      </thead>
      <tbody>
        {top.map(({ county, risk }) => (
          <tr key={county.code}>
            <td>
              {county.name} <span className="muted">{county.parent?.name}</span>
            </td>
            <td className="num" title={`${risk.model} · ${LEVEL_LABEL[risk.level]}`}>
              {(risk.probability * 100).toFixed(1)}%
            </td>
            <td style={{ whiteSpace: 'normal' }}>
              {risk.topSources.map((s) => `${s.region.name} ${(s.contribution * 100).toFixed(0)}%`).join('，')}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
