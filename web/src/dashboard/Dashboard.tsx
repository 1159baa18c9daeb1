import { useEffect, useMemo, useState } from 'react';
import { Provider, useClient, useQuery } from 'urql';
import { DashboardCountiesDocument, DashboardRiskLevelChangedDocument, type RiskLevel } from '../gql/graphql';
import { describeError, makeApi, todayCst } from '../api';
import { LEVEL_LABEL } from '../levels';
import { PageHeader } from '../PageHeader';
import { areasOf, atRiskShare, countLevels, inScope, type Area, type County, type Scope } from './model';
import { CountyMap } from './CountyMap';
import { LevelBar, PageHatchPatterns } from './LevelGraphics';
import { DailyChart } from './DailyChart';
import { CountyTable } from './CountyTable';
import { ImportRiskPanel } from './ImportRiskPanel';
import { ExportLink } from './ExportLink';

/** The GOV key lives in sessionStorage only: gone when the tab closes, never sent anywhere but /graphql. */
const KEY_STORAGE = 'changxing.govKey';
const REFRESH_MS = 60_000;

export function Dashboard() {
  const [key, setKey] = useState(() => sessionStorage.getItem(KEY_STORAGE) ?? '');
  const [socket, setSocket] = useState<'connected' | 'closed' | null>(null);
  const api = useMemo(() => makeApi(key || null, setSocket), [key]);
  useEffect(() => () => api.dispose(), [api]);
  const saveKey = (value: string) => {
    const trimmed = value.trim();
    if (trimmed) sessionStorage.setItem(KEY_STORAGE, trimmed);
    else sessionStorage.removeItem(KEY_STORAGE);
    setSocket(null);
    setKey(trimmed);
  };
  return (
    <Provider value={api.client}>
      <Board govKey={key} onKey={saveKey} socket={socket} />
    </Provider>
  );
}

function Board({ govKey, onKey, socket }: { govKey: string; onKey(key: string): void; socket: 'connected' | 'closed' | null }) {
  const [asOf, setAsOf] = useState(todayCst);
  const [perCapita, setPerCapita] = useState(false);
  const [scope, setScope] = useState<Scope>({ province: null, city: null });
  const [picked, setPicked] = useState<County | null>(null);
  const [{ data, fetching, error }, refetch] = useQuery({ query: DashboardCountiesDocument, variables: { asOf } });
  // Without a GOV key there is no subscription: today's map is asked for again every minute instead
  // (answered from the server's response cache until the case data changes).
  useEffect(() => {
    if (govKey || asOf !== todayCst()) return;
    const timer = setInterval(() => refetch({ requestPolicy: 'network-only' }), REFRESH_MS);
    return () => clearInterval(timer);
  }, [govKey, asOf, refetch]);
  const live = useLiveLevels(govKey, asOf, data?.counties.nodes, socket);

  const counties = useMemo(
    () => (data?.counties.nodes ?? []).map((c) => (live.levels.has(c.code) ? { ...c, risk: { ...c.risk, level: live.levels.get(c.code)! } } : c)),
    [data, live.levels],
  );
  const scoped = useMemo(() => inScope(counties, scope), [counties, scope]);
  const provinces = useMemo(() => areasOf(counties, 'province'), [counties]);
  const cities = useMemo(() => (scope.province ? areasOf(scoped, 'parent') : []), [scope.province, scoped]);
  const counts = useMemo(() => countLevels(scoped), [scoped]);
  const focus = picked ?? scope.city ?? scope.province;

  const drill = (next: Scope) => {
    setScope(next);
    setPicked(null);
  };
  const pickProvince = (a: Area) => drill({ province: { code: a.code, name: a.name }, city: null });
  // A county clicked on the map: one level down towards it (country → its province → its city), and picked.
  const pickOnMap = (c: County) => {
    if (scope.province?.code !== c.province.code) setScope({ province: c.province, city: null });
    else if (!scope.city && c.parent) setScope({ province: scope.province, city: c.parent });
    else if (scope.city && scope.city.code !== c.parent?.code && c.parent) setScope({ province: scope.province, city: c.parent });
    setPicked(c);
  };

  return (
    <>
      <PageHeader title="畅行 · 全国县级风险地图">
        <label>
          日期
          <input type="date" value={asOf} max={todayCst()} onChange={(e) => e.target.value && setAsOf(e.target.value)} data-testid="as-of" />
        </label>
        <label>
          <input type="checkbox" checked={perCapita} onChange={(e) => setPerCapita(e.target.checked)} data-testid="per-capita" />
          每10万人
        </label>
        <KeyField value={govKey} onChange={onKey} />
        {govKey && <ExportLink govKey={govKey} asOf={asOf} parentCode={scope.city?.code ?? scope.province?.code ?? null} />}
        <span className="muted" style={{ color: '#cfe3ff' }} data-testid="live-state">
          {live.state}
        </span>
      </PageHeader>
      <main>
        <PageHatchPatterns />
        {error && !data && (
          <div className="card state error" data-testid="error">
            无法加载数据：{describeError(error)}
          </div>
        )}
        {fetching && !data && (
          <div className="card state" data-testid="loading">
            正在加载全国县级数据…
          </div>
        )}
        {data && (
          <>
            <div className="card">
              <nav className="crumbs" data-testid="crumbs">
                <button onClick={() => drill({ province: null, city: null })}>全国</button>
                {scope.province && (
                  <>
                    <span className="sep">›</span>
                    <button onClick={() => drill({ province: scope.province, city: null })}>{scope.province.name}</button>
                  </>
                )}
                {scope.city && (
                  <>
                    <span className="sep">›</span>
                    <span>{scope.city.name}</span>
                  </>
                )}
                <span className="muted" style={{ marginLeft: 16 }} data-testid="counts" data-as-of={asOf}>
                  共 {scoped.length} 个县级单位：高风险 {counts.HIGH} · 中风险 {counts.MEDIUM} · 低风险 {counts.LOW}
                  {fetching ? ' · 更新中…' : ''}
                </span>
              </nav>
              <div className="distribution" data-testid="distribution">
                <LevelBar counts={counts} width={260} height={12} />
                <span>
                  中、高风险县级单位的常住人口占{scope.city?.name ?? scope.province?.name ?? '全国'}的 <strong>{(atRiskShare(scoped) * 100).toFixed(1)}%</strong>
                </span>
              </div>
              <div className="chips" data-testid="drill">
                {(scope.province ? (scope.city ? [] : cities) : provinces).map((a) => (
                  <button
                    key={a.code}
                    data-code={a.code}
                    title={`高风险 ${a.counts.HIGH} · 中风险 ${a.counts.MEDIUM} · 低风险 ${a.counts.LOW}；中、高风险人口占 ${(a.atRiskShare * 100).toFixed(1)}%`}
                    onClick={() => (scope.province ? drill({ ...scope, city: { code: a.code, name: a.name } }) : pickProvince(a))}
                  >
                    {a.name} <LevelBar counts={a.counts} width={48} height={8} compact />
                  </button>
                ))}
              </div>
            </div>
            <div className="grid">
              <div>
                <div className="card">
                  <h2>
                    {scope.city?.name ?? scope.province?.name ?? '全国'} · 县级单位{perCapita ? '14天每10万人新增确诊' : '风险等级'}（点击县级单位逐级下钻）
                  </h2>
                  <CountyMap counties={counties} scope={scope} picked={picked?.code ?? null} perCapita={perCapita} onPick={pickOnMap} />
                </div>
                <div className="card">
                  <h2>县级单位（点击查看每日新增）</h2>
                  {scoped.length === 0 ? (
                    <div className="state" data-testid="empty">
                      此范围内没有县级单位
                    </div>
                  ) : (
                    <CountyTable counties={scoped} perCapita={perCapita} live={live.changed} picked={picked?.code ?? null} onPick={setPicked} />
                  )}
                </div>
              </div>
              <div>
                <div className="card">
                  <DailyChart code={focus?.code ?? null} name={focus?.name ?? '全国'} asOf={asOf} perCapita={perCapita} />
                </div>
                <div className="card">
                  <h2>输入风险（模型预测，不影响风险等级）</h2>
                  <ImportRiskPanel
                    scope={scope.city ?? scope.province}
                    county={picked}
                    nationalTotal={counties.length}
                    asOf={asOf}
                    hasKey={Boolean(govKey)}
                    onPick={(code) => {
                      const c = counties.find((x) => x.code === code);
                      if (c) setPicked(c);
                    }}
                  />
                </div>
                {live.events.length > 0 && (
                  <div className="card" data-testid="live-events">
                    <h2>实时变化</h2>
                    <ul>
                      {live.events.map((e, i) => (
                        <li key={i}>
                          {e}
                        </li>
                      ))}
                    </ul>
                  </div>
                )}
              </div>
            </div>
          </>
        )}
      </main>
    </>
  );
}

function KeyField({ value, onChange }: { value: string; onChange(v: string): void }) {
  const [draft, setDraft] = useState(value);
  return (
    <form
      onSubmit={(e) => {
        e.preventDefault();
        onChange(draft);
      }}
    >
      <label>
        GOV 密钥
        <input type="password" value={draft} onChange={(e) => setDraft(e.target.value)} placeholder="仅保存在本标签页" autoComplete="off" data-testid="gov-key" />
        <button type="submit">使用</button>
      </label>
    </form>
  );
}

/**
 * With a GOV key and today's date, subscribes to level changes of every province's counties and
 * keeps the new levels until the date changes; the table row flashes and a line is added.
 */
function useLiveLevels(govKey: string, asOf: string, counties: readonly County[] | undefined, socket: 'connected' | 'closed' | null) {
  const client = useClient();
  const [levels, setLevels] = useState<ReadonlyMap<string, RiskLevel>>(new Map());
  const [events, setEvents] = useState<string[]>([]);
  const [state, setState] = useState('');
  const provinceCodes = useMemo(() => [...new Set((counties ?? []).map((c) => c.province.code))].sort(), [counties]);
  const isToday = asOf === todayCst();
  useEffect(() => {
    setLevels(new Map());
    setEvents([]);
  }, [asOf, govKey]);
  useEffect(() => {
    if (!govKey || !isToday || provinceCodes.length === 0) {
      setState(govKey && !isToday ? '实时更新仅适用于今天' : '');
      return;
    }
    setState('实时更新连接中…');
    const { unsubscribe } = client.subscription(DashboardRiskLevelChangedDocument, { regionCodes: provinceCodes }).subscribe((result) => {
      if (result.error) return setState(`实时更新中断：${describeError(result.error)}`);
      const change = result.data?.riskLevelChanged;
      if (!change) return;
      setLevels((m) => new Map(m).set(change.region.code, change.level));
      setEvents((list) => [`${change.asOf} ${change.region.name}：${LEVEL_LABEL[change.previousLevel]} → ${LEVEL_LABEL[change.level]}`, ...list].slice(0, 20));
    });
    return unsubscribe;
  }, [client, govKey, isToday, provinceCodes]);
  const shown = state === '实时更新连接中…' && socket ? (socket === 'connected' ? '实时更新已连接' : '实时更新已断开，正在重连…') : state;
  return { levels, events, state: shown, changed: useMemo(() => new Set(levels.keys()), [levels]) };
}
