import { Writable } from 'node:stream';
import { isInteractive, progressReporter, timedProgress } from '../../src/cli/progress';

/** A stream that keeps what is written, and says whether it is a terminal. */
function capture(isTTY: boolean) {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      chunks.push(String(chunk));
      done();
    },
  }) as unknown as NodeJS.WriteStream & { columns: number };
  Object.assign(stream, { isTTY, columns: 120, cursorTo: () => true, clearLine: () => true, moveCursor: () => true });
  return { stream, text: () => chunks.join('') };
}

describe('progress of long commands', () => {
  it('draws bars only on a terminal outside CI', () => {
    expect(isInteractive(capture(true).stream, {})).toBe(true);
    expect(isInteractive(capture(true).stream, { CI: 'true' })).toBe(false);
    expect(isInteractive(capture(true).stream, { CI: '0' })).toBe(true);
    expect(isInteractive(capture(false).stream, {})).toBe(false);
  });

  it('writes plain lines when not on a terminal: at the start of a phase, at most every interval, and once at its end', () => {
    const out = capture(false);
    const progress = progressReporter({ stream: out.stream, intervalMs: 60_000, env: {} });
    for (let done = 0; done <= 1000; done += 10) progress({ phase: 'load cases', done, total: 1000 });
    progress({ phase: 'load cases', done: 1000, total: 1000 });
    progress({ phase: 'load flows', done: 5, total: 50 });
    progress.stop();
    expect(out.text()).toBe('load cases: 0/1000 (0%)\nload cases: 1000/1000 (100%)\nload flows: 5/50 (10%)\n');
  });

  it('writes plain lines in CI even on a terminal', () => {
    const out = capture(true);
    const progress = progressReporter({ stream: out.stream, env: { CI: 'true' } });
    progress({ phase: 'replay days', done: 1, total: 2 });
    expect(out.text()).toBe('replay days: 1/2 (50%)\n');
  });

  it('draws a bar per phase on a terminal and ends it when the phase completes', () => {
    const out = capture(true);
    const progress = progressReporter({ stream: out.stream, env: {} });
    progress({ phase: 'load region', done: 0, total: 10 });
    progress({ phase: 'load region', done: 10, total: 10 });
    progress.stop();
    expect(out.text()).toContain('load region');
    expect(out.text()).toContain('100% 10/10');
  });

  it('counts the seconds of a timed phase and ends it when the work settles', async () => {
    const out = capture(false);
    const progress = progressReporter({ stream: out.stream, intervalMs: 0, env: {} });
    await expect(timedProgress(progress, 'W1', 3, async () => 42)).resolves.toBe(42);
    expect(out.text()).toBe('W1: 0/3 (0%)\nW1: 3/3 (100%)\n');
  });
});
