import { Loader } from '../../datasources/loader';

/** A loader over numbers whose batches are recorded and held until `release` (to catch them running). */
function recordingLoader(fail: (n: number) => Error | null = () => null) {
  const batches: number[][] = [];
  let release: () => void = () => undefined;
  let held = Promise.resolve();
  const loader = new Loader<number, string | Error>(
    async (keys) => {
      batches.push([...keys]);
      await held;
      return keys.map((n) => fail(n) ?? `v${n}`);
    },
    (n) => String(n),
  );
  return {
    loader,
    batches,
    hold: () => {
      held = new Promise((r) => (release = r));
    },
    release: () => release(),
  };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('Loader.loadAll', () => {
  it('answers in key order with one batch of the distinct new keys', async () => {
    const { loader, batches } = recordingLoader();
    expect(await loader.loadAll([3, 1, 3, 2])).toEqual(['v3', 'v1', 'v3', 'v2']);
    expect(batches).toEqual([[3, 1, 2]]);
  });

  it('waits for the running batch of keys asked again instead of sending them again', async () => {
    const { loader, batches, hold, release } = recordingLoader();
    hold();
    const first = loader.loadAll([1, 2, 3]);
    await tick(); // the batch is running, held
    expect(batches).toEqual([[1, 2, 3]]);
    const again = loader.loadAll([3, 2, 1, 4]);
    await tick();
    // only the new key went to a batch of its own
    expect(batches).toEqual([[1, 2, 3], [4]]);
    release();
    expect(await again).toEqual(['v3', 'v2', 'v1', 'v4']);
    expect(await first).toEqual(['v1', 'v2', 'v3']);
    // settled now: read, no batch
    expect(await loader.loadAll([2, 4])).toEqual(['v2', 'v4']);
    expect(loader.peek(4)).toBe('v4');
    expect(batches).toHaveLength(2);
  });

  it('rejects when the batch fails a key alone, whether that key was new, running or settled', async () => {
    const { loader, hold, release } = recordingLoader((n) => (n === 2 ? new Error('no 2') : null));
    await expect(loader.loadAll([1, 2])).rejects.toThrow('no 2');
    hold();
    const running = loader.loadAll([5, 6]);
    await tick();
    const waiting = loader.loadAll([6, 2]);
    release();
    await expect(waiting).rejects.toThrow('no 2');
    expect(await running).toEqual(['v5', 'v6']);
    await expect(loader.load(2)).rejects.toThrow('no 2');
  });

  it('rejects every caller of a batch that fails whole', async () => {
    let calls = 0;
    const loader = new Loader<number, number>(async () => {
      calls++;
      await tick();
      throw new Error('database gone');
    }, String);
    const first = loader.loadAll([1, 2]);
    await Promise.resolve();
    await tick();
    const second = loader.loadAll([2, 1]);
    await expect(first).rejects.toThrow('database gone');
    await expect(second).rejects.toThrow('database gone');
    expect(calls).toBe(1);
  });

  it('loads a key again after its batch failed whole, and loads key by key with batching off', async () => {
    let failNext = true;
    const batches: number[][] = [];
    const loader = new Loader<number, string>(
      async (keys) => {
        batches.push([...keys]);
        if (failNext) {
          failNext = false;
          throw new Error('timeout');
        }
        return keys.map((n) => `v${n}`);
      },
      String,
      { batch: false },
    );
    await expect(loader.loadAll([1])).rejects.toThrow('timeout');
    expect(await loader.loadAll([1, 2])).toEqual(['v1', 'v2']);
    expect(batches).toEqual([[1], [1], [2]]);
    expect(loader.get(2)).toBe('v2');
  });
});
