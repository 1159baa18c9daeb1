import { checkResidentId } from '../privacy/residentId';
import { isIsoDate } from '../risk/dates';
import { EARLIEST_DATE } from '../args';
import { CASE_STATUSES, checkCaseState, type CaseStatus } from './caseStatus';

/**
 * Field rules of case records and close contacts (pure): what the mutations check before they look
 * at the database, and what the demo seed checks of every record it writes, so that the
 * simulator's data could have come through the API. Rules that need stored data (the region
 * exists and is in force, the name matches the ID number's person, the transition) are the
 * service's (services/reporting.ts).
 */

/** One broken rule of one item: the input field and a message that never echoes an ID number. */
export interface FieldError {
  field: string;
  message: string;
  code: 'INVALID' | 'NOT_FOUND' | 'CONFLICT';
}

export interface CaseRecordFields {
  reference: string;
  name: string;
  idNumber: string;
  homeRegionCode: string;
  regionCode: string;
  status: CaseStatus;
  reportedOn: string;
  confirmedOn: string | null;
  closedOn: string | null;
}

export const CONTACT_SETTINGS = ['HOUSEHOLD', 'WORKPLACE', 'TRANSPORT', 'MEDICAL', 'SOCIAL', 'OTHER'] as const;
export type ContactSetting = (typeof CONTACT_SETTINGS)[number];

export interface ContactFields {
  caseReference: string;
  name: string;
  idNumber: string;
  homeRegionCode: string;
  regionCode: string;
  exposureDate: string;
  setting: ContactSetting;
  quarantineEndedOn: string | null;
}

export const REFERENCE = /^[A-Za-z0-9_-]{1,64}$/;
const REGION_CODE = /^[0-9]{6}$/;
const MAX_NAME_LENGTH = 50;
/** Letters and marks of any script, the middle dot of transliterated names (·, •), spaces; no digits or controls. */
const NAME = /^[\p{L}\p{M}·•' -]+$/u;

function checkReference(field: string, value: string, errors: FieldError[]) {
  if (!REFERENCE.test(value)) {
    errors.push({ field, message: `${field} must be 1–64 characters of A–Z, a–z, 0–9, "_" and "-", got ${value.length} characters that are not.`, code: 'INVALID' });
  }
}

function checkName(value: string, errors: FieldError[]) {
  const length = Array.from(value.trim()).length;
  if (length === 0 || length > MAX_NAME_LENGTH) errors.push({ field: 'name', message: `name must be 1–${MAX_NAME_LENGTH} characters, got ${length}.`, code: 'INVALID' });
  else if (!NAME.test(value.trim())) errors.push({ field: 'name', message: 'name may hold letters, "·", apostrophes, hyphens and spaces only.', code: 'INVALID' });
}

function checkIdNumber(value: string, today: string, errors: FieldError[]) {
  const check = checkResidentId(value, today);
  if (!check.ok) errors.push({ field: 'idNumber', message: `idNumber is not a valid resident ID number: ${check.message}`, code: 'INVALID' });
}

function checkRegionCode(field: string, value: string, errors: FieldError[]) {
  if (!REGION_CODE.test(value)) errors.push({ field, message: `${field} must be a six-digit GB/T 2260 code, got "${value.slice(0, 20)}".`, code: 'INVALID' });
}

/** What every item says about a person and places: a record reference, name, ID number, home and region codes. */
function checkPersonItem(
  referenceField: string,
  reference: string,
  item: { name: string; idNumber: string; homeRegionCode: string; regionCode: string },
  today: string,
): FieldError[] {
  const errors: FieldError[] = [];
  checkReference(referenceField, reference, errors);
  checkName(item.name, errors);
  checkIdNumber(item.idNumber, today, errors);
  checkRegionCode('homeRegionCode', item.homeRegionCode, errors);
  checkRegionCode('regionCode', item.regionCode, errors);
  return errors;
}

/** A day of the reporting calendar: a real date, not before the first reports, not after `today`. */
export function checkDay(field: string, value: string | null, today: string, errors: FieldError[]): void {
  if (value == null) return;
  if (!isIsoDate(value)) errors.push({ field, message: `${field} must be a calendar date YYYY-MM-DD.`, code: 'INVALID' });
  else if (value < EARLIEST_DATE) errors.push({ field, message: `${field} ${value} is before ${EARLIEST_DATE}, the earliest reporting day.`, code: 'INVALID' });
  else if (value > today) errors.push({ field, message: `${field} ${value} is in the future (today is ${today}, China Standard Time).`, code: 'INVALID' });
}

/** The rules one case record breaks on its own (`today`: China Standard Time). */
export function checkCaseRecordFields(r: CaseRecordFields, today: string): FieldError[] {
  const errors = checkPersonItem('reference', r.reference, r, today);
  if (!(CASE_STATUSES as readonly string[]).includes(r.status)) errors.push({ field: 'status', message: `status must be one of ${CASE_STATUSES.join(', ')}.`, code: 'INVALID' });
  const before = errors.length;
  checkDay('reportedOn', r.reportedOn, today, errors);
  checkDay('confirmedOn', r.confirmedOn, today, errors);
  checkDay('closedOn', r.closedOn, today, errors);
  // the status rules compare dates: only once each date is one
  if (errors.length === before && (CASE_STATUSES as readonly string[]).includes(r.status)) {
    errors.push(...checkCaseState({ status: r.status, reportedOn: r.reportedOn, confirmedOn: r.confirmedOn, closedOn: r.closedOn }));
  }
  return errors;
}

/** The rules one close-contact link breaks on its own (`today`: China Standard Time). */
export function checkContactFields(c: ContactFields, today: string): FieldError[] {
  const errors = checkPersonItem('caseReference', c.caseReference, c, today);
  if (!(CONTACT_SETTINGS as readonly string[]).includes(c.setting)) errors.push({ field: 'setting', message: `setting must be one of ${CONTACT_SETTINGS.join(', ')}.`, code: 'INVALID' });
  const before = errors.length;
  checkDay('exposureDate', c.exposureDate, today, errors);
  checkDay('quarantineEndedOn', c.quarantineEndedOn, today, errors);
  if (errors.length === before && c.quarantineEndedOn != null && c.quarantineEndedOn < c.exposureDate) {
    errors.push({ field: 'quarantineEndedOn', message: `quarantineEndedOn ${c.quarantineEndedOn} is before exposureDate ${c.exposureDate}.`, code: 'INVALID' });
  }
  return errors;
}
