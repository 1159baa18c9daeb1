/**
 * What a case or mobility aggregate is about: a region (`code`), the county-level units whose rows
 * make it up (just the county itself for a county), and a window of days. Both stores batch such
 * keys the same way, so the key, its flattening and the SQL that reads it back live here once.
 */
export interface ScopeWindow {
  code: string;
  counties: readonly string[];
  from: string;
  to: string;
}

/** The cache and batch key of a scope window. */
export const scopeKey = (k: ScopeWindow): string => `${k.code}|${k.from}|${k.to}`;

/**
 * Flattens scope keys into the four parallel arrays of `SCOPE_KEYS` (`$1`…`$4`): one element per
 * (county, scope). `keyOf` names the scope in the rows that come back (default: `scopeKey`; a
 * number, such as the key's place in its batch, with `scopeKeys(…, 'int')`).
 */
export function unnestScopes<K extends ScopeWindow>(keys: readonly K[]): [string[], string[], string[], string[]];
export function unnestScopes<K extends ScopeWindow, S extends string | number>(keys: readonly K[], keyOf: (k: K) => S): [string[], S[], string[], string[]];
export function unnestScopes(keys: readonly ScopeWindow[], keyOf: (k: ScopeWindow) => string | number = scopeKey): [string[], (string | number)[], string[], string[]] {
  const counties: string[] = [];
  const scopes: (string | number)[] = [];
  const froms: string[] = [];
  const tos: string[] = [];
  for (const k of keys) {
    const key = keyOf(k);
    for (const c of k.counties) {
      counties.push(c);
      scopes.push(key);
      froms.push(k.from);
      tos.push(k.to);
    }
  }
  return [counties, scopes, froms, tos];
}

/**
 * The CTE `name(region_code, scope, from_date, to_date)` over the arrays of `unnestScopes`, bound as
 * the four parameters from `$first`; `scope` is text (a `scopeKey`) or an int (a key's place in its batch).
 */
export function scopeKeys(name: string, first: number, scope: 'text' | 'int' = 'text'): string {
  const [a, b, c, d] = [first, first + 1, first + 2, first + 3];
  return `${name} AS (SELECT * FROM unnest($${a}::text[], $${b}::${scope}[], $${c}::date[], $${d}::date[]) AS ${name}(region_code, scope, from_date, to_date))`;
}

/**
 * The same CTE for keys that all share one window: the first two arrays of `unnestScopes` (counties,
 * scopes) bound from `$first`, the window's bounds as the two parameters after them. Two dates per
 * key were 6,000 quoted array elements to write and parse for the national map.
 */
export function windowScopeKeys(name: string, first: number, scope: 'text' | 'int' = 'text'): string {
  const [a, b, from, to] = [first, first + 1, first + 2, first + 3];
  return `${name} AS (SELECT u.region_code, u.scope, $${from}::date AS from_date, $${to}::date AS to_date
      FROM unnest($${a}::text[], $${b}::${scope}[]) AS u(region_code, scope))`;
}

/** The CTE `k(region_code, scope, from_date, to_date)` over the arrays of `unnestScopes`, bound as $1…$4. */
export const SCOPE_KEYS = scopeKeys('k', 1);

/** `SCOPE_KEYS` and the CTE `kd(region_code, scope, date)`: every day of each key's window. */
export const SCOPE_DAYS = `${SCOPE_KEYS}, kd AS (
  SELECT k.region_code, k.scope, g::date AS date
    FROM k CROSS JOIN LATERAL generate_series(k.from_date, k.to_date, interval '1 day') AS g
)`;
