import { activeCasesOn, type DailyCaseCounts } from '../../src/risk/activeCases';

function day(date: string, newConfirmed: number, newAsymptomatic = 0): DailyCaseCounts {
  return { date, newConfirmed, newAsymptomatic };
}

// Days without a report (11-02..11-09, 11-11..11-14) count as zero.
const SERIES = [
  day('2026-11-01', 5, 1), //  15 days before 11-16: outside a 14-day window ending then
  day('2026-11-02', 0, 0),
  day('2026-11-03', 4, 2), //  13 days before 11-16: inside
  day('2026-11-10', 3, 0),
  day('2026-11-15', 1, 1),
  day('2026-11-16', 2, 0),
  day('2026-11-17', 9, 9), //  after 11-16: ignored for 11-16
];

describe('activeCasesOn', () => {
  it('sums new confirmed and asymptomatic over the 14 days ending on the date inclusive', () => {
    // 11-03..11-16: (4+2) + 3 + (1+1) + 2 = 13
    expect(activeCasesOn(SERIES, '2026-11-16')).toBe(13);
  });

  it('counts a report 13 days before the date, not one 14 days before', () => {
    expect(activeCasesOn(SERIES, '2026-11-14')).toBe(5 + 1 + 4 + 2 + 3); // 11-01..11-14
    expect(activeCasesOn(SERIES, '2026-11-15')).toBe(4 + 2 + 3 + 1 + 1); // 11-02..11-15
  });

  it('takes a shorter infectious period', () => {
    expect(activeCasesOn(SERIES, '2026-11-16', 2)).toBe(1 + 1 + 2);
    expect(activeCasesOn(SERIES, '2026-11-16', 1)).toBe(2);
  });

  it('gives 0 before the first report and for an empty series', () => {
    expect(activeCasesOn(SERIES, '2026-10-31')).toBe(0);
    expect(activeCasesOn([], '2026-11-16')).toBe(0);
  });

  it('throws on an unsorted series or two reports for one day', () => {
    expect(() => activeCasesOn([day('2026-11-02', 1), day('2026-11-01', 1)], '2026-11-02')).toThrow(
      'activeCasesOn: series[1].date: expected a date after series[0].date 2026-11-02 (sorted, one per day), got "2026-11-01"',
    );
    expect(() => activeCasesOn([day('2026-11-01', 1), day('2026-11-01', 2)], '2026-11-02')).toThrow(/series\[1\]\.date/);
  });

  it('throws on negative counts, bad dates and a bad period', () => {
    expect(() => activeCasesOn([day('2026-11-01', -1)], '2026-11-02')).toThrow('series[0].newConfirmed: expected a whole number ≥ 0, got -1');
    expect(() => activeCasesOn([day('2026-11-01', 1, 0.5)], '2026-11-02')).toThrow('series[0].newAsymptomatic');
    expect(() => activeCasesOn(SERIES, '2026-11-31')).toThrow(`activeCasesOn: date: expected a 'YYYY-MM-DD' calendar date`);
    expect(() => activeCasesOn(SERIES, '2026-11-16', 0)).toThrow('infectiousDays: expected a whole number ≥ 1, got 0');
  });
});
