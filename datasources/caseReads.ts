import { z } from 'zod';
import type { Sql } from '../src/db/sql';
import { Loader } from './loader';
import { SCOPE_DAYS, SCOPE_KEYS, scopeKey, unnestScopes, type ScopeWindow } from './scope';
import { countyRiskInputsCte } from './countyRiskInputs';
import { column, queryRows } from '../src/db/rows';

/**
 * The batched reads of the case source, one factory per loader (CaseSource holds them). Each
 * statement is named after the loader; rows are parsed at this boundary (src/db/rows.ts).
 */

type LoaderOptions = { batch?: boolean };

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
  scope: column.text,
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

/** Window sums, as-of cumulative figures and clusters per scope: the counties' risk inputs, summed. */
export function summaryLoader(sql: Sql, options: LoaderOptions): Loader<ScopeWindow, CaseSummaryFigures> {
  return new Loader(
    async (keys) => {
      const rows = await queryRows(sql, 'CaseSource.summary', SummaryRow,
        `WITH ${SCOPE_KEYS}, ${countyRiskInputsCte('k')}
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
           FROM county_risk_inputs
          GROUP BY scope`,
        unnestScopes(keys),
      );
      const byScope = new Map(rows.map((r) => [r.scope, r]));
      return keys.map((k) => {
        const r = byScope.get(scopeKey(k));
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

/** Dense daily series (every day of the window), per scope. */
export function dailyLoader(sql: Sql, options: LoaderOptions): Loader<ScopeWindow, DailyFigures[]> {
  return new Loader(
    async (keys) => {
      const rows = await queryRows(sql, 'CaseSource.daily', DailyRow,
        `WITH ${SCOPE_DAYS}
         SELECT kd.scope, kd.date,
                coalesce(sum(d.new_confirmed), 0)::int    AS new_confirmed,
                coalesce(sum(d.new_asymptomatic), 0)::int AS new_asymptomatic,
                coalesce(sum(d.new_suspected), 0)::int    AS new_suspected,
                coalesce(sum(d.new_recovered), 0)::int    AS new_recovered,
                coalesce(sum(d.new_deaths), 0)::int       AS new_deaths,
                -- a day without a report row carries the last cumulative figure forward
                coalesce(sum(coalesce(d.cumulative_confirmed, (
                  SELECT p.cumulative_confirmed FROM cases.daily_reports p
                   WHERE p.region_code = kd.region_code AND p.date < kd.date
                   ORDER BY p.date DESC LIMIT 1))), 0)::int AS cumulative_confirmed
           FROM kd
           LEFT JOIN cases.daily_reports d ON d.region_code = kd.region_code AND d.date = kd.date
          GROUP BY kd.scope, kd.date
          ORDER BY kd.scope, kd.date`,
        unnestScopes(keys),
      );
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
