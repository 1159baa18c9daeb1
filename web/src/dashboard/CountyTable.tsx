import { useMemo, useState } from 'react';
import type { RiskLevel } from '../gql/graphql';
import { LEVEL_LABEL, LEVEL_RANK } from '../levels';
import type { County } from './model';

type Column = 'name' | 'city' | 'level' | 'newConfirmed' | 'cumulativeConfirmed' | 'activeConfirmed';

// City and province share a column (sorted by the city's code, which starts with the province's):
// seven columns did not fit the card at 1,400 px.
const COLUMNS: { key: Column; label: string; numeric?: boolean }[] = [
  { key: 'name', label: '县级单位' },
  { key: 'city', label: '地级 · 省级' },
  { key: 'level', label: '风险等级' },
  { key: 'newConfirmed', label: '14天新增', numeric: true },
  { key: 'activeConfirmed', label: '现有确诊', numeric: true },
  { key: 'cumulativeConfirmed', label: '累计确诊', numeric: true },
];

function sortValue(c: County, key: Column, perCapita: boolean): string | number {
  switch (key) {
    case 'name':
      return c.code;
    case 'city':
      return c.parent?.code ?? '';
    case 'level':
      return LEVEL_RANK[c.risk.level];
    case 'newConfirmed':
      return perCapita ? c.caseSummary.newConfirmedPer100k : c.caseSummary.newConfirmed;
    default:
      return c.caseSummary[key];
  }
}

/** Every county of the scope, sortable by any column and filtered by name or code and level. */
export function CountyTable(props: { counties: County[]; perCapita: boolean; live: ReadonlySet<string>; picked: string | null; onPick(c: County): void }) {
  const { counties, perCapita, live, picked, onPick } = props;
  const [sort, setSort] = useState<{ key: Column; desc: boolean }>({ key: 'level', desc: true });
  const [text, setText] = useState('');
  const [level, setLevel] = useState<RiskLevel | ''>('');
  const rows = useMemo(() => {
    const needle = text.trim();
    const filtered = counties.filter(
      (c) => (!level || c.risk.level === level) && (!needle || c.name.includes(needle) || c.code.startsWith(needle) || (c.parent?.name ?? '').includes(needle)),
    );
    const dir = sort.desc ? -1 : 1;
    return filtered.sort((a, b) => {
      const x = sortValue(a, sort.key, perCapita);
      const y = sortValue(b, sort.key, perCapita);
      return (x < y ? -1 : x > y ? 1 : 0) * dir || a.code.localeCompare(b.code);
    });
  }, [counties, sort, text, level, perCapita]);
  const toggle = (key: Column) => setSort((s) => ({ key, desc: s.key === key ? !s.desc : key === 'level' || COLUMNS.some((c) => c.key === key && c.numeric) }));
  return (
    <div>
      <div className="toolbar">
        <input placeholder="按名称或代码筛选" value={text} onChange={(e) => setText(e.target.value)} aria-label="筛选县级单位" />
        <select value={level} onChange={(e) => setLevel(e.target.value as RiskLevel | '')} aria-label="风险等级筛选">
          <option value="">全部等级</option>
          {(['HIGH', 'MEDIUM', 'LOW'] as const).map((l) => (
            <option key={l} value={l}>
              {LEVEL_LABEL[l]}
            </option>
          ))}
        </select>
        <span className="muted" data-testid="row-count">
          显示 {rows.length} / {counties.length}
        </span>
      </div>
      <div className="scroll">
        <table data-testid="county-table">
          <thead>
            <tr>
              {COLUMNS.map((c) => (
                <th key={c.key} className={c.numeric ? 'num' : undefined} aria-sort={sort.key === c.key ? (sort.desc ? 'descending' : 'ascending') : undefined}>
                  <button onClick={() => toggle(c.key)}>
                    {c.label}
                    {c.key === 'newConfirmed' && perCapita ? '（每10万）' : ''}
                    {sort.key === c.key ? (sort.desc ? ' ▼' : ' ▲') : ''}
                  </button>
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {rows.length === 0 && (
              <tr>
                <td colSpan={COLUMNS.length} className="state">
                  没有符合条件的县级单位
                </td>
              </tr>
            )}
            {rows.map((c) => (
              <tr
                key={c.code}
                data-code={c.code}
                className={[live.has(c.code) ? 'live' : '', c.code === picked ? 'picked' : ''].join(' ').trim() || undefined}
                onClick={() => onPick(c)}
              >
                <td>
                  {c.name} <span className="muted">{c.code}</span>
                </td>
                <td className="wrap">
                  {c.parent?.name} <span className="muted">{c.province.name}</span>
                </td>
                <td>
                  <span className={`level ${c.risk.level}`} data-testid="level">
                    {LEVEL_LABEL[c.risk.level]}
                  </span>
                </td>
                <td className="num">{perCapita ? c.caseSummary.newConfirmedPer100k.toFixed(2) : c.caseSummary.newConfirmed}</td>
                <td className="num">{c.caseSummary.activeConfirmed}</td>
                <td className="num">{c.caseSummary.cumulativeConfirmed}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}
