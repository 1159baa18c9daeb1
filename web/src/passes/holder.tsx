import { useCallback, useEffect, useRef, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { Provider, useClient } from 'urql';
import QRCode from 'qrcode';
import { HolderPassDocument, IssuePassDocument, type PassColor } from '../gql/graphql';
import { describeError, makeApi } from '../api';
import { PASS_COLOR, PASS_LABEL, PASS_MEANING } from '../levels';
import { PageHeader } from '../PageHeader';
import { isExpired, validUntilWords } from './validity';
import '../style.css';

interface Pass {
  token: string;
  color: PassColor;
  reason: string;
  validUntil: string;
}

/** While the page is open and visible, the pass is refreshed this often (and when the page comes back into view). */
const REFRESH_MS = 5 * 60_000;
const NEUTRAL = '#f5f6f8';

/**
 * Self-service (no key), laid out for a phone: name + ID number → one's 畅行码. The page takes the
 * pass's colour, the QR code fills the width, validity and the reason are in words. A refresh asks
 * holderPass for today's colour under the same token — the QR code shown at a gate stays the same —
 * and issues a new pass only when this one has expired (a new day). Name and ID number stay in
 * this page's memory only.
 */
function HolderPage() {
  const client = useClient();
  const [name, setName] = useState('');
  const [idNumber, setIdNumber] = useState('');
  const [holder, setHolder] = useState<{ name: string; idNumber: string } | null>(null);
  const [pass, setPass] = useState<Pass | null>(null);
  const [checkedAt, setCheckedAt] = useState<Date | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const issue = useCallback(
    async (who: { name: string; idNumber: string }): Promise<Pass | null> => {
      const result = await client.mutation(IssuePassDocument, who).toPromise();
      if (result.error) return void setError(describeError(result.error)), null;
      const payload = result.data!.issuePass;
      if (payload.userErrors.length > 0) return void setError(payload.userErrors.map((e) => e.message).join('；')), null;
      return payload.pass!;
    },
    [client],
  );

  const submit = async () => {
    const who = { name: name.trim(), idNumber: idNumber.trim() };
    setBusy(true);
    setError(null);
    setNotice(null);
    const issued = await issue(who);
    setBusy(false);
    if (!issued) return;
    setHolder(who);
    setPass(issued);
    setCheckedAt(new Date());
    // The pass is shown to others at a gate: the ID number must not stay on the screen below it.
    setName('');
    setIdNumber('');
  };

  const refresh = useCallback(async () => {
    if (!holder || !pass) return;
    setBusy(true);
    setError(null);
    const result = await client.query(HolderPassDocument, { token: pass.token, ...holder }, { requestPolicy: 'network-only' }).toPromise();
    setBusy(false);
    if (result.error) return setError(describeError(result.error));
    const payload = result.data!.holderPass;
    if (payload.userErrors.length > 0) return setError(payload.userErrors.map((e) => e.message).join('；'));
    if (payload.status === 'VALID') {
      const now = payload.pass!;
      setNotice(now.color !== pass.color ? `颜色已由${PASS_LABEL[pass.color]}变为${PASS_LABEL[now.color]}。` : null);
      setPass(now);
    } else if (payload.status === 'EXPIRED') {
      const issued = await issue(holder);
      if (issued) {
        setPass(issued);
        setNotice('昨天的畅行码已过期，已换成今天的新码。');
      }
    } else {
      setNotice('这个码已失效：您在别处领取了新码。需要在本机出示时，请重新领取。');
      setPass(null);
    }
    setCheckedAt(new Date());
  }, [client, holder, pass, issue]);

  // Refresh on a timer and whenever the page comes back into view (a phone taken out of a pocket).
  const latest = useRef(refresh);
  latest.current = refresh;
  useEffect(() => {
    if (!holder) return;
    const timer = setInterval(() => document.visibilityState === 'visible' && void latest.current(), REFRESH_MS);
    const onShow = () => document.visibilityState === 'visible' && void latest.current();
    document.addEventListener('visibilitychange', onShow);
    return () => {
      clearInterval(timer);
      document.removeEventListener('visibilitychange', onShow);
    };
  }, [holder]);

  // The page's colour is the pass's colour (and the phone's browser bar with it).
  useEffect(() => {
    const color = pass ? PASS_COLOR[pass.color] : NEUTRAL;
    document.body.style.backgroundColor = color;
    document.querySelector('meta[name=theme-color]')?.setAttribute('content', color);
  }, [pass]);

  return (
    <>
      <PageHeader title="畅行码" />
      <main className="holder">
        {notice && (
          <div className="card notice" data-testid="notice">
            {notice}
          </div>
        )}
        {error && (
          <div className="card state error" data-testid="error">
            {error}
          </div>
        )}
        {pass && holder && <PassCard pass={pass} name={holder.name} checkedAt={checkedAt} busy={busy} onRefresh={() => void refresh()} />}
        <div className="card">
          <h2>{pass ? '为其他人领取，或重新领取' : '领取畅行码'}</h2>
          <form
            className="stack"
            onSubmit={(e) => {
              e.preventDefault();
              void submit();
            }}
          >
            <label>
              姓名 <input value={name} onChange={(e) => setName(e.target.value)} required autoComplete="name" data-testid="name" />
            </label>
            <label>
              身份证号 <input value={idNumber} onChange={(e) => setIdNumber(e.target.value)} required maxLength={18} inputMode="text" autoComplete="off" data-testid="id-number" />
            </label>
            <button type="submit" className="primary" disabled={busy} data-testid="issue">
              {busy ? '正在处理…' : '生成畅行码'}
            </button>
          </form>
          <p className="muted">身份证号只用于核对，服务器仅保存其加密散列；本页不在手机上保存姓名和身份证号。</p>
        </div>
      </main>
    </>
  );
}

function PassCard({ pass, name, checkedAt, busy, onRefresh }: { pass: Pass; name: string; checkedAt: Date | null; busy: boolean; onRefresh(): void }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  // Dark modules on white whatever the colour: a yellow code on white is hard for scanners to read.
  useEffect(() => {
    void QRCode.toCanvas(canvas.current!, pass.token, { width: 720, margin: 2, errorCorrectionLevel: 'M', color: { dark: '#111111', light: '#ffffff' } });
  }, [pass.token]);
  const validity = isExpired(pass.validUntil) ? '已过期：请刷新，领取今天的新码' : `有效至 ${validUntilWords(pass.validUntil)}`;
  return (
    <section className="pass" data-testid="pass" data-color={pass.color} data-token={pass.token}>
      <div className="pass-label" data-testid="pass-label">{PASS_LABEL[pass.color]}</div>
      <div className="pass-name">{name}</div>
      <canvas ref={canvas} data-testid="qr" />
      <div className="pass-validity" data-testid="validity">
        {validity}
      </div>
      <p className="pass-meaning">{PASS_MEANING[pass.color]}</p>
      <p className="pass-reason" data-testid="reason">
        {pass.reason}
      </p>
      <div className="pass-refresh">
        <span data-testid="checked-at">{checkedAt ? `更新于 ${checkedAt.toLocaleTimeString('zh-CN', { timeZone: 'Asia/Shanghai', hour12: false })}` : ''}</span>
        <button onClick={onRefresh} disabled={busy} data-testid="refresh">
          {busy ? '刷新中…' : '刷新'}
        </button>
      </div>
      <details>
        <summary>令牌（供合作方核验）</summary>
        <textarea readOnly value={pass.token} rows={4} data-testid="token" />
      </details>
    </section>
  );
}

const api = makeApi(null);
createRoot(document.getElementById('root')!).render(
  <Provider value={api.client}>
    <HolderPage />
  </Provider>,
);
