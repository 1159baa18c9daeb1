import { ExecutionSlices } from '../../src/limits/slices';

/**
 * Execution in slices (src/limits/slices.ts): work that goes through `pace` runs at most a slice per
 * turn of the event loop, and what the loop has to do meanwhile (a socket read, a timer) runs between.
 */
function busy(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // a field's work
  }
}

/**
 * `width` lists of `width` fields, each costing `fieldMs`, built through `pace` as graphql-js builds
 * an answer: a list let go at once is completed on the spot (its fields' work done before the next
 * list is even resolved); one that waits is completed when a later slice lets it go. (An `await` on
 * every list, as this helper once had, resolved all the lists before any work and left the slice
 * count to chance.)
 */
function build(slices: ExecutionSlices, width: number, fieldMs: number): Promise<number[][]> {
  const range = () => Array.from({ length: width }, (_, i) => i);
  const then = <T, R>(value: unknown, next: (v: T) => R): R | Promise<R> =>
    value instanceof Promise ? value.then((v: T) => next(v)) : next(value as T);
  const list = (i: number) =>
    then(slices.pace(range()), (items: number[]) =>
      items.map((j) => {
        busy(fieldMs);
        return i * width + j;
      }),
    );
  return Promise.resolve(then(slices.pace(range()), (lists: number[]) => Promise.all(lists.map(list))));
}

describe('execution slices', () => {
  it('give values back at once while the slice lasts', () => {
    const slices = new ExecutionSlices(1000);
    for (let i = 0; i < 100; i++) expect(slices.pace(i)).toBe(i);
    expect(slices.spentSlices).toBe(0);
  });

  it('let the loop turn between slices: a timer due meanwhile runs before the answer is done, and the answer is whole', async () => {
    const slices = new ExecutionSlices(2);
    let timerRanAt: number | null = null;
    let doneAt: number | null = null;
    let turns = 0;
    // "a pass check arrives": a callback the loop must get to while the tree is built
    setTimeout(() => (timerRanAt = turns), 1);
    const ticker = setInterval(() => turns++, 0);
    const tree = build(slices, 40, 0.05).then((t) => {
      doneAt = turns;
      return t;
    });
    const result = await tree;
    clearInterval(ticker);
    expect(result).toEqual(Array.from({ length: 40 }, (_, i) => Array.from({ length: 40 }, (_, j) => i * 40 + j)));
    expect(slices.spentSlices).toBeGreaterThan(1);
    expect(timerRanAt).not.toBeNull();
    expect(timerRanAt!).toBeLessThan(doneAt!);
    expect(slices.waitingCount).toBe(0);
  });

  it('without slices the same work runs in one go: the timer waits for the whole answer', async () => {
    let timerRan = false;
    setTimeout(() => (timerRan = true), 1);
    const unpaced = { pace: (v: unknown) => v } as unknown as ExecutionSlices;
    await build(unpaced, 40, 0.05);
    expect(timerRan).toBe(false);
  });

  it('hold: no waiting field goes while held; released, the answer is finished and whole', async () => {
    const slices = new ExecutionSlices(1);
    const release = slices.hold();
    let done = false;
    const tree = build(slices, 40, 0.05).then((t) => ((done = true), t));
    // many turns of the loop: without the hold the answer would be done long before
    for (let i = 0; i < 50; i++) await new Promise((r) => setImmediate(r));
    expect([done, slices.waitingCount > 0]).toEqual([false, true]);
    release();
    release(); // a second call changes nothing
    expect(await tree).toEqual(Array.from({ length: 40 }, (_, i) => Array.from({ length: 40 }, (_, j) => i * 40 + j)));
    expect(slices.waitingCount).toBe(0);
  });
});
