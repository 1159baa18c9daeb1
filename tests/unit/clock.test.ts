import { cstDaysCovered, todayCst } from '../../src/clock';

describe('todayCst', () => {
  it('turns the day at 16:00 UTC (midnight in UTC+8)', () => {
    expect(todayCst(new Date('2026-11-25T15:59:59.999Z'))).toBe('2026-11-25');
    expect(todayCst(new Date('2026-11-25T16:00:00.000Z'))).toBe('2026-11-26');
    expect(todayCst(new Date('2024-02-28T16:00:00.000Z'))).toBe('2024-02-29');
    expect(todayCst(new Date('2026-12-31T16:00:00.000Z'))).toBe('2027-01-01');
  });

  it("agrees with Intl's Asia/Shanghai calendar every ~hour from 1992 to 2040", () => {
    const intl = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit' });
    const mismatches: string[] = [];
    for (let ms = Date.UTC(1992, 0, 1); ms < Date.UTC(2040, 0, 1); ms += 3_599_917) {
      const at = new Date(ms);
      if (intl.format(at) !== todayCst(at)) mismatches.push(at.toISOString());
    }
    expect(mismatches).toEqual([]);
  });
});

describe('cstDaysCovered', () => {
  it('lists every CST day a stay touches, oldest first', () => {
    expect(cstDaysCovered(new Date('2026-11-20T14:00:00Z'), new Date('2026-11-21T18:00:00Z'))).toEqual(['2026-11-20', '2026-11-21', '2026-11-22']);
    expect(cstDaysCovered(new Date('2026-11-20T00:00:00Z'), new Date('2026-11-20T05:00:00Z'))).toEqual(['2026-11-20']);
  });
});
