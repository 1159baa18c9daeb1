import { z } from 'zod';
import type { Sql } from '../src/db/sql';
import { Loader, type LoaderOptions } from './loader';
import { SCOPE_DAYS, SCOPE_KEYS, scopeKey, scopeKeys, unnestScopes, windowScopeKeys, type ScopeWindow } from './scope';
import { countyRiskInputsCte, countyRiskInputsOverRangeCte, isWideWindow } from './countyRiskInputs';
import { daysBetween } from '../src/risk/dates';
import { column, queryRows } from '../src/db/rows';

/**
 * The batched reads of the case source, one factory per loader (CaseSource holds them). Each
 * statement is named after the loader; rows are parsed at this boundary (src/db/rows.ts).
 */

export interface CaseSummaryFigures {
  from: string;
  to: string;
  newConfirmed: number;
  newAsymptomatic: number;
  newDeaths: number;
  cumulativeConfirmed: number;
  cumulativeRecovered: number;
  cumulativeDeaths: number;
  lastConfirmedOn: string | null;
  clusterCount: number;
  lastClusterOn: string | null;
}

export interface DailyReportInput {
  regionCode: string;
  date: string;
  newConfirmed: number;
  newAsymptomatic: number;
  newSuspected: number;
  newRecovered: number;
  newDeaths: number;
}

/** One day of a region's figures: the day's counts and the running confirmed total. */
export interface DailyFigures extends Omit<DailyReportInput, 'regionCode'> {
  cumulativeConfirmed: number;
}

export interface ClusterRecord {
  id: string;
  regionCode: string;
  detectedOn: string;
  size: number;
  description: string | null;
}

const EMPTY_SUMMARY = { newConfirmed: 0, newAsymptomatic: 0, newDeaths: 0, cumulativeConfirmed: 0, cumulativeRecovered: 0, cumulativeDeaths: 0, lastConfirmedOn: null, clusterCount: 0, lastClusterOn: null };

const SummaryRow = z.object({
  /** The key's place in the batch. */
  scope: column.count,
  new_confirmed: column.count,
  new_asymptomatic: column.count,
  new_deaths: column.count,
  cumulative_confirmed: column.count,
  cumulative_recovered: column.count,
  cumulative_deaths: column.count,
  last_confirmed_on: column.date.nullable(),
  cluster_count: column.count,
  last_cluster_on: column.date.nullable(),
});

/**
 * Window sums, as-of cumulative figures and clusters per scope: the counties' risk inputs, summed.
 * One statement per batch: the keys of windows asked for by many counties (the national map's) are
 * read by one range scan per window, the others by probes (datasources/countyRiskInputs.ts).
 */
export function summaryLoader(sql: Sql, options: LoaderOptions): Loader<ScopeWindow, CaseSummaryFigures> {
  return new Loader(
    async (keys) => {
      const rows = await queryRows(sql, 'CaseSource.summary', SummaryRow, ...summaryStatement(keys));
      const byPlace: (z.output<typeof SummaryRow> | undefined)[] = new Array(keys.length);
      for (const r of rows) byPlace[r.scope] = r;
      return keys.map((k, i) => {
        const r = byPlace[i];
        if (!r) return { from: k.from, to: k.to, ...EMPTY_SUMMARY };
        return {
          from: k.from,
          to: k.to,
          newConfirmed: r.new_confirmed,
          newAsymptomatic: r.new_asymptomatic,
          newDeaths: r.new_deaths,
          cumulativeConfirmed: r.cumulative_confirmed,
          cumulativeRecovered: r.cumulative_recovered,
          cumulativeDeaths: r.cumulative_deaths,
          lastConfirmedOn: r.last_confirmed_on,
          clusterCount: r.cluster_count,
          lastClusterOn: r.last_cluster_on,
        };
      });
    },
    scopeKey,
    options,
  );
}

/**
 * The summary statement of a batch and its parameters. Only the access paths the batch uses are in
 * it: PostgreSQL plans each statement anew, and planning the unused one too cost ≈ 1 ms a statement
 * (6,000 one-key statements of the bench's N+1 baseline took twice as long).
 */
function summaryStatement(keys: readonly ScopeWindow[]): [string, unknown[]] {
  const { narrow, wide, window } = byWindowWidth(keys);
  // Rows name their key by its place in the batch: an int to group by and to read back, instead of
  // a scope key (25 characters) to build, send, group by, parse and look up for each of 2,978 keys.
  const places = new Map(keys.map((k, i) => [k, i]));
  const placeOf = (k: ScopeWindow) => places.get(k)!;
  const ctes: string[] = [];
  const parts: string[] = [];
  const params: unknown[] = [];
  if (narrow.length > 0) {
    ctes.push(scopeKeys('k', params.length + 1, 'int'), countyRiskInputsCte('k', 'narrow_inputs'));
    parts.push('SELECT * FROM narrow_inputs');
    params.push(...unnestScopes(narrow, placeOf));
  }
  if (window) {
    const at = params.length;
    ctes.push(windowScopeKeys('kw', at + 1, 'int'), countyRiskInputsOverRangeCte('kw', { from: `$${at + 3}::date`, to: `$${at + 4}::date` }, 'wide_inputs'));
    parts.push('SELECT * FROM wide_inputs');
    const [counties, scopes] = unnestScopes(wide, placeOf);
    params.push(counties, scopes, window.from, window.to);
  }
  const text = `WITH ${ctes.join(',\n')}
     SELECT scope,
            sum(new_confirmed_in_window)::int    AS new_confirmed,
            sum(new_asymptomatic_in_window)::int AS new_asymptomatic,
            sum(new_deaths_in_window)::int       AS new_deaths,
            sum(cumulative_confirmed)::int       AS cumulative_confirmed,
            sum(cumulative_recovered)::int       AS cumulative_recovered,
            sum(cumulative_deaths)::int          AS cumulative_deaths,
            max(last_confirmed_on)               AS last_confirmed_on,
            sum(clusters_in_window)::int         AS cluster_count,
            max(last_cluster_on)                 AS last_cluster_on
       FROM (${parts.join(' UNION ALL ')}) county_risk_inputs
      GROUP BY scope`;
  return [text, params];
}

/**
 * Keys split by access path: those of the window most counties ask for, when it is wide enough
 * (`isWideWindow`: the counties asking for it, its days), are read by one range scan; the rest (a
 * batch seldom mixes windows) by probes.
 */
export function byWindowWidth(keys: readonly ScopeWindow[]): { narrow: ScopeWindow[]; wide: ScopeWindow[]; window: { from: string; to: string } | null } {
  const countiesByWindow = new Map<string, number>();
  let widest: ScopeWindow | null = null;
  let most = 0;
  for (const k of keys) {
    const id = `${k.from}|${k.to}`;
    const counties = (countiesByWindow.get(id) ?? 0) + k.counties.length;
    countiesByWindow.set(id, counties);
    if (counties > most) [widest, most] = [k, counties];
  }
  if (!widest || !isWideWindow(most, daysBetween(widest.from, widest.to) + 1)) return { narrow: [...keys], wide: [], window: null };
  const { from, to } = widest;
  const narrow: ScopeWindow[] = [];
  const wide: ScopeWindow[] = [];
  for (const k of keys) (k.from === from && k.to === to ? wide : narrow).push(k);
  return { narrow, wide, window: { from, to } };
}

const DailyRow = z.object({
  scope: column.text,
  date: column.date,
  new_confirmed: column.count,
  new_asymptomatic: column.count,
  new_suspected: column.count,
  new_recovered: column.count,
  new_deaths: column.count,
  cumulative_confirmed: column.count,
});

/**
 * Every day of each scope's window: the sums of its counties' reports that day, and the scope's
 * cumulative confirmed count — each county's last reported cumulative on or before the day (a day
 * without a report carries the figure forward), summed.
 *
 * Set-based, in O(reports in the windows), not O(counties × days): a province over 366 days was one
 * probe per county and day (36,600; the whole country 1.1 million, five seconds of a core), whatever
 * the reports. The cumulative is rebuilt from rises: each county's last cumulative before the window
 * (`base`, one index probe per county), plus, day by day, what each report added to its county's
 * previous figure (`lag` over the county's reports) — base + the running sum of rises up to a day is
 * the county's last reported cumulative by then (the sum telescopes), summed over the scope's counties.
 */
const DAILY_SQL = `WITH ${SCOPE_KEYS},
  base AS (
    SELECT k.scope, k.region_code, k.from_date, k.to_date,
           coalesce((SELECT p.cumulative_confirmed FROM cases.daily_reports p
                      WHERE p.region_code = k.region_code AND p.date < k.from_date
                      ORDER BY p.date DESC LIMIT 1), 0) AS cumulative
      FROM k
  ),
  reports AS (
    SELECT b.scope, d.date, d.new_confirmed, d.new_asymptomatic, d.new_suspected, d.new_recovered, d.new_deaths,
           d.cumulative_confirmed - coalesce(lag(d.cumulative_confirmed) OVER (PARTITION BY b.scope, b.region_code ORDER BY d.date), b.cumulative) AS rise
      FROM base b
      JOIN cases.daily_reports d ON d.region_code = b.region_code AND d.date BETWEEN b.from_date AND b.to_date
  ),
  per_day AS (
    SELECT scope, date, sum(new_confirmed) AS new_confirmed, sum(new_asymptomatic) AS new_asymptomatic,
           sum(new_suspected) AS new_suspected, sum(new_recovered) AS new_recovered, sum(new_deaths) AS new_deaths, sum(rise) AS rise
      FROM reports GROUP BY scope, date
  ),
  scopes AS (
    SELECT scope, min(from_date) AS from_date, min(to_date) AS to_date, sum(cumulative) AS cumulative FROM base GROUP BY scope
  )
SELECT s.scope, g::date AS date,
       coalesce(p.new_confirmed, 0)::int    AS new_confirmed,
       coalesce(p.new_asymptomatic, 0)::int AS new_asymptomatic,
       coalesce(p.new_suspected, 0)::int    AS new_suspected,
       coalesce(p.new_recovered, 0)::int    AS new_recovered,
       coalesce(p.new_deaths, 0)::int       AS new_deaths,
       (s.cumulative + sum(coalesce(p.rise, 0)) OVER (PARTITION BY s.scope ORDER BY g))::int AS cumulative_confirmed
  FROM scopes s
 CROSS JOIN LATERAL generate_series(s.from_date, s.to_date, interval '1 day') AS g
  LEFT JOIN per_day p ON p.scope = s.scope AND p.date = g::date
 ORDER BY s.scope, date`;

/** Dense daily series (every day of the window), per scope (DAILY_SQL). */
export function dailyLoader(sql: Sql, options: LoaderOptions): Loader<ScopeWindow, DailyFigures[]> {
  return new Loader(
    async (keys) => {
      const rows = await queryRows(sql, 'CaseSource.daily', DailyRow, DAILY_SQL, unnestScopes(keys));
      const byScope = new Map<string, DailyFigures[]>();
      for (const r of rows) {
        let list = byScope.get(r.scope);
        if (!list) byScope.set(r.scope, (list = []));
        list.push({
          date: r.date,
          newConfirmed: r.new_confirmed,
          newAsymptomatic: r.new_asymptomatic,
          newSuspected: r.new_suspected,
          newRecovered: r.new_recovered,
          newDeaths: r.new_deaths,
          cumulativeConfirmed: r.cumulative_confirmed,
        });
      }
      return keys.map((k) => byScope.get(scopeKey(k)) ?? []);
    },
    scopeKey,
    options,
  );
}

export const ClusterRow = z.object({
  id: column.text,
  region_code: column.regionCode,
  detected_on: column.date,
  size: column.count,
  description: column.text.nullable(),
});
export const toCluster = (r: z.output<typeof ClusterRow>): ClusterRecord => ({
  id: r.id,
  regionCode: r.region_code,
  detectedOn: r.detected_on,
  size: r.size,
  description: r.description,
});

/** Clusters detected in the scope within the window, most recent first. */
export function clustersLoader(sql: Sql, options: LoaderOptions): Loader<ScopeWindow, ClusterRecord[]> {
  return new Loader(
    async (keys) => {
      const rows = await queryRows(sql, 'CaseSource.clusters', ClusterRow.extend({ scope: column.text }),
        `WITH ${SCOPE_KEYS}
         SELECT k.scope, c.id::text AS id, c.region_code, c.detected_on, c.size, c.description
           FROM k JOIN cases.clusters c
             ON c.region_code = k.region_code AND c.detected_on BETWEEN k.from_date AND k.to_date
          ORDER BY c.detected_on DESC, c.id DESC`,
        unnestScopes(keys),
      );
      const byScope = new Map<string, ClusterRecord[]>(keys.map((k) => [scopeKey(k), []]));
      for (const r of rows) byScope.get(r.scope)?.push(toCluster(r));
      return keys.map((k) => byScope.get(scopeKey(k)) ?? []);
    },
    scopeKey,
    options,
  );
}

/** Clusters by id (`Cluster` references). */
export function clusterByIdLoader(sql: Sql, options: LoaderOptions): Loader<string, ClusterRecord | null> {
  return new Loader(
    async (ids) => {
      const rows = await queryRows(sql, 'CaseSource.clusterById', ClusterRow,
        'SELECT id::text, region_code, detected_on, size, description FROM cases.clusters WHERE id = ANY($1::bigint[])',
        [ids],
      );
      const byId = new Map(rows.map((r) => [r.id, toCluster(r)]));
      return ids.map((id) => byId.get(id) ?? null);
    },
    (id) => id,
    options,
  );
}

const ActiveRow = z.object({ scope: column.text, date: column.date, active: column.count });

/**
 * Active infections per county and day: new confirmed + asymptomatic over the `infectiousDays`
 * days ending on each day (the model's parameter, src/risk/activeCases.ts).
 */
export function activeSeriesLoader(sql: Sql, options: LoaderOptions, infectiousDays: number): Loader<ScopeWindow, Map<string, number>> {
  return new Loader(
    async (keys) => {
      const rows = await queryRows(sql, 'CaseSource.activeSeries', ActiveRow,
        `WITH ${SCOPE_DAYS}
         SELECT kd.scope, kd.date, sum(d.new_confirmed + d.new_asymptomatic)::int AS active
           FROM kd JOIN cases.daily_reports d
             ON d.region_code = kd.region_code AND d.date BETWEEN kd.date - $5::int + 1 AND kd.date
          GROUP BY kd.scope, kd.date
         HAVING sum(d.new_confirmed + d.new_asymptomatic) > 0`,
        [...unnestScopes(keys), infectiousDays],
      );
      const byScope = new Map<string, Map<string, number>>(keys.map((k) => [scopeKey(k), new Map()]));
      for (const r of rows) byScope.get(r.scope)?.set(r.date, r.active);
      return keys.map((k) => byScope.get(scopeKey(k)) ?? new Map());
    },
    scopeKey,
    options,
  );
}
