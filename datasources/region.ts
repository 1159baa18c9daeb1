import type { Sql } from '../src/db/sql';
import { z } from 'zod';
import { Loader } from './loader';
import { column, queryRows } from '../src/db/rows';
import { encodeCursor, type Page } from '../src/graphql/pagination';
import type { Region, RegionKind, RegionLevel } from '../src/regionCode';

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
});
type RegionRow = z.output<typeof RegionRow>;

const COLUMNS =
  'code, name, official_name, level, kind, parent_code, province_code, population, population_source, population_year';

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
});

export interface RegionFilter {
  level?: RegionLevel | null;
  parentCode?: string | null;
  kind?: RegionKind | null;
}

const identity = (s: string) => s;

/** Administrative divisions (civil affairs). Created per request: its loaders cache per request. */
export class RegionSource {
  readonly byCode: Loader<string, Region | null>;
  readonly childrenByParent: Loader<string, Region[]>;
  /** County-level units under a province or city (the unit itself for a county). */
  readonly countyCodesUnder: Loader<string, string[]>;

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
      totalCount: () => this.count(filter),
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
  const clauses: string[] = [];
  const params: unknown[] = [];
  const add = (column: string, value: unknown) => {
    if (value == null) return;
    params.push(value);
    clauses.push(`${column} = $${params.length}`);
  };
  add('level', filter.level);
  add('parent_code', filter.parentCode);
  add('kind', filter.kind);
  return { where: clauses.length ? clauses.join(' AND ') : 'TRUE', params };
}
