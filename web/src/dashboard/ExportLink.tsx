import { useState } from 'react';
import { addDays } from '../api';

/**
 * Downloads GET /export/daily.csv (docs/api.md, "Bulk export"): the counties of the drill-down scope, the 30
 * days up to `asOf`, with a byte order mark so that Excel reads the Chinese names. The endpoint wants
 * the GOV key in the Authorization header, which a plain link cannot send: fetch, then save the body.
 */
export function ExportLink({ govKey, asOf, parentCode }: { govKey: string; asOf: string; parentCode: string | null }) {
  const [state, setState] = useState<string | null>(null);
  const query = new URLSearchParams({ from: addDays(asOf, -29), to: asOf, level: 'COUNTY', bom: 'true', ...(parentCode ? { parentCode } : {}) });
  const href = `/export/daily.csv?${query}`;
  const download = async (e: React.MouseEvent) => {
    e.preventDefault();
    setState('下载中…');
    try {
      const res = await fetch(href, { headers: { authorization: `Bearer ${govKey}` } });
      if (!res.ok) {
        const body = (await res.json().catch(() => null)) as { errors?: { message: string }[] } | null;
        throw new Error(body?.errors?.[0]?.message ?? `HTTP ${res.status}`);
      }
      const url = URL.createObjectURL(await res.blob());
      const a = Object.assign(document.createElement('a'), { href: url, download: `daily-${parentCode ?? 'china'}-${asOf}.csv` });
      a.click();
      URL.revokeObjectURL(url);
      setState(null);
    } catch (err) {
      setState(`下载失败：${(err as Error).message}`);
    }
  };
  return (
    <span>
      <a href={href} onClick={download} data-testid="export">
        下载每日数据（CSV）
      </a>
      {state && <span className="muted"> {state}</span>}
    </span>
  );
}
