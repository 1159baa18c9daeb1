import type { Resolvers } from './types.generated';
import { intArgument } from '../src/limits/arguments';
import { todayCst } from '../src/clock';
import { addDays, daysBetween } from '../src/risk/dates';
import { ACTIVE_CASE_STATUSES } from '../src/risk/passColor';

export const personResolvers: Resolvers = {
  Query: {
    person: (_, { idNumber }, { services }) => services.people.byIdNumber(idNumber),
    closeContactCheck: (_, { name, idNumber }, { services }) => services.self.closeContactCheck(name, idNumber),
  },
  Person: {
    homeRegion: (p, _, { sources }) => sources.regions.referenced(p.homeRegionCode),
    passColor: async (p, _, { services }) => (await services.passes.colorOf.load(p.id)).color,
    passColorReason: async (p, _, { services }) => (await services.passes.colorOf.load(p.id)).reason,
    itinerary: (p, args, { sources }) => {
      const days = intArgument('Person.itinerary', 'days', args.days);
      const since = `${addDays(todayCst(), -(days - 1))}T00:00:00+08:00`;
      return sources.mobility.staysByPerson.get({ personId: p.id, since });
    },
    cases: (p, _, { sources }) => sources.persons.casesByPerson.get(p.id),
    contacts: (p, _, { sources }) => sources.persons.contactsByPerson.get(p.id),
  },
  Stay: {
    region: (s, _, { sources }) => sources.regions.referenced(s.regionCode),
    hours: (s) => (s.leftAt.getTime() - s.arrivedAt.getTime()) / 3_600_000,
    riskDuringStay: (s, _, { services }) => services.risk.levelDuringStay(s),
  },
  CaseRecord: {
    active: (c) => (ACTIVE_CASE_STATUSES as readonly string[]).includes(c.status),
    region: (c, _, { sources }) => sources.regions.referenced(c.regionCode),
    cluster: (c, _, { sources }) => (c.clusterId == null ? null : sources.cases.clusterById.get(c.clusterId)),
  },
  CloseContact: {
    region: (c, _, { sources }) => sources.regions.referenced(c.regionCode),
    daysSinceExposure: (c) => daysBetween(c.exposureDate, todayCst()),
  },
};
