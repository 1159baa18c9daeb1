import { publicCallerOf } from '../../src/auth/caller';

describe('the PUBLIC caller of an address', () => {
  it.each([
    ['198.51.100.7', '198.51.100.7'],
    ['::ffff:198.51.100.7', '198.51.100.7'], // a dual-stack socket's form of an IPv4 caller
    ['2001:db8:1:2::1', '2001:db8:1:2::/64'],
    ['2001:db8:1:2:ffff:ffff:ffff:ffff', '2001:db8:1:2::/64'],
    ['2001:0DB8:0001:0002:0000:0000:0000:0001', '2001:db8:1:2::/64'], // spelled long, in capitals
    ['2001:db8:1:3::1', '2001:db8:1:3::/64'],
    ['::1', '0:0:0:0::/64'],
    ['unknown', 'unknown'],
  ])('%s counts as %s', (address, caller) => {
    expect(publicCallerOf(address)).toBe(caller);
  });

  it('is one caller for every address of a /64, and another for the next /64', () => {
    const callers = new Set(['2001:db8:a:b::1', '2001:db8:a:b:1::', '2001:db8:a:b:dead:beef:0:1'].map(publicCallerOf));
    expect(callers.size).toBe(1);
    expect(publicCallerOf('2001:db8:a:c::1')).not.toBe([...callers][0]);
  });
});
