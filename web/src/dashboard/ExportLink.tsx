import { useState } from 'react';
import { addDays } from '../api';

/**
 * Downloads GET /export/daily.csv for the 60 days up to `asOf`. The endpoint wants the GOV key in the
 * Authorization header, which a plain link cannot send: fetch it, then save the body as a file.
 */
export function ExportLink({ govKey, asOf }: { govKey: string; asOf: string }) {
  const [state, setState] = useState<string | null>(null);
  const href = `/export/daily.csv?from=${addDays(asOf, -59)}&to=${asOf}`;
  const download = async (e: React.MouseEvent) => {
    e.preventDefault();
    setState('下载中…');
    try {
      const res = await fetch(href, { headers: { authorization: `Bearer ${govKey}` } });
      if (!res.ok) throw new Error(`${res.status} ${(await res.text()).slice(0, 200)}`);
      const url = URL.createObjectURL(await res.blob());
      const a = Object.assign(document.createElement('a'), { href: url, download: `daily-${asOf}.csv` });
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
        下载每日数据 CSV
      </a>
      {state && <span className="muted"> {state}</span>}
    </span>
  );
}
