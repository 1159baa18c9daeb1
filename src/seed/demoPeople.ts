/**
 * The demo people of DESIGN §3a. The seed places their records relative to the seed day so that
 * each one's pass colour holds on the day the seed runs; tests and the contract operations look
 * them up by ID number.
 */
import type { PassColor } from '../risk/passColor';

export type { PassColor };

export interface DemoPerson {
  key: 'wangHong' | 'liCheng' | 'zhangHuang' | 'zhaoLu';
  name: string;
  idNumber: string;
  /** The county coded in the ID number, which is also the person's home county. */
  homeCode: string;
  expectedColor: PassColor;
  why: string;
}

export const DEMO_PEOPLE: readonly DemoPerson[] = [
  {
    key: 'wangHong',
    name: '王红',
    idNumber: '420106198805120017',
    homeCode: '420106',
    expectedColor: 'RED',
    why: 'active confirmed case in Wuchang district (420106), confirmed 6 days before the seed day, part of a cluster',
  },
  {
    key: 'liCheng',
    name: '李橙',
    idNumber: '110105199003071239',
    homeCode: '110105',
    expectedColor: 'ORANGE',
    why: "close contact of 王红's case, exposed 5 days before the seed day; no case, no risky stay",
  },
  {
    key: 'zhangHuang',
    name: '张黄',
    idNumber: '310104197509214569',
    homeCode: '310104',
    expectedColor: 'YELLOW',
    why: 'stayed 10:00–16:00 in Wuchang (420106) 3 days before the seed day, when it was rated HIGH',
  },
  {
    key: 'zhaoLu',
    name: '赵绿',
    idNumber: '440305200101017896',
    homeCode: '440305',
    expectedColor: 'GREEN',
    why: 'no case, no contact, stays only in counties rated LOW on the days of the stays',
  },
];

/** A valid ID number (correct check digit) that must belong to nobody in the data. */
export const NOBODY_ID_NUMBER = '510107199506063211';

/** One demo person by key; throws on a key that is not in DEMO_PEOPLE. */
export function demoPerson(key: DemoPerson['key']): DemoPerson {
  const person = DEMO_PEOPLE.find((p) => p.key === key);
  if (!person) throw new Error(`no demo person with key ${key}`);
  return person;
}
