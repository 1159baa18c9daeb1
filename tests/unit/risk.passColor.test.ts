import { passColor } from '../../src/risk/passColor';

const asOf = '2026-11-25';
const none = { cases: [], contacts: [], stays: [] };
const stay = (date: string, level: 'LOW' | 'MEDIUM' | 'HIGH') => ({ regionName: '武昌区', days: [{ date, level }] });

describe('pass colour (DESIGN §1)', () => {
  it.each([
    ['GREEN: nothing on record', none, 'GREEN'],
    ['RED: an active confirmed case', { ...none, cases: [{ status: 'CONFIRMED', reportedOn: '2026-11-19' }] }, 'RED'],
    ['RED: an active asymptomatic infection', { ...none, cases: [{ status: 'ASYMPTOMATIC', reportedOn: '2026-11-19' }] }, 'RED'],
    ['RED: a suspected case', { ...none, cases: [{ status: 'SUSPECTED', reportedOn: '2026-11-24' }] }, 'RED'],
    ['GREEN: a recovered case only', { ...none, cases: [{ status: 'RECOVERED', reportedOn: '2026-10-01' }] }, 'GREEN'],
    ['ORANGE: exposed 5 days ago', { ...none, contacts: [{ exposureDate: '2026-11-20' }] }, 'ORANGE'],
    ['ORANGE: exposed 13 days ago (inside the 14-day window)', { ...none, contacts: [{ exposureDate: '2026-11-12' }] }, 'ORANGE'],
    ['GREEN: exposed 14 days ago (outside)', { ...none, contacts: [{ exposureDate: '2026-11-11' }] }, 'GREEN'],
    ['YELLOW: a stay 3 days ago in a county rated HIGH that day', { ...none, stays: [stay('2026-11-22', 'HIGH')] }, 'YELLOW'],
    ['YELLOW: a stay in a county rated MEDIUM that day', { ...none, stays: [stay('2026-11-22', 'MEDIUM')] }, 'YELLOW'],
    ['GREEN: a stay in a LOW county', { ...none, stays: [stay('2026-11-22', 'LOW')] }, 'GREEN'],
    ['GREEN: a HIGH stay 14 days ago (outside)', { ...none, stays: [stay('2026-11-11', 'HIGH')] }, 'GREEN'],
    [
      'RED wins over ORANGE and YELLOW',
      { cases: [{ status: 'CONFIRMED', reportedOn: '2026-11-19' }], contacts: [{ exposureDate: '2026-11-20' }], stays: [stay('2026-11-22', 'HIGH')] },
      'RED',
    ],
    ['ORANGE wins over YELLOW', { ...none, contacts: [{ exposureDate: '2026-11-20' }], stays: [stay('2026-11-22', 'HIGH')] }, 'ORANGE'],
  ])('%s', (_, inputs, expected) => {
    const verdict = passColor({ asOf, ...inputs });
    expect(verdict.color).toBe(expected);
    expect(verdict.reason.length).toBeGreaterThan(0);
  });

  it('names the day and the county in a YELLOW reason', () => {
    expect(passColor({ asOf, ...none, stays: [stay('2026-11-22', 'HIGH')] }).reason).toBe('2026-11-22在武昌区停留（当日高风险地区），未满14天。');
  });
});
