import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { Provider, useClient, useQuery } from 'urql';
import { CheckPassesDocument, type CheckPassesQuery } from '../gql/graphql';
import { describeError, makeApi } from '../api';
import { PASS_COLOR, PASS_LABEL } from '../levels';
import { PageHeader } from '../PageHeader';
import { createQrDetector, openCamera, type QrDetector } from './scanner';
import { validUntilWords } from './validity';
import '../style.css';

type Check = NonNullable<CheckPassesQuery['checkPasses']>[number];

const STATUS_LABEL: Record<string, string> = { VALID: '有效', INVALID: '无效', EXPIRED: '已过期', REVOKED: '已撤销' };
/** The PARTNER key lives in sessionStorage only: gone when the tab closes. */
const KEY_STORAGE = 'changxing.partnerKey';
/** Frames examined per second while scanning: enough for a queue, light on a phone's battery. */
const SCAN_INTERVAL_MS = 150;
/** In continuous mode the same code is not checked again while it stays in view (this long). */
const SAME_CODE_PAUSE_MS = 4000;

/**
 * Partners check couriers' and drivers' passes: by scanning the QR code with the device camera
 * (one at a time, or continuously for a queue), or by pasting tokens (batch). Both send the
 * manifest's CheckPasses with the PARTNER key, and show colour, validity and the masked name.
 */
function PartnerPage() {
  const [key, setKey] = useState(() => sessionStorage.getItem(KEY_STORAGE) ?? '');
  const [text, setText] = useState('');
  const [submitted, setSubmitted] = useState<string[] | null>(null);
  const trimmed = key.trim();
  const api = useMemo(() => makeApi(trimmed || null), [trimmed]);
  useEffect(() => {
    if (trimmed) sessionStorage.setItem(KEY_STORAGE, trimmed);
    else sessionStorage.removeItem(KEY_STORAGE);
  }, [trimmed]);
  return (
    <>
      <PageHeader title="畅行码 · 合作方核验" />
      <main className="partner">
        <form className="card" onSubmit={(e) => e.preventDefault()}>
          <label className="key">
            PARTNER 密钥 <input type="password" value={key} onChange={(e) => setKey(e.target.value)} required autoComplete="off" placeholder="仅保存在本标签页" data-testid="partner-key" />
          </label>
        </form>
        <Provider value={api.client}>
          <Scanner enabled={trimmed.length > 0} />
          <div className="card">
            <h2>批量核验：粘贴令牌</h2>
            <form
              className="stack"
              onSubmit={(e) => {
                e.preventDefault();
                setSubmitted(text.split(/\s+/).filter(Boolean));
              }}
            >
              <label>
                令牌（每行一个，最多 1000 个）
                <textarea rows={6} value={text} onChange={(e) => setText(e.target.value)} required data-testid="tokens" />
              </label>
              <button type="submit" data-testid="check">
                核验
              </button>
            </form>
          </div>
          {submitted && <Results key={submitted.join('\n') + trimmed} tokens={submitted} />}
        </Provider>
      </main>
    </>
  );
}

/**
 * The camera scanner. Single mode stops at the first code and shows its check; continuous mode
 * keeps scanning and lists every check, newest first, so that a queue of couriers can pass one by
 * one in front of the camera.
 */
function Scanner({ enabled }: { enabled: boolean }) {
  const client = useClient();
  const video = useRef<HTMLVideoElement>(null);
  const [running, setRunning] = useState(false);
  const [continuous, setContinuous] = useState(false);
  const [detector, setDetector] = useState<QrDetector['kind'] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [current, setCurrent] = useState<{ check: Check; at: Date } | null>(null);
  const [history, setHistory] = useState<{ check: Check; at: Date }[]>([]);
  const stop = useRef<() => void>(() => undefined);
  const mode = useRef(continuous);
  mode.current = continuous;

  const check = useCallback(
    async (token: string) => {
      const result = await client.query(CheckPassesDocument, { tokens: [token] }, { requestPolicy: 'network-only' }).toPromise();
      if (result.error) return setError(describeError(result.error));
      const answer = result.data?.checkPasses?.[0];
      if (!answer) return;
      const entry = { check: answer, at: new Date() };
      setError(null);
      setCurrent(entry);
      setHistory((list) => [entry, ...list].slice(0, 50));
      navigator.vibrate?.(answer.status === 'VALID' && answer.color === 'GREEN' ? 80 : [80, 60, 80]);
    },
    [client],
  );

  const start = async () => {
    setError(null);
    setCurrent(null);
    setHistory([]); // one list per run of the queue
    let stream: MediaStream;
    let found: QrDetector;
    try {
      [stream, found] = await Promise.all([openCamera(), createQrDetector()]);
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
      return;
    }
    setDetector(found.kind);
    const el = video.current!;
    el.srcObject = stream;
    await el.play().catch(() => undefined);
    setRunning(true);
    let active = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let last = { token: '', at: 0 };
    const halt = () => {
      active = false;
      clearTimeout(timer);
      for (const track of stream.getTracks()) track.stop();
      el.srcObject = null;
      setRunning(false);
    };
    stop.current = halt;
    const tick = async () => {
      if (!active) return;
      if (el.readyState >= el.HAVE_CURRENT_DATA) {
        const [token] = await found.detect(el).catch(() => []);
        const now = Date.now();
        if (token && active && !(token === last.token && now - last.at < SAME_CODE_PAUSE_MS)) {
          last = { token, at: now };
          if (!mode.current) halt();
          await check(token);
        } else if (token) last.at = now; // still in view: keep it paused
      }
      if (active) timer = setTimeout(() => void tick(), SCAN_INTERVAL_MS);
    };
    void tick();
  };
  useEffect(() => () => stop.current(), []);

  return (
    <div className="card scanner" data-testid="scanner" data-running={running} data-detector={detector ?? ''}>
      <h2>扫码核验</h2>
      <div className="toolbar">
        {running ? (
          <button className="primary" onClick={() => stop.current()} data-testid="scan-stop">
            停止扫码
          </button>
        ) : (
          <button className="primary" onClick={() => void start()} disabled={!enabled} data-testid="scan-start">
            {current ? '再扫一个' : '开始扫码'}
          </button>
        )}
        <label>
          <input type="checkbox" checked={continuous} onChange={(e) => setContinuous(e.target.checked)} data-testid="continuous" />
          连续扫码（排队核验）
        </label>
        {!enabled && <span className="muted">先填写 PARTNER 密钥</span>}
        {detector && <span className="muted">识别：{detector === 'native' ? '浏览器内置' : 'ZXing（WebAssembly）'}</span>}
      </div>
      <video ref={video} playsInline muted className={running ? 'camera' : 'camera hidden'} data-testid="camera" />
      {error && (
        <div className="state error" data-testid="scan-error">
          {error}
        </div>
      )}
      {current && <BigResult check={current.check} at={current.at} />}
      {continuous && history.length > 0 && (
        <table data-testid="scan-history">
          <thead>
            <tr>
              <th>时间</th>
              <th>颜色</th>
              <th>姓名</th>
              <th>状态</th>
            </tr>
          </thead>
          <tbody>
            {history.map((h, i) => (
              <tr key={history.length - i} data-color={h.check.color ?? ''}>
                <td>{h.at.toLocaleTimeString('zh-CN', { timeZone: 'Asia/Shanghai', hour12: false })}</td>
                <td>{h.check.color ? <span className="level" style={{ background: PASS_COLOR[h.check.color] }}>{PASS_LABEL[h.check.color]}</span> : '—'}</td>
                <td>{h.check.holderName ?? '—'}</td>
                <td>{STATUS_LABEL[h.check.status] ?? h.check.status}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

/** One check, readable at arm's length: the colour fills the panel, word, masked name and validity in large type. */
function BigResult({ check, at }: { check: Check; at: Date }) {
  const valid = check.status === 'VALID' && check.color;
  return (
    <div
      className="big-result"
      data-testid="scan-result"
      data-color={check.color ?? ''}
      data-status={check.status}
      style={{ background: valid ? PASS_COLOR[check.color!] : '#5f6368' }}
    >
      <div className="big-colour">{valid ? PASS_LABEL[check.color!] : STATUS_LABEL[check.status]}</div>
      <div className="big-name" data-testid="scan-name">
        {check.holderName ?? '—'}
      </div>
      <div className="big-status">
        {STATUS_LABEL[check.status] ?? check.status}
        {check.validUntil ? ` · 有效至 ${validUntilWords(check.validUntil)}` : ''}
      </div>
      <div className="big-time">核验于 {at.toLocaleTimeString('zh-CN', { timeZone: 'Asia/Shanghai', hour12: false })}</div>
    </div>
  );
}

function Results({ tokens }: { tokens: string[] }) {
  const [{ data, fetching, error }] = useQuery({ query: CheckPassesDocument, variables: { tokens } });
  if (fetching && !data) return <div className="card state">核验中…</div>;
  if (error)
    return (
      <div className="card state error" data-testid="error">
        {describeError(error)}
      </div>
    );
  const checks = data?.checkPasses ?? [];
  if (checks.length === 0) return <div className="card state">没有令牌</div>;
  return (
    <div className="card">
      <div className="scroll">
        <table data-testid="checks">
          <thead>
            <tr>
              <th>#</th>
              <th>颜色</th>
              <th>姓名</th>
              <th>状态</th>
              <th>有效期至</th>
            </tr>
          </thead>
          <tbody>
            {checks.map((c, i) => (
              <tr key={i} data-color={c.color ?? ''}>
                <td>{i + 1}</td>
                <td>{c.color ? <span className="level" style={{ background: PASS_COLOR[c.color] }}>{PASS_LABEL[c.color]}</span> : '—'}</td>
                <td>{c.holderName ?? '—'}</td>
                <td>{STATUS_LABEL[c.status] ?? c.status}</td>
                <td>{c.validUntil ? validUntilWords(c.validUntil) : '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}

createRoot(document.getElementById('root')!).render(<PartnerPage />);
