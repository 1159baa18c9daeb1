import { useMemo, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { Provider, useQuery } from 'urql';
import { CheckPassesDocument } from '../gql/graphql';
import { describeError, makeApi } from '../api';
import { PASS_COLOR, PASS_LABEL } from '../levels';
import { PageHeader } from '../PageHeader';
import '../style.css';

const STATUS_LABEL: Record<string, string> = { VALID: '有效', INVALID: '无效', EXPIRED: '已过期', REVOKED: '已撤销' };

/** Partners paste tokens (one a line) and see colour, validity and the masked name, with their PARTNER key. */
function PartnerPage() {
  const [key, setKey] = useState('');
  const [text, setText] = useState('');
  const [submitted, setSubmitted] = useState<{ key: string; tokens: string[] } | null>(null);
  const api = useMemo(() => makeApi(submitted?.key || null), [submitted?.key]);
  return (
    <>
      <PageHeader title="畅行码 · 合作方核验" />
      <main>
        <div className="card">
          <form
            className="stack"
            onSubmit={(e) => {
              e.preventDefault();
              setSubmitted({ key: key.trim(), tokens: text.split(/\s+/).filter(Boolean) });
            }}
          >
            <label>
              PARTNER 密钥 <input type="password" value={key} onChange={(e) => setKey(e.target.value)} required autoComplete="off" data-testid="partner-key" />
            </label>
            <label>
              令牌（每行一个，最多 1000 个）
              <textarea rows={6} value={text} onChange={(e) => setText(e.target.value)} required data-testid="tokens" />
            </label>
            <button type="submit" data-testid="check">
              核验
            </button>
          </form>
        </div>
        {submitted && (
          <Provider value={api.client}>
            <Results tokens={submitted.tokens} />
          </Provider>
        )}
      </main>
    </>
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
              <td>{c.validUntil ? new Date(c.validUntil).toLocaleString('zh-CN', { timeZone: 'Asia/Shanghai' }) : '—'}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

createRoot(document.getElementById('root')!).render(<PartnerPage />);
