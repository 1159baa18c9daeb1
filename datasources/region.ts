import type { Pool } from 'pg';
import type { Sql } from '../src/db/sql';
import { z } from 'zod';
import { Loader } from './loader';
import { column, parseRows, queryRows } from '../src/db/rows';
import { encodeCursor, type Page } from '../src/graphql/pagination';
import type { Region, RegionKind, RegionLevel } from '../src/regionCode';
import { then, type MaybePromise } from '../src/maybe';
import { brokenInvariant } from '../src/errors';

export type { Region, RegionKind, RegionLevel } from '../src/regionCode';

/** Levels and kinds are closed sets the API filters and branches on: an unknown one must not pass silently. */
const RegionRow = z.object({
  code: column.regionCode,
  name: column.text,
  official_name: column.text,
  level: column.regionLevel,
  kind: column.regionKind,
  parent_code: column.regionCode.nullable(),
  province_code: column.regionCode,
  population: column.count,
  population_source: column.text,
  population_year: column.int,
  valid_from: column.date,
  valid_to: column.date.nullable(),
});
type RegionRow = z.output<typeof RegionRow>;

const COLUMNS =
  'code, name, official_name, level, kind, parent_code, province_code, population, population_source, population_year, valid_from, valid_to';

const toRegion = (r: RegionRow): Region => ({
  code: r.code,
  name: r.name,
  officialName: r.official_name,
  level: r.level,
  kind: r.kind,
  parentCode: r.parent_code,
  provinceCode: r.province_code,
  population: r.population,
  populationSource: r.population_source,
  populationYear: r.population_year,
  validFrom: r.valid_from,
  validTo: r.valid_to,
});

export interface RegionFilter {
  level?: RegionLevel | null;
  parentCode?: string | null;
  kind?: RegionKind | null;
  /** Only units in force on this day ('YYYY-MM-DD'). */
  asOf: string;
}

const identity = (s: string) => s;

/** Administrative divisions (civil affairs). Created per request: its loaders cache per request. */
export class RegionSource {
  readonly byCode: Loader<string, Region | null>;
  readonly childrenByParent: Loader<string, Region[]>;
  /**
   * County-level units under a province or city (the unit itself for a county), retired ones
   * included: their reports stay under their codes and count in their province's figures.
   */
  readonly countyCodesUnder: Loader<string, string[]>;
  /** The units a retired code's area went to, in code order. */
  readonly successorsOf: Loader<string, Region[]>;
  /** The retired codes whose area went to a unit, in code order. */
  readonly predecessorsOf: Loader<string, Region[]>;

  constructor(private readonly sql: Sql, options: { batch?: boolean } = {}) {
    this.byCode = new Loader(
      async (codes) => {
        const rows = await queryRows(sql, 'RegionSource.byCode', RegionRow,
          `SELECT ${COLUMNS} FROM region.regions WHERE code = ANY($1::text[])`,
          [codes],
        );
        const byCode = new Map(rows.map((r) => [r.code, toRegion(r)]));
        return codes.map((c) => byCode.get(c) ?? null);
      },
      identity,
      options,
    );
    this.childrenByParent = new Loader(
      async (parents) => {
        const rows = await queryRows(sql, 'RegionSource.childrenByParent', RegionRow,
          `SELECT ${COLUMNS} FROM region.regions WHERE parent_code = ANY($1::text[]) ORDER BY code`,
          [parents],
        );
        const byParent = new Map<string, Region[]>(parents.map((p) => [p, []]));
        for (const row of rows) {
          const region = toRegion(row);
          byParent.get(row.parent_code as string)?.push(region);
          this.byCode.prime(region.code, region);
        }
        return parents.map((p) => byParent.get(p) ?? []);
      },
      identity,
      options,
    );
    this.countyCodesUnder = new Loader(
      async (codes) => {
        const rows = await sql.query<{ code: string; parent_code: string; province_code: string }>(
          'RegionSource.countyCodesUnder',
          `SELECT code, parent_code, province_code FROM region.regions
            WHERE level = 'COUNTY'
              AND (code = ANY($1::text[]) OR parent_code = ANY($1::text[]) OR province_code = ANY($1::text[]))
            ORDER BY code`,
          [codes],
        );
        const under = new Map<string, string[]>(codes.map((c) => [c, []]));
        for (const r of rows) {
          // A county is under itself, its city and its province; a set avoids double entries.
          for (const key of new Set([r.code, r.parent_code, r.province_code])) under.get(key)?.push(r.code);
        }
        return codes.map((c) => under.get(c) ?? []);
      },
      identity,
      options,
    );
    this.successorsOf = this.linked('RegionSource.successorsOf', 'code', 'successor_code', options);
    this.predecessorsOf = this.linked('RegionSource.predecessorsOf', 'successor_code', 'code', options);
  }

  /**
   * A region another row refers to (a county's province, a stay's or a cluster's county, a flow's
   * ends): the schema answers it as a non-null `Region!`. Codes are written only after a check
   * against the list, and units are retired, never deleted, so a missing one is a database that
   * broke that invariant (or a subgraph database out of step): an internal error naming the code,
   * rather than a null in a non-null field. A plain value when already loaded, like `byCode.get`.
   */
  referenced(code: string): MaybePromise<Region> {
    return then(this.byCode.get(code), (region) => {
      if (region == null) throw brokenInvariant(`Region ${code} is referenced by stored data but is not in the region list`);
      return region;
    });
  }

  /** Regions linked by region.successors, from the `from` column's code to the `to` column's units. */
  private linked(name: string, from: 'code' | 'successor_code', to: 'code' | 'successor_code', options: { batch?: boolean }): Loader<string, Region[]> {
    return new Loader(
      async (codes) => {
        const rows = await queryRows(this.sql, name, RegionRow.extend({ linked_from: column.regionCode }),
          `SELECT s.${from} AS linked_from, ${COLUMNS.split(', ').map((c) => `r.${c}`).join(', ')}
             FROM region.successors s JOIN region.regions r ON r.code = s.${to}
            WHERE s.${from} = ANY($1::text[]) ORDER BY r.code`,
          [codes],
        );
        const linked = new Map<string, Region[]>(codes.map((c) => [c, []]));
        for (const row of rows) linked.get(row.linked_from)?.push(toRegion(row));
        return codes.map((c) => linked.get(c) ?? []);
      },
      identity,
      options,
    );
  }

  /** One page of regions in code order; primes `byCode` with the nodes. */
  async list(filter: RegionFilter, first: number, after: string | null): Promise<Page<Region>> {
    const { where, params } = filterSql(filter);
    const rows = await queryRows(this.sql, 'RegionSource.list', RegionRow,
      `SELECT ${COLUMNS} FROM region.regions
        WHERE ${where} AND ($${params.length + 1}::text IS NULL OR code > $${params.length + 1})
        ORDER BY code LIMIT $${params.length + 2}`,
      [...params, after, first + 1],
    );
    const nodes = rows.slice(0, first).map(toRegion);
    for (const r of nodes) this.byCode.prime(r.code, r);
    return {
      nodes,
      hasNextPage: rows.length > first,
      hasPreviousPage: after != null,
      cursorOf: (r) => encodeCursor('region', r.code),
      // A first page that holds every match is its own count: no second statement, and the same snapshot.
      totalCount: after == null && rows.length <= first ? nodes.length : () => this.count(filter),
    };
  }

  async count(filter: RegionFilter): Promise<number> {
    const { where, params } = filterSql(filter);
    const rows = await queryRows(this.sql, 'RegionSource.count', z.object({ n: column.count }),
      `SELECT count(*) AS n FROM region.regions WHERE ${where}`,
      params,
    );
    return rows[0].n;
  }
}

function filterSql(filter: RegionFilter): { where: string; params: unknown[] } {
  const params: unknown[] = [filter.asOf];
  const clauses: string[] = ['valid_from <= $1::date AND (valid_to IS NULL OR valid_to >= $1::date)'];
  const add = (column: string, value: unknown) => {
    if (value == null) return;
    params.push(value);
    clauses.push(`${column} = $${params.length}`);
  };
  add('level', filter.level);
  add('parent_code', filter.parentCode);
  add('kind', filter.kind);
  return { where: clauses.join(' AND '), params };
}

/** The codes of every county-level unit, which carriers' uploads are checked against (one statement, ≈ 3,000 codes). */
export async function countyCodes(sql: Sql): Promise<Set<string>> {
  const rows = await sql.query<{ code: string }>('RegionSource.countyCodes', `SELECT code FROM region.regions WHERE level = 'COUNTY'`);
  return new Set(rows.map((r) => r.code));
}

/** A region as the CSV export needs it (the whole list is 3,352 rows: held in memory, mapped onto case rows). */
export interface ExportRegion {
  code: string;
  name: string;
  level: RegionLevel;
  parentCode: string | null;
  provinceCode: string;
  population: number;
}

const ExportRegionRow = z.object({
  code: column.regionCode,
  name: column.text,
  level: column.regionLevel,
  parent_code: column.regionCode.nullable(),
  province_code: column.regionCode,
  population: column.count,
});

/** Every region, retired ones too, in code order, for the CSV export (services/dailyExport.ts); on the primary, outside any request. */
export async function exportRegions(pool: Pool): Promise<ExportRegion[]> {
  const { rows: raw } = await pool.query('/* RegionSource.exportRegions */ SELECT code, name, level, parent_code, province_code, population FROM region.regions ORDER BY code');
  const rows = parseRows('RegionSource.exportRegions', ExportRegionRow, raw);
  return rows.map((r) => ({ code: r.code, name: r.name, level: r.level, parentCode: r.parent_code, provinceCode: r.province_code, population: r.population }));
}
