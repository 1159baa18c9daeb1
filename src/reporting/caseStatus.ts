/**
 * The life of a case record (pure): which dates each status implies, and which status may follow
 * which. One implementation for the API (services/reporting.ts) and the demo seed, so that the
 * simulator's records pass the same rules as uploads.
 */
export const CASE_STATUSES = ['SUSPECTED', 'CONFIRMED', 'ASYMPTOMATIC', 'RECOVERED', 'DECEASED', 'RULED_OUT'] as const;
export type CaseStatus = (typeof CASE_STATUSES)[number];

/** A case record's status and its dates ('YYYY-MM-DD'). */
export interface CaseState {
  status: CaseStatus;
  reportedOn: string;
  confirmedOn: string | null;
  closedOn: string | null;
}

/** A rule a record broke: the input field it is about, what is wrong, and the userError code. */
export interface CaseRuleError {
  field: 'status' | 'reportedOn' | 'confirmedOn' | 'closedOn';
  message: string;
  code: 'INVALID' | 'CONFLICT';
}

/**
 * Statuses that may follow each status without a correction. A suspected case is confirmed,
 * found asymptomatic or ruled out; an asymptomatic infection may develop symptoms (confirmed) or
 * be released; a confirmed case recovers or dies. Closed records only stay as they are.
 */
export const NEXT_STATUSES: Readonly<Record<CaseStatus, readonly CaseStatus[]>> = {
  SUSPECTED: ['SUSPECTED', 'CONFIRMED', 'ASYMPTOMATIC', 'RULED_OUT'],
  ASYMPTOMATIC: ['ASYMPTOMATIC', 'CONFIRMED', 'RECOVERED'],
  CONFIRMED: ['CONFIRMED', 'RECOVERED', 'DECEASED'],
  RECOVERED: ['RECOVERED'],
  DECEASED: ['DECEASED'],
  RULED_OUT: ['RULED_OUT'],
};

/** Which dates a status needs (true), forbids (false) or allows (null). */
const DATES: Readonly<Record<CaseStatus, { confirmedOn: boolean | null; closedOn: boolean }>> = {
  SUSPECTED: { confirmedOn: false, closedOn: false },
  ASYMPTOMATIC: { confirmedOn: false, closedOn: false },
  CONFIRMED: { confirmedOn: true, closedOn: false },
  // a released asymptomatic infection was never confirmed; a recovered confirmed case was
  RECOVERED: { confirmedOn: null, closedOn: true },
  DECEASED: { confirmedOn: true, closedOn: true },
  RULED_OUT: { confirmedOn: false, closedOn: true },
};

/** The rules a state breaks on its own: dates its status needs or forbids, and their order. */
export function checkCaseState(state: CaseState): CaseRuleError[] {
  const errors: CaseRuleError[] = [];
  const rule = DATES[state.status];
  for (const field of ['confirmedOn', 'closedOn'] as const) {
    const needed = rule[field];
    if (needed === true && state[field] == null) errors.push({ field, message: `A ${state.status} record needs ${field}.`, code: 'INVALID' });
    if (needed === false && state[field] != null) errors.push({ field, message: `A ${state.status} record has no ${field}; leave it out.`, code: 'INVALID' });
  }
  if (state.confirmedOn != null && state.confirmedOn < state.reportedOn) {
    errors.push({ field: 'confirmedOn', message: `confirmedOn ${state.confirmedOn} is before reportedOn ${state.reportedOn}.`, code: 'INVALID' });
  }
  const opened = state.confirmedOn ?? state.reportedOn;
  if (state.closedOn != null && state.closedOn < opened) {
    errors.push({ field: 'closedOn', message: `closedOn ${state.closedOn} is before ${state.confirmedOn != null ? 'confirmedOn' : 'reportedOn'} ${opened}.`, code: 'INVALID' });
  }
  return errors;
}

export type CaseChange = 'CREATED' | 'UPDATED' | 'UNCHANGED';

export type TransitionVerdict = { ok: true; change: CaseChange } | { ok: false; errors: CaseRuleError[] };

const sameState = (a: CaseState, b: CaseState) =>
  a.status === b.status && a.reportedOn === b.reportedOn && a.confirmedOn === b.confirmedOn && a.closedOn === b.closedOn;

/**
 * Whether `next` may replace `previous` (null: a new record). A transition keeps the dates already
 * recorded (a new status adds its own), so that a late or re-ordered message cannot rewrite
 * history silently; `correction` replaces the record whatever it was, for a report that was wrong.
 */
export function checkCaseTransition(previous: CaseState | null, next: CaseState, correction: boolean): TransitionVerdict {
  const own = checkCaseState(next);
  if (own.length > 0) return { ok: false, errors: own };
  if (previous == null) return { ok: true, change: 'CREATED' };
  if (sameState(previous, next)) return { ok: true, change: 'UNCHANGED' };
  if (correction) return { ok: true, change: 'UPDATED' };
  const errors: CaseRuleError[] = [];
  if (!NEXT_STATUSES[previous.status].includes(next.status)) {
    const allowed = NEXT_STATUSES[previous.status].filter((s) => s !== previous.status);
    errors.push({
      field: 'status',
      message: `The record is ${previous.status}${allowed.length ? `; it can become ${allowed.join(' or ')}` : ' (closed)'}, not ${next.status}. Send correction: true to replace a wrong record.`,
      code: 'INVALID',
    });
  }
  for (const field of ['reportedOn', 'confirmedOn', 'closedOn'] as const) {
    const was = previous[field];
    if (was != null && next[field] !== was) {
      errors.push({ field, message: `The record has ${field} ${was}; a status change keeps it. Send correction: true to change it.`, code: 'CONFLICT' });
    }
  }
  return errors.length > 0 ? { ok: false, errors } : { ok: true, change: 'UPDATED' };
}
