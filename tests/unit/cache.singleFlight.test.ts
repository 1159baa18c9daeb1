import { SingleFlight, type Turn } from '../../src/cache/singleFlight';

const far = () => Date.now() + 60_000;
const by = (caller: string | null, options: { deadlineAt?: number; expiresAt?: number; callerLimit?: number } = {}) => ({
  caller,
  callerLimit: options.callerLimit ?? 100,
  deadlineAt: options.deadlineAt ?? far(),
  expiresAt: options.expiresAt ?? far(),
});

async function leadOf<T>(turn: Promise<Turn<T>>): Promise<Extract<Turn<T>, { kind: 'lead' }>> {
  const t = await turn;
  if (t.kind !== 'lead') throw new Error(`expected to lead, got ${t.kind}`);
  return t;
}

describe('SingleFlight', () => {
  it('lets the first request of a key compute and the others wait for its value; other keys compute their own', async () => {
    const flights = new SingleFlight<string>({ maxKeys: 10, maxWaitersPerKey: 10 });
    const lead = await leadOf(flights.turn('map', by('a')));
    const waiters = [flights.turn('map', by('b')), flights.turn('map', by('c')), flights.turn('map', by(null))];
    expect((await flights.turn('drilldown', by('b'))).kind).toBe('lead');
    expect(flights.snapshot()).toEqual({ computing: 2, waiting: 3 });
    lead.settle('the map');
    expect(await Promise.all(waiters)).toEqual(Array(3).fill({ kind: 'shared', value: 'the map' }));
    expect(flights.snapshot()).toEqual({ computing: 1, waiting: 0 });
    // settled: the next request of the key computes again (the cache answers it meanwhile)
    expect((await flights.turn('map', by('a'))).kind).toBe('lead');
  });

  it('when the leader gives up, the first waiter computes and the others wait for it', async () => {
    const flights = new SingleFlight<string>({ maxKeys: 10, maxWaitersPerKey: 10 });
    const first = await leadOf(flights.turn('map', by('a')));
    const second = flights.turn('map', by('b'));
    const third = flights.turn('map', by('c'));
    first.abandon();
    const next = await leadOf(second);
    expect(flights.snapshot()).toEqual({ computing: 1, waiting: 1 });
    next.settle('computed by b');
    expect(await third).toEqual({ kind: 'shared', value: 'computed by b' });
    // a late settle of the first leader changes nothing
    first.settle('late');
    expect(flights.snapshot()).toEqual({ computing: 0, waiting: 0 });
  });

  it('answers a waiter its deadline when it passes first, and forgets it', async () => {
    const flights = new SingleFlight<string>({ maxKeys: 10, maxWaitersPerKey: 1 });
    const lead = await leadOf(flights.turn('map', by('a')));
    expect(await flights.turn('map', by('b', { deadlineAt: Date.now() + 5 }))).toEqual({ kind: 'deadline' });
    expect(flights.snapshot()).toEqual({ computing: 1, waiting: 0 });
    // its place is free again
    const later = flights.turn('map', by('c'));
    lead.settle('the map');
    expect(await later).toEqual({ kind: 'shared', value: 'the map' });
  });

  it('bounds the waiters of a key, the keys in flight and the waiters of one caller: over a bound a request computes alone', async () => {
    const flights = new SingleFlight<string>({ maxKeys: 2, maxWaitersPerKey: 2 });
    const map = await leadOf(flights.turn('map', by('a')));
    const waiting = [flights.turn('map', by('b', { callerLimit: 1 })), flights.turn('map', by('c'))];
    expect(await flights.turn('map', by('d'))).toEqual({ kind: 'alone', bound: 'waiters' });
    const other = await leadOf(flights.turn('other', by('a')));
    expect(await flights.turn('third', by('a'))).toEqual({ kind: 'alone', bound: 'keys' });
    // b already waits once, its limit
    expect(await flights.turn('other', by('b', { callerLimit: 1 }))).toEqual({ kind: 'alone', bound: 'caller' });
    expect(flights.snapshot()).toEqual({ computing: 2, waiting: 2 });
    map.settle('m');
    other.settle('o');
    await Promise.all(waiting);
    expect(flights.snapshot()).toEqual({ computing: 0, waiting: 0 });
    // with its waiting over, b may wait again
    const again = await leadOf(flights.turn('map', by('a')));
    const b = flights.turn('map', by('b', { callerLimit: 1 }));
    again.settle('m2');
    expect(await b).toEqual({ kind: 'shared', value: 'm2' });
  });

  it('takes a leader never heard of past its expiry as lost: a newcomer computes, and the waiters wait for it', async () => {
    let now = 1_000;
    const flights = new SingleFlight<string>({ maxKeys: 1, maxWaitersPerKey: 10 }, () => now);
    const lost = await leadOf(flights.turn('map', by('a', { expiresAt: 2_000, deadlineAt: Number.POSITIVE_INFINITY })));
    const waiter = flights.turn('map', by('b', { deadlineAt: Number.POSITIVE_INFINITY }));
    now = 2_000;
    const newcomer = await leadOf(flights.turn('map', by('c', { expiresAt: 5_000 })));
    expect(flights.snapshot()).toEqual({ computing: 1, waiting: 1 });
    // the lost leader's late end does not end the newcomer's flight
    lost.settle('late');
    expect(flights.snapshot()).toEqual({ computing: 1, waiting: 1 });
    newcomer.settle('fresh');
    expect(await waiter).toEqual({ kind: 'shared', value: 'fresh' });
    // an expired flight of another key makes room when the keys are at their bound
    await leadOf(flights.turn('x', by('a', { expiresAt: 6_000 })));
    now = 6_000;
    expect((await flights.turn('y', by('a'))).kind).toBe('lead');
  });

  it('is off with either bound at 0', async () => {
    for (const limits of [{ maxKeys: 0, maxWaitersPerKey: 10 }, { maxKeys: 10, maxWaitersPerKey: 0 }]) {
      const flights = new SingleFlight<string>(limits);
      expect((await flights.turn('map', by('a'))).kind).toBe('alone');
      expect((await flights.turn('map', by('b'))).kind).toBe('alone');
    }
  });
});
