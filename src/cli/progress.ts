/**
 * Progress of a long command: a bar redrawn in place on a terminal, plain periodic lines
 * otherwise (CI logs, pipes), so logs stay readable.
 */
export function progressReporter(stream: NodeJS.WriteStream = process.stderr, intervalMs = 2000) {
  const tty = stream.isTTY === true;
  let lastPhase = '';
  let lastLine = 0;
  return (p: { phase: string; done: number; total: number }) => {
    const pct = p.total > 0 ? Math.min(100, Math.floor((p.done / p.total) * 100)) : 100;
    if (tty) {
      const width = 30;
      const filled = Math.round((pct / 100) * width);
      stream.write(`\r${p.phase.padEnd(24).slice(0, 24)} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${String(pct).padStart(3)}% ${p.done}/${p.total}`);
      if (p.phase !== lastPhase && lastPhase !== '') stream.write('\n');
    } else {
      const now = Date.now();
      if (p.phase !== lastPhase || now - lastLine >= intervalMs || p.done >= p.total) {
        stream.write(`${p.phase}: ${p.done}/${p.total} (${pct}%)\n`);
        lastLine = now;
      }
    }
    lastPhase = p.phase;
  };
}
