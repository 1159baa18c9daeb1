import { countyRiskOn } from './countyRisk';
import { CN_2020_CUMULATIVE_LIMIT } from '../risk';
import { NOBODY_ID_NUMBER } from './demoPeople';
import type { EpidemicSimulation } from './epidemic';
import type { PeopleData } from './persons';
import { OUTBREAK_COUNTY_CODE, type RegionSet } from './regions';
import type { StayRow } from './stays';

/**
 * The facts the demo and the contract tests rely on (DESIGN §3a), checked on the generated data
 * before anything is loaded: a seed that breaks one of them fails loudly instead of loading a demo
 * whose colours are wrong.
 */
export function assertDemoFacts(regions: RegionSet, sim: EpidemicSimulation, people: PeopleData, demoStays: StayRow[]): void {
  const failures: string[] = [];
  const check = (ok: boolean, message: string) => {
    if (!ok) failures.push(message);
  };
  const { dates, days } = sim.timeline;
  const last = days - 1;
  const D = days;
  const wuchang = regions.counties.findIndex((c) => c.code === OUTBREAK_COUNTY_CODE);

  let cumulative = 0;
  for (let t = 0; t <= last; t++) cumulative += sim.confirmed[wuchang * D + t];
  check(cumulative > CN_2020_CUMULATIVE_LIMIT, `Wuchang (${OUTBREAK_COUNTY_CODE}) has ${cumulative} cumulative confirmed cases, needs more than ${CN_2020_CUMULATIVE_LIMIT}`);
  for (const day of [last, last - 3]) {
    const level = countyRiskOn(sim, wuchang, day);
    check(level === 'HIGH', `Wuchang is rated ${level} on ${dates[day]}, must be HIGH (new cases and a cluster in the 14 days ending then)`);
  }

  const { wangHong, liCheng, zhangHuang, zhaoLu } = people.demo;
  const recordsOf = (personId: string) => people.caseRecords.filter((r) => r.personId === personId);
  const contactsOf = (personId: string) => people.contacts.filter((c) => c.personId === personId);
  const staysOf = (personId: string) => demoStays.filter((s) => s.personId === personId);

  const wangRecords = recordsOf(wangHong.id);
  check(
    wangRecords.length === 1 && wangRecords[0].status === 'CONFIRMED' && wangRecords[0].regionCode === OUTBREAK_COUNTY_CODE &&
      wangRecords[0].confirmedOn === dates[last - 6],
    '王红 must have one active CONFIRMED case in 420106, confirmed 6 days before the seed day',
  );
  const liContacts = contactsOf(liCheng.id);
  check(
    recordsOf(liCheng.id).length === 0 && liContacts.length === 1 && liContacts[0].caseId === wangRecords[0]?.id &&
      liContacts[0].exposureDate === dates[last - 5],
    "李橙 must have no case and one contact with 王红's case, exposed 5 days before the seed day",
  );
  const zhangInWuchang = staysOf(zhangHuang.id).some(
    (s) => s.regionCode === OUTBREAK_COUNTY_CODE && s.arrivedAt.startsWith(dates[last - 3]),
  );
  check(recordsOf(zhangHuang.id).length === 0 && contactsOf(zhangHuang.id).length === 0, '张黄 must have no case and no contact');
  check(zhangInWuchang, '张黄 must stay in Wuchang 3 days before the seed day');
  check(recordsOf(zhaoLu.id).length === 0 && contactsOf(zhaoLu.id).length === 0, '赵绿 must have no case and no contact');
  const countyIndex = new Map(regions.counties.map((c, i) => [c.code, i]));
  const dayIndex = new Map(dates.map((d, t) => [d, t]));
  for (const person of [liCheng, zhaoLu]) {
    for (const stay of staysOf(person.id)) {
      const day = dayIndex.get(stay.arrivedAt.slice(0, 10)) as number;
      const level = countyRiskOn(sim, countyIndex.get(stay.regionCode) as number, day);
      check(level === 'LOW', `${person.name} stays in ${stay.regionCode} on ${dates[day]}, rated ${level}: must be LOW`);
    }
  }
  check(!people.persons.some((p) => p.idNumber === NOBODY_ID_NUMBER), 'the reserved "nobody" ID number (DESIGN §3a) must belong to nobody');

  if (failures.length > 0) throw new Error(`demo seed guarantees broken:\n- ${failures.join('\n- ')}`);
}
