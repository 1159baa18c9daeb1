import { StatementShare } from '../../src/db/statementShare';
import { RequestLane, DeadlineExceeded } from '../../src/db/lane';
import type { Pools } from '../../src/db/pools';

/** A statement that runs until `finish()`: what the share holds or lets through is then exact. */
function pending() {
  const started: string[] = [];
  const finishers = new Map<string, () => void>();
  const statement = (name: string) => () => {
    started.push(name);
    return new Promise<string>((resolve) => finishers.set(name, () => resolve(name)));
  };
  const finish = async (name: string) => {
    finishers.get(name)!();
    // the share starts the next one when the finished one's promise settles
    await new Promise((r) => setImmediate(r));
  };
  return { started, statement, finish };
}

const late = () => new Error('late');

describe('StatementShare', () => {
  it('lets every statement through at once while no pass check is being served', async () => {
    const share = new StatementShare(1);
    const { started, statement, finish } = pending();
    const all = ['a', 'b', 'c'].map((n) => share.run('public', statement(n), 10_000, late));
    expect(started).toEqual(['a', 'b', 'c']);
    expect(share.inFlight('public')).toEqual({ running: 3, waiting: 0 });
    for (const n of ['a', 'b', 'c']) await finish(n);
    await expect(Promise.all(all)).resolves.toEqual(['a', 'b', 'c']);
    expect(share.waited).toBe(0);
  });

  it('holds the expensive statements to its width, in turn, while pass checks are served', async () => {
    const share = new StatementShare(1);
    share.notePassCheck();
    const { started, statement, finish } = pending();
    const a = share.run('public', statement('a'), 10_000, late);
    const b = share.run('public', statement('b'), 10_000, late);
    const c = share.run('public', statement('c'), 10_000, late);
    expect(started).toEqual(['a']);
    expect(share.inFlight('public')).toEqual({ running: 1, waiting: 2 });
    await finish('a');
    expect(started).toEqual(['a', 'b']);
    await finish('b');
    expect(started).toEqual(['a', 'b', 'c']);
    await finish('c');
    await expect(Promise.all([a, b, c])).resolves.toEqual(['a', 'b', 'c']);
    expect(share.waited).toBe(2);
    expect(share.inFlight('public')).toEqual({ running: 0, waiting: 0 });
  });

  it('counts statements already running when pass checks start: a second waits for them', async () => {
    let now = 0;
    const share = new StatementShare(2, () => now);
    const { started, statement, finish } = pending();
    for (const n of ['a', 'b', 'c']) void share.run('public', statement(n), 10_000, late);
    share.notePassCheck();
    void share.run('public', statement('d'), 10_000, late);
    expect(started).toEqual(['a', 'b', 'c']);
    await finish('a');
    expect(started).toEqual(['a', 'b', 'c']); // b and c still hold the width of 2
    await finish('b');
    expect(started).toEqual(['a', 'b', 'c', 'd']);
    // a second later with no pass check, nothing is held
    now = 2_000;
    void share.run('public', statement('e'), 10_000, late);
    expect(started).toEqual(['a', 'b', 'c', 'd', 'e']);
  });

  it('holds at all times where pass checks are served by dedicated instances (PASS_CHECKS=elsewhere)', async () => {
    const share = new StatementShare(1, undefined, true);
    const { started, statement, finish } = pending();
    void share.run('public', statement('a'), 10_000, late);
    void share.run('public', statement('b'), 10_000, late);
    expect(started).toEqual(['a']);
    await finish('a');
    expect(started).toEqual(['a', 'b']);
  });

  it('refuses a waiting statement when its wait runs out, and never sends it', async () => {
    jest.useFakeTimers();
    try {
      const share = new StatementShare(1);
      share.notePassCheck();
      const { started, statement } = pending();
      void share.run('public', statement('a'), 10_000, late);
      const b = share.run('public', statement('b'), 50, late);
      const refused = expect(b).rejects.toThrow('late');
      jest.advanceTimersByTime(60);
      await refused;
      expect(share.inFlight('public')).toEqual({ running: 1, waiting: 0 });
      expect(started).toEqual(['a']);
    } finally {
      jest.useRealTimers();
    }
  });

  it('releases its slot when a statement fails', async () => {
    const share = new StatementShare(1);
    share.notePassCheck();
    const failing = () => Promise.reject(new Error('boom'));
    await expect(share.run('public', failing, 1_000, late)).rejects.toThrow('boom');
    const thrown = () => {
      throw new Error('sync');
    };
    await expect(share.run('public', thrown, 1_000, late)).rejects.toThrow('sync');
    expect(share.inFlight('public')).toEqual({ running: 0, waiting: 0 });
    await expect(share.run('public', async () => 'ok', 1_000, late)).resolves.toBe('ok');
  });
});

describe('RequestLane with a StatementShare', () => {
  function lanePools(started: string[], finishers: (() => void)[]) {
    const pool = {
      options: {},
      query: (text: string) => {
        started.push(text);
        return new Promise((resolve) => finishers.push(() => resolve({ rows: [] })));
      },
      connect: async () => ({}),
    };
    const make = () => ({ region: pool, cases: pool, mobility: pool, access: pool }) as unknown as Pools;
    const all = make();
    all.classes = { pass: make(), self: make(), official: make(), public: make() };
    return all;
  }

  it('a pass check starts the holding; each expensive class takes turns in its own line, self-service does not wait', async () => {
    const started: string[] = [];
    const finishers: (() => void)[] = [];
    const pools = lanePools(started, finishers);
    const share = new StatementShare(1);
    const lane = (requestClass: 'pass' | 'self' | 'official' | 'public') => {
      const l = new RequestLane(pools, () => undefined, Date.now, share);
      l.enter(requestClass, 10_000);
      return l.view();
    };
    void lane('public').cases.query('public-1'); // no pass check yet: sent
    lane('pass'); // its statements go through a shared batch, not the lane: entering is what counts
    void lane('pass').access.query('pass-1');
    void lane('public').cases.query('public-2'); // waits: public-1 holds public's line
    void lane('official').cases.query('official-1'); // its own line: sent
    void lane('official').cases.query('official-2'); // waits behind official-1
    void lane('self').cases.query('self-1'); // not held
    void lane('pass').access.query('pass-2'); // never held
    expect(started).toEqual(['public-1', 'pass-1', 'official-1', 'self-1', 'pass-2']);
    finishers[0](); // public-1 ends
    await new Promise((r) => setImmediate(r));
    expect(started).toEqual(['public-1', 'pass-1', 'official-1', 'self-1', 'pass-2', 'public-2']);
    finishers[2](); // official-1 ends
    await new Promise((r) => setImmediate(r));
    expect(started.at(-1)).toBe('official-2');
  });

  it('a statement that waits past its request deadline fails as the deadline does, and is counted once', async () => {
    const started: string[] = [];
    const finishers: (() => void)[] = [];
    const pools = lanePools(started, finishers);
    const share = new StatementShare(1);
    share.notePassCheck();
    const deadlines: unknown[] = [];
    const first = new RequestLane(pools, () => undefined, Date.now, share);
    first.enter('public', 10_000);
    void first.view().cases.query('long');
    const second = new RequestLane(pools, (c) => deadlines.push(c), Date.now, share);
    second.enter('public', 30);
    const view = second.view();
    await expect(view.cases.query('waits')).rejects.toBeInstanceOf(DeadlineExceeded);
    await expect(view.region.query('after')).rejects.toBeInstanceOf(DeadlineExceeded);
    expect(deadlines).toEqual(['public']);
    expect(started).toEqual(['long']);
  });
});
