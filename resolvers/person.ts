import type { Context } from '../src/context';
import type { PersonRecord, CaseRecordRow, ContactRow } from '../datasources/person';
import type { StayRow } from '../datasources/mobility';
import { idHashOf, sameName } from '../src/privacy/idArgument';
import { intInRange } from '../src/args';
import { cstDaysCovered, todayCst } from '../src/clock';
import { addDays, daysBetween } from '../src/risk/dates';
import { ACTIVE_CASE_STATUSES, PASS_WINDOW_DAYS } from '../src/risk/passColor';

const ADVICE_CONTACT = '您是密切接触者：请居家，不要外出，配合社区和疾控部门的健康监测与核酸检测；如出现发热、咳嗽等症状，请立即报告。';
const ADVICE_NONE = '未查询到您的密切接触记录。请继续做好个人防护，如有症状请及时就医。';

export const personResolvers = {
  Query: {
    person: async (_: unknown, { idNumber }: { idNumber: string }, ctx: Context) => {
      const person = await ctx.sources.persons.byIdHash.load(idHashOf(idNumber, ctx.idHashSecret));
      await ctx.audit.record({ operation: 'person', subjectPersonId: person?.id ?? null, outcome: person ? 'FOUND' : 'NOT_FOUND' });
      return person;
    },
    closeContactCheck: async (_: unknown, { name, idNumber }: { name: string; idNumber: string }, ctx: Context) => {
      const hash = idHashOf(idNumber, ctx.idHashSecret);
      await ctx.limiter.admit(ctx.viewer.clientId, hash.toString('hex'));
      // The same reads happen whether or not the pair matches, so timing does not tell them apart.
      const person = await ctx.sources.persons.byIdHash.load(hash);
      const matched = person != null && sameName(name, person.name);
      const contacts = await ctx.sources.persons.contactsByPerson.load(matched ? person.id : '00000000-0000-0000-0000-000000000000');
      const today = todayCst();
      const windowStart = addDays(today, -(PASS_WINDOW_DAYS - 1));
      // a contact whose quarantine has ended is released, as for the pass colour (PersonSource.passFacts)
      const exposure = contacts.filter((c) => c.quarantineEndedOn == null).map((c) => c.exposureDate).filter((d) => d >= windowStart && d <= today).sort().pop() ?? null;
      // An existing ID number with a wrong name is recorded against its holder: name-guessing shows in their trail.
      await ctx.audit.record({
        operation: 'closeContactCheck',
        subjectPersonId: person?.id ?? null,
        outcome: !matched ? 'NOT_MATCHED' : exposure ? 'CONTACT' : 'NO_CONTACT',
      });
      return { isCloseContact: exposure != null, exposureDate: exposure, advice: exposure ? ADVICE_CONTACT : ADVICE_NONE };
    },
  },
  Person: {
    homeRegion: (p: PersonRecord, _: unknown, { sources }: Context) => sources.regions.byCode.get(p.homeRegionCode),
    passColor: async (p: PersonRecord, _: unknown, { sources }: Context) => (await sources.passes.colorOf.load(p.id)).color,
    passColorReason: async (p: PersonRecord, _: unknown, { sources }: Context) => (await sources.passes.colorOf.load(p.id)).reason,
    itinerary: (p: PersonRecord, args: { days?: number | null }, { sources }: Context) => {
      const days = intInRange(args.days, 1, 30, 14, 'days');
      const since = `${addDays(todayCst(), -(days - 1))}T00:00:00+08:00`;
      return sources.mobility.staysByPerson.get({ personId: p.id, since });
    },
    cases: (p: PersonRecord, _: unknown, { sources }: Context) => sources.persons.casesByPerson.get(p.id),
    contacts: (p: PersonRecord, _: unknown, { sources }: Context) => sources.persons.contactsByPerson.get(p.id),
  },
  Stay: {
    region: (s: StayRow, _: unknown, { sources }: Context) => sources.regions.byCode.get(s.regionCode),
    hours: (s: StayRow) => (s.leftAt.getTime() - s.arrivedAt.getTime()) / 3_600_000,
    riskDuringStay: async (s: StayRow, _: unknown, { sources }: Context) => {
      const today = todayCst();
      const levels = await Promise.all(cstDaysCovered(s.arrivedAt, s.leftAt).filter((d) => d <= today).map((d) => sources.risk.countyLevel(s.regionCode, d)));
      return levels.includes('HIGH') ? 'HIGH' : levels.includes('MEDIUM') ? 'MEDIUM' : 'LOW';
    },
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
