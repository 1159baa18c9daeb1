import { addDays, daysBetween, isIsoDate, trailingWindow } from '../../src/risk/dates';

describe('isIsoDate', () => {
  it.each(['2026-11-25', '2024-02-29', '0001-01-01', '9999-12-31'])('accepts %p', (value) => {
    expect(isIsoDate(value)).toBe(true);
  });

  it.each(['2026-02-29', '2026-02-30', '2026-13-01', '2026-1-5', '2026-11-25T00:00:00Z', ' 2026-11-25', '', 20261125, null])(
    'rejects %p',
    (value) => {
      expect(isIsoDate(value)).toBe(false);
    },
  );
});

describe('addDays', () => {
  it.each([
    ['2026-11-25', -13, '2026-11-12'],
    ['2026-02-28', 1, '2026-03-01'],
    ['2024-02-28', 1, '2024-02-29'],
    ['2026-12-31', 1, '2027-01-01'],
    ['2026-03-29', 1, '2026-03-30'], // a European DST change: still one day
    ['2026-11-25', 0, '2026-11-25'],
  ])('%s + %i = %s', (date, n, expected) => {
    expect(addDays(date, n)).toBe(expected);
  });

  it('does not depend on the process time zone', () => {
    const tz = process.env.TZ;
    try {
      for (const zone of ['Asia/Shanghai', 'America/Los_Angeles', 'Pacific/Kiritimati']) {
        process.env.TZ = zone;
        expect(addDays('2026-11-25', -13)).toBe('2026-11-12');
      }
    } finally {
      process.env.TZ = tz;
    }
  });

  it('throws on a bad date or a fractional count', () => {
    expect(() => addDays('2026-11-31', 1)).toThrow(`addDays: expected a 'YYYY-MM-DD' calendar date, got "2026-11-31"`);
    expect(() => addDays('2026-11-25', 0.5)).toThrow('addDays: expected a whole number of days, got 0.5');
    expect(() => addDays('9999-12-31', 1)).toThrow(/within years 0000-9999/);
  });
});

describe('daysBetween', () => {
  it('counts whole days from the first date to the second', () => {
    expect(daysBetween('2026-11-11', '2026-11-25')).toBe(14);
    expect(daysBetween('2026-11-25', '2026-11-11')).toBe(-14);
    expect(daysBetween('2024-02-01', '2024-03-01')).toBe(29);
    expect(daysBetween('2026-11-25', '2026-11-25')).toBe(0);
  });

  it('throws on a bad date', () => {
    expect(() => daysBetween('2026-11-25', 'tomorrow')).toThrow('daysBetween: expected');
  });
});

describe('trailingWindow', () => {
  it('ends on the given day and counts it', () => {
    expect(trailingWindow('2026-11-25', 14)).toEqual({ start: '2026-11-12', end: '2026-11-25' });
    expect(trailingWindow('2026-11-25', 1)).toEqual({ start: '2026-11-25', end: '2026-11-25' });
  });

  it('throws on fewer than one day', () => {
    expect(() => trailingWindow('2026-11-25', 0)).toThrow('trailingWindow: expected at least 1 day, got 0');
  });
});
