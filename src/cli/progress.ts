import cliProgress from 'cli-progress';

/**
 * Progress of long commands (seed, backtest, bench, export): the one place that decides how it is
 * shown. On an interactive terminal, a bar redrawn in place (cli-progress) per phase; otherwise
 * (output piped or redirected, or CI=true) plain lines — at a phase's start, at most every
 * `intervalMs`, and at its end — so that logs stay readable and small.
 */
export interface ProgressUpdate {
  phase: string;
  done: number;
  /** May be an estimate; `done >= total` ends the phase. */
  total: number;
}

export interface ProgressReporter {
  (update: ProgressUpdate): void;
  /** Ends the current phase's bar (restores the line); call once the command is done or failed. */
  stop(): void;
}

export interface ProgressOptions {
  stream?: NodeJS.WriteStream;
  /** Plain mode: at most one line per phase this often (ms). */
  intervalMs?: number;
  /** Environment read for CI (tests pass their own). */
  env?: NodeJS.ProcessEnv;
}

/** Bars only where a person watches: a TTY, and not CI (whose log viewers show every redraw as a line). */
export function isInteractive(stream: NodeJS.WriteStream, env: NodeJS.ProcessEnv = process.env): boolean {
  return stream.isTTY === true && !isTrue(env.CI);
}

const isTrue = (v: string | undefined) => v !== undefined && !['', '0', 'false', 'no'].includes(v.toLowerCase());

export function progressReporter(options: ProgressOptions | NodeJS.WriteStream = {}, intervalMs?: number): ProgressReporter {
  // (stream, intervalMs): the original signature, kept for existing callers.
  const opts: ProgressOptions = 'write' in options ? { stream: options, intervalMs } : options;
  const stream = opts.stream ?? process.stderr;
  return isInteractive(stream, opts.env) ? barReporter(stream) : lineReporter(stream, opts.intervalMs ?? 2000);
}

function percent({ done, total }: ProgressUpdate): number {
  return total > 0 ? Math.min(100, Math.floor((done / total) * 100)) : 100;
}

function lineReporter(stream: NodeJS.WriteStream, intervalMs: number): ProgressReporter {
  let phase: string | null = null;
  let lastLine = 0;
  let ended = false;
  const report = (p: ProgressUpdate) => {
    const now = Date.now();
    const finished = p.done >= p.total;
    if (p.phase !== phase) ended = false;
    if (p.phase !== phase || (finished && !ended) || now - lastLine >= intervalMs) {
      stream.write(`${p.phase}: ${p.done}/${p.total} (${percent(p)}%)\n`);
      lastLine = now;
      ended = finished;
    }
    phase = p.phase;
  };
  return Object.assign(report, { stop: () => undefined });
}

function barReporter(stream: NodeJS.WriteStream): ProgressReporter {
  let bar: cliProgress.SingleBar | null = null;
  let phase: string | null = null;
  const stop = () => {
    bar?.stop();
    bar = null;
  };
  const report = (p: ProgressUpdate) => {
    if (p.phase !== phase || !bar) {
      stop();
      phase = p.phase;
      bar = new cliProgress.SingleBar(
        {
          stream,
          format: `${p.phase.padEnd(26).slice(0, 26)} [{bar}] {percentage}% {value}/{total} eta {eta_formatted}`,
          barsize: 30,
          hideCursor: false,
          // a bar left running would keep the process alive (it redraws on a timer)
          gracefulExit: true,
        },
        cliProgress.Presets.legacy,
      );
      bar.start(Math.max(p.total, 0), Math.min(p.done, p.total));
    } else {
      bar.setTotal(Math.max(p.total, 0));
      bar.update(Math.min(p.done, p.total));
    }
    // A phase that reaches its total ends its bar: callers that never call stop() still finish cleanly.
    if (p.done >= p.total) stop();
  };
  return Object.assign(report, { stop });
}

/**
 * Shows a phase that runs for a known time (a bench workload of N seconds) as seconds elapsed:
 * ticks once a second until `run` settles.
 */
export async function timedProgress<T>(progress: ProgressReporter, phase: string, seconds: number, run: () => Promise<T>): Promise<T> {
  const started = Date.now();
  const total = Math.max(1, Math.round(seconds));
  progress({ phase, done: 0, total });
  const timer = setInterval(() => progress({ phase, done: Math.min(total - 1, Math.floor((Date.now() - started) / 1000)), total }), 1000);
  try {
    return await run();
  } finally {
    clearInterval(timer);
    progress({ phase, done: total, total });
  }
}
