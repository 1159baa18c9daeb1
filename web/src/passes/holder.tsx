import { useEffect, useMemo, useRef, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { Provider, useMutation } from 'urql';
import QRCode from 'qrcode';
import { IssuePassDocument, type IssuePassMutation } from '../gql/graphql';
import { describeError, makeApi } from '../api';
import { PASS_COLOR, PASS_LABEL } from '../levels';
import { PageHeader } from '../PageHeader';
import '../style.css';

type Pass = NonNullable<IssuePassMutation['issuePass']['pass']>;

/** Self-service (no key): name + ID number → one's 畅行码, as a QR code in its colour with reason and validity. */
function HolderPage() {
  const [name, setName] = useState('');
  const [idNumber, setIdNumber] = useState('');
  const [result, issue] = useMutation(IssuePassDocument);
  const payload = result.data?.issuePass;
  return (
    <>
      <PageHeader title="畅行码 · 领取" />
      <main>
        <div className="card">
          <form
            className="stack"
            onSubmit={(e) => {
              e.preventDefault();
              void issue({ name: name.trim(), idNumber: idNumber.trim() });
            }}
          >
            <label>
              姓名 <input value={name} onChange={(e) => setName(e.target.value)} required data-testid="name" />
            </label>
            <label>
              身份证号 <input value={idNumber} onChange={(e) => setIdNumber(e.target.value)} required maxLength={18} data-testid="id-number" />
            </label>
            <button type="submit" disabled={result.fetching} data-testid="issue">
              {result.fetching ? '正在生成…' : '生成畅行码'}
            </button>
          </form>
          <p className="muted">身份证号只用于核对，服务器仅保存其加密散列。</p>
        </div>
        {result.error && (
          <div className="card state error" data-testid="error">
            {describeError(result.error)}
          </div>
        )}
        {payload && payload.userErrors.length > 0 && (
          <div className="card state error" data-testid="error">
            {payload.userErrors.map((e) => e.message).join('；')}
          </div>
        )}
        {payload?.pass && <PassCard pass={payload.pass} name={name} />}
      </main>
    </>
  );
}

function PassCard({ pass, name }: { pass: Pass; name: string }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const color = PASS_COLOR[pass.color];
  useEffect(() => {
    void QRCode.toCanvas(canvas.current!, pass.token, { width: 220, margin: 1, color: { dark: color, light: '#ffffff' } });
  }, [pass.token, color]);
  const until = useMemo(() => new Date(pass.validUntil).toLocaleString('zh-CN', { timeZone: 'Asia/Shanghai' }), [pass.validUntil]);
  return (
    <div className="card">
      <div className="pass" style={{ background: color }} data-testid="pass" data-color={pass.color}>
        <div style={{ fontSize: 20, marginBottom: 8 }}>
          {name} · {PASS_LABEL[pass.color]}
        </div>
        <canvas ref={canvas} data-testid="qr" />
        <div style={{ marginTop: 8 }}>有效期至 {until}</div>
      </div>
      <p data-testid="reason">{pass.reason}</p>
      <details>
        <summary className="muted">令牌（供合作方核验）</summary>
        <textarea readOnly value={pass.token} rows={4} style={{ width: '100%' }} data-testid="token" />
      </details>
    </div>
  );
}

const api = makeApi(null);
createRoot(document.getElementById('root')!).render(
  <Provider value={api.client}>
    <HolderPage />
  </Provider>,
);
