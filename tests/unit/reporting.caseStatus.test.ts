import { CASE_STATUSES, checkCaseState, checkCaseTransition, NEXT_STATUSES, type CaseState, type CaseStatus } from '../../src/reporting/caseStatus';
import { checkCaseRecordFields, checkContactFields } from '../../src/reporting/validate';

/** A valid state of each status, all on the same few days. */
const STATE: Record<CaseStatus, CaseState> = {
  SUSPECTED: { status: 'SUSPECTED', reportedOn: '2026-11-01', confirmedOn: null, closedOn: null },
  ASYMPTOMATIC: { status: 'ASYMPTOMATIC', reportedOn: '2026-11-01', confirmedOn: null, closedOn: null },
  CONFIRMED: { status: 'CONFIRMED', reportedOn: '2026-11-01', confirmedOn: '2026-11-02', closedOn: null },
  RECOVERED: { status: 'RECOVERED', reportedOn: '2026-11-01', confirmedOn: '2026-11-02', closedOn: '2026-11-20' },
  DECEASED: { status: 'DECEASED', reportedOn: '2026-11-01', confirmedOn: '2026-11-02', closedOn: '2026-11-09' },
  RULED_OUT: { status: 'RULED_OUT', reportedOn: '2026-11-01', confirmedOn: null, closedOn: '2026-11-03' },
};

/** The whole table: from each status to each status, which moves are transitions. */
const ALLOWED: [CaseStatus, CaseStatus][] = [
  ['SUSPECTED', 'CONFIRMED'], ['SUSPECTED', 'ASYMPTOMATIC'], ['SUSPECTED', 'RULED_OUT'],
  ['ASYMPTOMATIC', 'CONFIRMED'], ['ASYMPTOMATIC', 'RECOVERED'],
  ['CONFIRMED', 'RECOVERED'], ['CONFIRMED', 'DECEASED'],
];

/** The next state keeps the dates already recorded (a suspected case confirmed keeps its reportedOn). */
function next(from: CaseStatus, to: CaseStatus): CaseState {
  const target = STATE[to];
  if (from === 'ASYMPTOMATIC' && to === 'RECOVERED') return { ...target, confirmedOn: null }; // released, never confirmed
  return target;
}

describe('case status transitions', () => {
  const pairs = CASE_STATUSES.flatMap((from) => CASE_STATUSES.filter((to) => to !== from).map((to) => [from, to] as const));

  it.each(pairs)('%s → %s is allowed exactly when the table says so', (from, to) => {
    const verdict = checkCaseTransition(STATE[from], next(from, to), false);
    const allowed = ALLOWED.some(([a, b]) => a === from && b === to);
    expect(verdict.ok).toBe(allowed);
    expect(NEXT_STATUSES[from].includes(to)).toBe(allowed);
    if (!verdict.ok) expect(verdict.errors.map((e) => e.field)).toContain('status');
  });

  it.each(pairs)('%s → %s is always accepted as a correction', (from, to) => {
    expect(checkCaseTransition(STATE[from], next(from, to), true)).toEqual({ ok: true, change: 'UPDATED' });
  });

  it('calls a new record CREATED and a re-sent one UNCHANGED', () => {
    for (const status of CASE_STATUSES) {
      expect(checkCaseTransition(null, STATE[status], false)).toEqual({ ok: true, change: 'CREATED' });
      expect(checkCaseTransition(STATE[status], { ...STATE[status] }, false)).toEqual({ ok: true, change: 'UNCHANGED' });
    }
  });

  it('refuses a transition that rewrites a recorded date, naming the date', () => {
    const verdict = checkCaseTransition(STATE.CONFIRMED, { ...STATE.RECOVERED, confirmedOn: '2026-11-03' }, false);
    expect(verdict).toEqual({ ok: false, errors: [expect.objectContaining({ field: 'confirmedOn', code: 'CONFLICT' })] });
  });

  it('says what a closed record can do', () => {
    const verdict = checkCaseTransition(STATE.RECOVERED, STATE.CONFIRMED, false);
    expect(verdict.ok).toBe(false);
    if (!verdict.ok) expect(verdict.errors[0].message).toMatch(/RECOVERED \(closed\), not CONFIRMED.*correction: true/);
  });
});

describe('the dates a status implies', () => {
  it.each([
    [{ ...STATE.CONFIRMED, confirmedOn: null }, 'confirmedOn'],
    [{ ...STATE.SUSPECTED, confirmedOn: '2026-11-02' }, 'confirmedOn'],
    [{ ...STATE.RECOVERED, closedOn: null }, 'closedOn'],
    [{ ...STATE.DECEASED, confirmedOn: null }, 'confirmedOn'],
    [{ ...STATE.RULED_OUT, confirmedOn: '2026-11-02' }, 'confirmedOn'],
    [{ ...STATE.CONFIRMED, confirmedOn: '2026-10-30' }, 'confirmedOn'],
    [{ ...STATE.RECOVERED, closedOn: '2026-11-01' }, 'closedOn'],
  ] as [CaseState, string][])('refuses %o at %s', (state, field) => {
    expect(checkCaseState(state).map((e) => e.field)).toContain(field);
  });

  it('accepts every state of the table', () => {
    for (const status of CASE_STATUSES) expect(checkCaseState(STATE[status])).toEqual([]);
  });
});

describe('field rules shared by the API and the seed', () => {
  const record = {
    reference: 'WH-2026-0001', name: '王红', idNumber: '420106198805120017', homeRegionCode: '420106', regionCode: '420106',
    ...STATE.CONFIRMED,
  };

  it('accept a well-formed record and contact', () => {
    expect(checkCaseRecordFields(record, '2026-12-03')).toEqual([]);
    expect(checkContactFields({ caseReference: 'WH-2026-0001', name: '李橙', idNumber: '110105199003071239', homeRegionCode: '110105', regionCode: '420106', exposureDate: '2026-11-01', setting: 'HOUSEHOLD', quarantineEndedOn: null }, '2026-12-03')).toEqual([]);
  });

  it('name each broken field, never echoing the ID number', () => {
    const errors = checkCaseRecordFields({ ...record, reference: 'no spaces allowed', name: '', idNumber: '110105199003071238', regionCode: '42010', reportedOn: '2027-01-01', confirmedOn: '2027-01-02' }, '2026-12-03');
    expect(errors.map((e) => e.field)).toEqual(['reference', 'name', 'idNumber', 'regionCode', 'reportedOn', 'confirmedOn']);
    expect(JSON.stringify(errors)).not.toContain('110105199003071238');
    expect(errors.find((e) => e.field === 'idNumber')?.message).toMatch(/check character/);
  });

  it('refuse a quarantine that ends before the exposure', () => {
    const errors = checkContactFields({ caseReference: 'C1', name: '李橙', idNumber: '110105199003071239', homeRegionCode: '110105', regionCode: '420106', exposureDate: '2026-11-10', setting: 'OTHER', quarantineEndedOn: '2026-11-09' }, '2026-12-03');
    expect(errors).toEqual([expect.objectContaining({ field: 'quarantineEndedOn', code: 'INVALID' })]);
  });
});
