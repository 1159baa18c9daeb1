import type { Sql } from '../src/db/sql';
import type { KnownRegion, RegionChangePlan } from '../src/reporting/regionChanges';

/** The advisory lock that puts change lists one after another (an arbitrary constant of this project). */
const REGION_CHANGES_LOCK = 7241865325824000;

/** Where population figures of units added by a change list come from. */
const CHANGE_LIST_SOURCE = 'civil affairs change list';

/**
 * Writes changes of the GB/T 2260 list (civil affairs) into the region datasource. One
 * transaction per list: the units it refers to are read and locked, the service plans the changes
 * against them (src/reporting/regionChanges.ts), and the plan is written; a row is never deleted.
 */
export class RegionChangeStore {
  constructor(private readonly sql: Sql) {}

  /** `audit` runs before the commit: a list whose audit row cannot be written is not applied. */
  async apply<E>(
    codes: readonly string[],
    plan: (known: Map<string, KnownRegion>) => { errors: E[]; plan: RegionChangePlan | null },
    audit: (plan: RegionChangePlan) => Promise<void>,
  ): Promise<{ errors: E[]; plan: RegionChangePlan | null }> {
    return this.sql.transaction('RegionChangeStore.apply', async (query) => {
      // one list at a time: a second one waits here and then plans against the first one's result
      // (a transaction-level advisory lock: the API's role may not LOCK TABLE in this mode, and needs not)
      await query('RegionChangeStore.lock', 'SELECT pg_advisory_xact_lock($1)', [REGION_CHANGES_LOCK]);
      const rows = await query<{
        code: string; name: string; level: KnownRegion['level']; parent_code: string | null; province_code: string;
        valid_from: string; valid_to: string | null; successor_codes: string[];
      }>(
        'RegionChangeStore.known',
        `SELECT r.code, r.name, r.level, r.parent_code, r.province_code, r.valid_from, r.valid_to,
                coalesce((SELECT array_agg(s.successor_code ORDER BY s.successor_code) FROM region.successors s WHERE s.code = r.code), '{}') AS successor_codes
           FROM region.regions r WHERE r.code = ANY($1::text[])
            FOR UPDATE OF r`,
        [codes],
      );
      const known = new Map(rows.map((r) => [r.code, {
        code: r.code, name: r.name, level: r.level, parentCode: r.parent_code, provinceCode: r.province_code,
        validFrom: r.valid_from, validTo: r.valid_to, successorCodes: r.successor_codes,
      }]));
      const result = plan(known);
      if (!result.plan) return result;
      const { added, retired, renamed, log } = result.plan;
      if (added.length > 0) {
        await query(
          'RegionChangeStore.add',
          `INSERT INTO region.regions (code, name, official_name, level, kind, parent_code, province_code, population, population_source, population_year, valid_from)
           SELECT a.code, a.name, a.name, 'COUNTY', 'ADMINISTRATIVE', a.parent_code, a.province_code, a.population, $7, extract(year FROM a.valid_from)::int, a.valid_from
             FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::int[], $6::date[]) AS a(code, name, parent_code, province_code, population, valid_from)`,
          [added.map((a) => a.code), added.map((a) => a.name), added.map((a) => a.parentCode), added.map((a) => a.provinceCode), added.map((a) => a.population), added.map((a) => a.validFrom), CHANGE_LIST_SOURCE],
        );
      }
      if (retired.length > 0) {
        await query(
          'RegionChangeStore.retire',
          `WITH retired AS (
             UPDATE region.regions r SET valid_to = x.valid_to
               FROM unnest($1::text[], $2::date[]) AS x(code, valid_to) WHERE r.code = x.code
           )
           INSERT INTO region.successors (code, successor_code, effective_on)
           SELECT s.code, s.successor_code, s.effective_on FROM unnest($3::text[], $4::text[], $5::date[]) AS s(code, successor_code, effective_on)`,
          [
            retired.map((r) => r.code), retired.map((r) => r.validTo),
            retired.flatMap((r) => r.successorCodes.map(() => r.code)), retired.flatMap((r) => r.successorCodes), retired.flatMap((r) => r.successorCodes.map(() => r.effectiveOn)),
          ],
        );
      }
      if (renamed.length > 0) {
        await query(
          'RegionChangeStore.rename',
          `UPDATE region.regions r SET name = x.name, official_name = x.name
             FROM unnest($1::text[], $2::text[]) AS x(code, name) WHERE r.code = x.code`,
          [renamed.map((r) => r.code), renamed.map((r) => r.name)],
        );
      }
      if (log.length > 0) {
        await query(
          'RegionChangeStore.log',
          `INSERT INTO region.changes (code, change, effective_on, name, previous_name, successor_codes)
           SELECT code, change, effective_on, name, previous_name, string_to_array(successors, ',')
             FROM unnest($1::text[], $2::text[], $3::date[], $4::text[], $5::text[], $6::text[]) AS l(code, change, effective_on, name, previous_name, successors)`,
          [log.map((l) => l.code), log.map((l) => l.change), log.map((l) => l.effectiveOn), log.map((l) => l.name), log.map((l) => l.previousName), log.map((l) => l.successorCodes.join(','))],
        );
        await audit(result.plan);
      }
      return result;
    });
  }
}
