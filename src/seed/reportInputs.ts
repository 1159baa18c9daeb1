import type { PeopleData } from './persons';
import { checkCaseRecordFields, checkContactFields, type CaseRecordFields, type ContactFields } from '../reporting/validate';

/**
 * The simulator as a client of the reporting path (issue 17): the demo's case records and contacts
 * as the health commission would send them to `reportCaseRecords` and `reportContacts`. The seed
 * checks every one with the mutations' own rules (src/reporting/validate.ts) before it loads them
 * by COPY (which keeps `npm run seed` fast), and a test sends them through the API and finds the
 * same tables (tests/integration/reportingSeed.test.ts).
 */
export interface SeedCaseRecordInput extends CaseRecordFields {
  clusterId: string | null;
}

/** Case records as `CaseRecordInput`s, in record order. */
export function caseRecordInputs(people: PeopleData): SeedCaseRecordInput[] {
  const byId = new Map(people.persons.map((p) => [p.id, p]));
  return people.caseRecords.map((r) => {
    const person = byId.get(r.personId);
    if (!person) throw new Error(`case record ${r.reference}: no person ${r.personId}`);
    return {
      reference: r.reference,
      name: person.name,
      idNumber: person.idNumber,
      homeRegionCode: person.homeCode,
      regionCode: r.regionCode,
      status: r.status,
      reportedOn: r.reportedOn,
      confirmedOn: r.confirmedOn,
      closedOn: r.closedOn,
      clusterId: r.clusterId == null ? null : String(r.clusterId),
    };
  });
}

/** Close contacts as `ContactInput`s, in contact order. */
export function contactInputs(people: PeopleData): ContactFields[] {
  const byId = new Map(people.persons.map((p) => [p.id, p]));
  const referenceOf = new Map(people.caseRecords.map((r) => [r.id, r.reference]));
  return people.contacts.map((c) => {
    const person = byId.get(c.personId);
    const caseReference = referenceOf.get(c.caseId);
    if (!person || !caseReference) throw new Error(`contact ${c.id}: no person ${c.personId} or case ${c.caseId}`);
    return {
      caseReference,
      name: person.name,
      idNumber: person.idNumber,
      homeRegionCode: person.homeCode,
      regionCode: c.regionCode,
      exposureDate: c.exposureDate,
      setting: c.setting,
      quarantineEndedOn: null,
    };
  });
}

/** Fails, naming the first record and rule, when a generated record would be refused by the API. */
export function assertReportable(people: PeopleData, seedDay: string): void {
  for (const r of caseRecordInputs(people)) {
    const [error] = checkCaseRecordFields(r, seedDay);
    if (error) throw new Error(`seed case record ${r.reference} breaks the reporting rules: ${error.field}: ${error.message}`);
  }
  for (const c of contactInputs(people)) {
    const [error] = checkContactFields(c, seedDay);
    if (error) throw new Error(`seed contact of case ${c.caseReference} breaks the reporting rules: ${error.field}: ${error.message}`);
  }
}
