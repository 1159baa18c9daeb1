import type { Context } from '../src/context';
import type { PersonRecord, CaseRecordRow, ContactRow } from '../datasources/person';
import type { StayRow } from '../datasources/mobility';
import { intArgument } from '../src/limits/arguments';
import { todayCst } from '../src/clock';
import { addDays, daysBetween } from '../src/risk/dates';
import { ACTIVE_CASE_STATUSES } from '../src/risk/passColor';

export const personResolvers = {
  Query: {
    person: (_: unknown, { idNumber }: { idNumber: string }, { services }: Context) => services.people.byIdNumber(idNumber),
    closeContactCheck: (_: unknown, { name, idNumber }: { name: string; idNumber: string }, { services }: Context) =>
      services.self.closeContactCheck(name, idNumber),
  },
  Person: {
    homeRegion: (p: PersonRecord, _: unknown, { sources }: Context) => sources.regions.byCode.get(p.homeRegionCode),
    passColor: async (p: PersonRecord, _: unknown, { services }: Context) => (await services.passes.colorOf.load(p.id)).color,
    passColorReason: async (p: PersonRecord, _: unknown, { services }: Context) => (await services.passes.colorOf.load(p.id)).reason,
    itinerary: (p: PersonRecord, args: { days?: number | null }, { sources }: Context) => {
      const days = intArgument('Person.itinerary', 'days', args.days);
      const since = `${addDays(todayCst(), -(days - 1))}T00:00:00+08:00`;
      return sources.mobility.staysByPerson.get({ personId: p.id, since });
    },
    cases: (p: PersonRecord, _: unknown, { sources }: Context) => sources.persons.casesByPerson.get(p.id),
    contacts: (p: PersonRecord, _: unknown, { sources }: Context) => sources.persons.contactsByPerson.get(p.id),
  },
  Stay: {
    region: (s: StayRow, _: unknown, { sources }: Context) => sources.regions.byCode.get(s.regionCode),
    hours: (s: StayRow) => (s.leftAt.getTime() - s.arrivedAt.getTime()) / 3_600_000,
    riskDuringStay: (s: StayRow, _: unknown, { services }: Context) => services.risk.levelDuringStay(s),
  },
  CaseRecord: {
    active: (c: CaseRecordRow) => (ACTIVE_CASE_STATUSES as readonly string[]).includes(c.status),
    region: (c: CaseRecordRow, _: unknown, { sources }: Context) => sources.regions.byCode.get(c.regionCode),
    cluster: (c: CaseRecordRow, _: unknown, { sources }: Context) => (c.clusterId == null ? null : sources.cases.clusterById.get(c.clusterId)),
  },
  CloseContact: {
    region: (c: ContactRow, _: unknown, { sources }: Context) => sources.regions.byCode.get(c.regionCode),
    daysSinceExposure: (c: ContactRow) => daysBetween(c.exposureDate, todayCst()),
  },
};
