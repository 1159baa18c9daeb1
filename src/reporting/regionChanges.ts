import { isIsoDate, addDays } from '../risk/dates';
import { inForce, type Validity } from './regionValidity';
import type { FieldError } from './validate';

/**
 * Changes of the GB/T 2260 list (pure): civil affairs publishes each year which codes were added,
 * abolished, renamed or merged, with the day each applies. This checks a list of changes against
 * the stored units and turns it into what to write; nothing is ever deleted, so figures stay
 * under the code in force when they were reported. County-level units only: that is where the
 * list changes year to year (a city's change would move its counties' codes, and comes as the
 * counties' own changes).
 */
export const REGION_CHANGE_TYPES = ['ADDED', 'ABOLISHED', 'RENAMED', 'MERGED'] as const;
export type RegionChangeType = (typeof REGION_CHANGE_TYPES)[number];

export interface RegionChangeFields {
  code: string;
  change: RegionChangeType;
  effectiveOn: string;
  name?: string | null;
  parentCode?: string | null;
  population?: number | null;
  successorCodes?: readonly string[] | null;
}

/** What the planner needs of a stored unit. */
export interface KnownRegion extends Validity {
  code: string;
  name: string;
  level: 'PROVINCE' | 'CITY' | 'COUNTY';
  parentCode: string | null;
  provinceCode: string;
  /** Its successors' codes, sorted (retired units). */
  successorCodes: readonly string[];
}

export interface NewRegion {
  code: string;
  name: string;
  parentCode: string;
  provinceCode: string;
  population: number;
  validFrom: string;
}

/** What to write for a list of changes; `unchanged` counts changes already applied exactly so. */
export interface RegionChangePlan {
  added: NewRegion[];
  retired: { code: string; validTo: string; effectiveOn: string; successorCodes: string[] }[];
  renamed: { code: string; name: string; previousName: string }[];
  /** The change log rows (region.changes), one per applied change. */
  log: { code: string; change: RegionChangeType; effectiveOn: string; name: string | null; previousName: string | null; successorCodes: string[] }[];
  unchanged: number;
}

export const MAX_SUCCESSORS = 20;
const MAX_NAME_LENGTH = 50;
const MAX_POPULATION = 100_000_000;
const COUNTY_CODE = /^[0-9]{4}(?!00)[0-9]{2}$/;
/** The first day of the list this API holds (rows from before validity was tracked start here). */
export const LIST_START = '1980-01-01';

/** Every code a list of changes refers to (the units to read before planning). */
export function codesOf(changes: readonly RegionChangeFields[]): string[] {
  const codes = new Set<string>();
  for (const c of changes) {
    for (const code of [c.code, c.parentCode, ...(c.successorCodes ?? [])]) if (code != null && /^[0-9]{6}$/.test(code)) codes.add(code);
  }
  return [...codes];
}

/**
 * Checks `changes` against `known` (the stored units they refer to, by code) and plans the writes.
 * Errors name the change's index and field, as userErrors do; with any error there is no plan.
 * `latest`: the last effective day accepted (changes are announced ahead, but not years ahead).
 */
export function planRegionChanges(
  changes: readonly RegionChangeFields[],
  known: ReadonlyMap<string, KnownRegion>,
  latest: string,
): { errors: { index: number; error: FieldError }[]; plan: RegionChangePlan | null } {
  const errors: { index: number; error: FieldError }[] = [];
  const fail = (index: number, field: string, message: string, code: FieldError['code'] = 'INVALID') => errors.push({ index, error: { field, message, code } });
  const plan: RegionChangePlan = { added: [], retired: [], renamed: [], log: [], unchanged: 0 };

  // units added by this call may be the successors of others in it
  const units = new Map(known);
  const seen = new Map<string, number>();
  changes.forEach((c, i) => {
    if (seen.has(c.code)) fail(i, 'code', `Change ${seen.get(c.code)} of this call is about the same code; send one change per code.`, 'CONFLICT');
    else seen.set(c.code, i);
    if (c.change === 'ADDED' && !known.has(c.code) && c.parentCode != null && known.has(c.parentCode)) {
      const parent = known.get(c.parentCode)!;
      units.set(c.code, { code: c.code, name: c.name ?? '', level: 'COUNTY', parentCode: parent.code, provinceCode: parent.provinceCode, successorCodes: [], validFrom: c.effectiveOn, validTo: null });
    }
  });

  changes.forEach((c, i) => {
    if (!COUNTY_CODE.test(c.code)) return fail(i, 'code', `code must be the six-digit code of a county-level unit (not ending in 00), got "${String(c.code).slice(0, 20)}".`);
    if (!isIsoDate(c.effectiveOn) || c.effectiveOn < LIST_START || c.effectiveOn > latest) {
      return fail(i, 'effectiveOn', `effectiveOn must be a date from ${LIST_START} to ${latest}.`);
    }
    const name = c.name?.trim() ?? null;
    const needsName = c.change === 'ADDED' || c.change === 'RENAMED';
    if (needsName && (name == null || Array.from(name).length === 0 || Array.from(name).length > MAX_NAME_LENGTH)) {
      return fail(i, 'name', `A ${c.change} change needs a name of 1–${MAX_NAME_LENGTH} characters.`);
    }
    const stored = known.get(c.code);
    const successors = [...new Set(c.successorCodes ?? [])].sort();

    if (c.change === 'ADDED') {
      const parent = c.parentCode == null ? undefined : known.get(c.parentCode);
      if (!parent) return fail(i, 'parentCode', c.parentCode == null ? 'An ADDED change needs parentCode, the city of the new unit.' : `No region has code ${c.parentCode}.`, c.parentCode == null ? 'INVALID' : 'NOT_FOUND');
      if (parent.level !== 'CITY') return fail(i, 'parentCode', `${parent.code} ${parent.name} is not a city-level unit.`);
      if (!inForce(parent, c.effectiveOn)) return fail(i, 'parentCode', `${parent.code} ${parent.name} is not in force on ${c.effectiveOn}.`);
      if (parent.code.slice(0, 4) !== c.code.slice(0, 4)) return fail(i, 'code', `A unit of ${parent.code} has a code starting ${parent.code.slice(0, 4)}.`);
      if (stored) {
        if (stored.validFrom === c.effectiveOn && stored.name === name && stored.parentCode === parent.code) return void plan.unchanged++;
        return fail(i, 'code', `${c.code} ${stored.name} exists already (in force from ${stored.validFrom}); a code is never reused.`, 'CONFLICT');
      }
      const population = c.population;
      if (population == null || !Number.isInteger(population) || population < 0 || population > MAX_POPULATION) {
        return fail(i, 'population', `An ADDED change needs population, a whole number from 0 to ${MAX_POPULATION}.`);
      }
      plan.added.push({ code: c.code, name: name as string, parentCode: parent.code, provinceCode: parent.provinceCode, population, validFrom: c.effectiveOn });
      plan.log.push({ code: c.code, change: c.change, effectiveOn: c.effectiveOn, name, previousName: null, successorCodes: [] });
      return;
    }

    if (!stored) return fail(i, 'code', `No region has code ${c.code}.`, 'NOT_FOUND');
    if (stored.level !== 'COUNTY') return fail(i, 'code', `${c.code} ${stored.name} is not a county-level unit.`);

    if (c.change === 'RENAMED') {
      if (stored.name === name) return void plan.unchanged++;
      if (!inForce(stored, c.effectiveOn)) return fail(i, 'effectiveOn', `${c.code} ${stored.name} is not in force on ${c.effectiveOn}.`);
      plan.renamed.push({ code: c.code, name: name as string, previousName: stored.name });
      plan.log.push({ code: c.code, change: c.change, effectiveOn: c.effectiveOn, name, previousName: stored.name, successorCodes: [] });
      return;
    }

    // ABOLISHED, MERGED: in force until the day before
    const validTo = addDays(c.effectiveOn, -1);
    if (c.change === 'MERGED' && successors.length === 0) return fail(i, 'successorCodes', 'A MERGED change needs the codes of the units that absorb it.');
    if (successors.length > MAX_SUCCESSORS) return fail(i, 'successorCodes', `At most ${MAX_SUCCESSORS} successors, got ${successors.length}.`);
    if (stored.validTo != null) {
      if (stored.validTo === validTo && sameList(stored.successorCodes, successors)) return void plan.unchanged++;
      return fail(i, 'code', `${c.code} ${stored.name} was retired already (last day ${stored.validTo}, successors ${stored.successorCodes.join(', ') || 'none'}).`, 'CONFLICT');
    }
    if (validTo < stored.validFrom) return fail(i, 'effectiveOn', `${c.code} ${stored.name} came into force on ${stored.validFrom}; it cannot be retired on or before that day.`);
    for (const s of successors) {
      const successor = units.get(s);
      if (s === c.code) return fail(i, 'successorCodes', `${c.code} cannot succeed itself.`);
      if (!successor) return fail(i, 'successorCodes', `No region has code ${s} (nor is it added in this call).`, 'NOT_FOUND');
      if (successor.level !== 'COUNTY') return fail(i, 'successorCodes', `${s} ${successor.name} is not a county-level unit.`);
      if (!inForce(successor, c.effectiveOn)) return fail(i, 'successorCodes', `${s} ${successor.name} is not in force on ${c.effectiveOn}.`);
      if (changes.some((other) => other.code === s && other.change !== 'ADDED' && other.change !== 'RENAMED')) {
        return fail(i, 'successorCodes', `${s} is retired in this call too.`, 'CONFLICT');
      }
    }
    plan.retired.push({ code: c.code, validTo, effectiveOn: c.effectiveOn, successorCodes: successors });
    plan.log.push({ code: c.code, change: c.change, effectiveOn: c.effectiveOn, name: null, previousName: null, successorCodes: successors });
  });
  return errors.length > 0 ? { errors, plan: null } : { errors: [], plan };
}

const sameList = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((x, i) => x === b[i]);
