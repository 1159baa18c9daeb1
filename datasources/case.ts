import type { Sql } from '../src/db/sql';
import { Loader } from './loader';
import { RiskChangeNotifier } from './riskChanges';

/**
 * What a case aggregate is about: a region (`code`), the county-level units whose reports make
 * it up (just the county itself for a county), and a window of days.
 */
export interface ScopeWindow {
  code: string;
  counties: readonly string[];
  from: string;
  to: string;
}
const scopeKey = (k: ScopeWindow) => `${k.code}|${k.from}|${k.to}`;

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

/** One day of a region's figures: the day's counts and the running confirmed total. */
export interface DailyFigures extends Omit<DailyReportInput, 'regionCode'> {
  cumulativeConfirmed: number;
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

export interface ClusterRecord {
  id: string;
  regionCode: string;
  detectedOn: string;
  size: number;
  description: string | null;
}

/** Flattens scope keys into parallel arrays for `unnest`: one element per (county, scope). */
function unnestScopes(keys: readonly ScopeWindow[]) {
  const counties: string[] = [];
  const scopes: string[] = [];
  const froms: string[] = [];
  const tos: string[] = [];
  for (const k of keys) {
    const key = scopeKey(k);
    for (const c of k.counties) {
      counties.push(c);
      scopes.push(key);
      froms.push(k.from);
      tos.push(k.to);
    }
  }
  return [counties, scopes, froms, tos];
}

/** Bumps cases.data_version; run inside the transaction that changes case data. */
export const BUMP_DATA_VERSION = 'UPDATE cases.data_version SET version = version + 1, changed_at = now()';

const EMPTY_SUMMARY = { newConfirmed: 0, newAsymptomatic: 0, newDeaths: 0, cumulativeConfirmed: 0, cumulativeRecovered: 0, cumulativeDeaths: 0, lastConfirmedOn: null, clusterCount: 0, lastClusterOn: null };

/** Daily case reports and clusters (health commission). Created per request. */
export class CaseSource {
  /** Window sums, as-of cumulative figures and clusters, per region scope and window. */
  readonly summary: Loader<ScopeWindow, CaseSummaryFigures>;
  /** Dense daily series (every day of the window), per region scope. */
  readonly daily: Loader<ScopeWindow, DailyFigures[]>;
  /** Clusters detected in the scope within the window, most recent first. */
  readonly clusters: Loader<ScopeWindow, ClusterRecord[]>;
  readonly clusterById: Loader<string, ClusterRecord | null>;
  /** Active infections (new confirmed + asymptomatic over the preceding 14 days) per county and day. */
  readonly activeSeries: Loader<ScopeWindow, Map<string, number>>;

  constructor(private readonly sql: Sql, options: { batch?: boolean } = {}) {
    this.summary = new Loader(
      async (keys) => {
        const rows = await sql.query<{
          scope: string; new_confirmed: number; new_asymptomatic: number; new_deaths: number;
          cumulative_confirmed: number; cumulative_recovered: number; cumulative_deaths: number;
          last_confirmed_on: string | null; cluster_count: number; last_cluster_on: string | null;
        }>(
          'CaseSource.summary',
          `WITH k AS (
             SELECT * FROM unnest($1::text[], $2::text[], $3::date[], $4::date[]) AS k(region_code, scope, from_date, to_date)
           )
           SELECT k.scope,
                  coalesce(sum(w.new_confirmed), 0)::int        AS new_confirmed,
                  coalesce(sum(w.new_asymptomatic), 0)::int     AS new_asymptomatic,
                  coalesce(sum(w.new_deaths), 0)::int           AS new_deaths,
                  coalesce(sum(l.cumulative_confirmed), 0)::int AS cumulative_confirmed,
                  coalesce(sum(l.cumulative_recovered), 0)::int AS cumulative_recovered,
                  coalesce(sum(l.cumulative_deaths), 0)::int    AS cumulative_deaths,
                  max(l.last_confirmed_on)                      AS last_confirmed_on,
                  coalesce(sum(c.cluster_count), 0)::int        AS cluster_count,
                  max(c.last_cluster_on)                        AS last_cluster_on
             FROM k
             LEFT JOIN LATERAL (
               SELECT sum(d.new_confirmed) AS new_confirmed, sum(d.new_asymptomatic) AS new_asymptomatic,
                      sum(d.new_deaths) AS new_deaths
                 FROM cases.daily_reports d
                WHERE d.region_code = k.region_code AND d.date BETWEEN k.from_date AND k.to_date
             ) w ON true
             LEFT JOIN LATERAL (
               SELECT d.cumulative_confirmed, d.cumulative_recovered, d.cumulative_deaths, d.last_confirmed_on
                 FROM cases.daily_reports d
                WHERE d.region_code = k.region_code AND d.date <= k.to_date
                ORDER BY d.date DESC LIMIT 1
             ) l ON true
             -- Clusters are few: one hash join instead of a (sequential) probe per county.
             LEFT JOIN (
               SELECT k.scope, k.region_code,
                      count(*) FILTER (WHERE c.detected_on >= k.from_date) AS cluster_count,
                      max(c.detected_on) AS last_cluster_on
                 FROM k JOIN cases.clusters c ON c.region_code = k.region_code AND c.detected_on <= k.to_date
                GROUP BY k.scope, k.region_code
             ) c ON c.scope = k.scope AND c.region_code = k.region_code
            GROUP BY k.scope`,
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

    this.daily = new Loader(
      async (keys) => {
        const rows = await sql.query<{
          scope: string; date: string; new_confirmed: number; new_asymptomatic: number; new_suspected: number;
          new_recovered: number; new_deaths: number; cumulative_confirmed: number;
        }>(
          'CaseSource.daily',
          `WITH k AS (
             SELECT * FROM unnest($1::text[], $2::text[], $3::date[], $4::date[]) AS k(region_code, scope, from_date, to_date)
           ), kd AS (
             SELECT k.region_code, k.scope, g::date AS date
               FROM k CROSS JOIN LATERAL generate_series(k.from_date, k.to_date, interval '1 day') AS g
           )
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

    this.clusters = new Loader(
      async (keys) => {
        const rows = await sql.query<{ scope: string; id: string; region_code: string; detected_on: string; size: number; description: string | null }>(
          'CaseSource.clusters',
          `WITH k AS (
             SELECT * FROM unnest($1::text[], $2::text[], $3::date[], $4::date[]) AS k(region_code, scope, from_date, to_date)
           )
           SELECT k.scope, c.id::text AS id, c.region_code, c.detected_on, c.size, c.description
             FROM k JOIN cases.clusters c
               ON c.region_code = k.region_code AND c.detected_on BETWEEN k.from_date AND k.to_date
            ORDER BY c.detected_on DESC, c.id DESC`,
          unnestScopes(keys),
        );
        const byScope = new Map<string, ClusterRecord[]>(keys.map((k) => [scopeKey(k), []]));
        for (const r of rows) {
          byScope.get(r.scope)?.push({ id: r.id, regionCode: r.region_code, detectedOn: r.detected_on, size: r.size, description: r.description });
        }
        return keys.map((k) => byScope.get(scopeKey(k)) ?? []);
      },
      scopeKey,
      options,
    );

    this.clusterById = new Loader(
      async (ids) => {
        const rows = await sql.query<{ id: string; region_code: string; detected_on: string; size: number; description: string | null }>(
          'CaseSource.clusterById',
          'SELECT id::text, region_code, detected_on, size, description FROM cases.clusters WHERE id = ANY($1::bigint[])',
          [ids],
        );
        const byId = new Map(rows.map((r) => [r.id, { id: r.id, regionCode: r.region_code, detectedOn: r.detected_on, size: r.size, description: r.description }]));
        return ids.map((id) => byId.get(id) ?? null);
      },
      (id) => id,
      options,
    );

    this.activeSeries = new Loader(
      async (keys) => {
        const rows = await sql.query<{ scope: string; date: string; active: number }>(
          'CaseSource.activeSeries',
          `WITH k AS (
             SELECT * FROM unnest($1::text[], $2::text[], $3::date[], $4::date[]) AS k(region_code, scope, from_date, to_date)
           ), kd AS (
             SELECT k.region_code, k.scope, g::date AS date
               FROM k CROSS JOIN LATERAL generate_series(k.from_date, k.to_date, interval '1 day') AS g
           )
           SELECT kd.scope, kd.date, sum(d.new_confirmed + d.new_asymptomatic)::int AS active
             FROM kd JOIN cases.daily_reports d
               ON d.region_code = kd.region_code AND d.date BETWEEN kd.date - 13 AND kd.date
            GROUP BY kd.scope, kd.date
           HAVING sum(d.new_confirmed + d.new_asymptomatic) > 0`,
          unnestScopes(keys),
        );
        const byScope = new Map<string, Map<string, number>>(keys.map((k) => [scopeKey(k), new Map()]));
        for (const r of rows) byScope.get(r.scope)?.set(r.date, r.active);
        return keys.map((k) => byScope.get(scopeKey(k)) ?? new Map());
      },
      scopeKey,
      options,
    );
  }

  /**
   * Stores daily reports in one transaction: a (region, date) that exists is replaced, then the
   * running columns (cumulative_*, last_confirmed_on) are recomputed for each affected region
   * from its earliest changed day onwards, so later rows stay consistent after a correction.
   */
  async reportDaily(reports: readonly DailyReportInput[]): Promise<number> {
    const col = <K extends keyof DailyReportInput>(k: K) => reports.map((r) => r[k]);
    return this.sql.transaction('CaseSource.reportDaily', async (query) => {
      // live updates: counties whose level (as of today) this report changes are notified on commit
      const riskChanges = await RiskChangeNotifier.before(query, col('regionCode'));
      await query(
        'CaseSource.reportDaily.upsert',
        `INSERT INTO cases.daily_reports AS d
                (region_code, date, new_confirmed, new_asymptomatic, new_suspected, new_recovered, new_deaths)
         SELECT * FROM unnest($1::text[], $2::date[], $3::int[], $4::int[], $5::int[], $6::int[], $7::int[])
         ON CONFLICT (region_code, date) DO UPDATE SET
           new_confirmed = EXCLUDED.new_confirmed, new_asymptomatic = EXCLUDED.new_asymptomatic,
           new_suspected = EXCLUDED.new_suspected, new_recovered = EXCLUDED.new_recovered,
           new_deaths = EXCLUDED.new_deaths, reported_at = now()`,
        [col('regionCode'), col('date'), col('newConfirmed'), col('newAsymptomatic'), col('newSuspected'), col('newRecovered'), col('newDeaths')],
      );
      await query(
        'CaseSource.reportDaily.recomputeRunning',
        `WITH affected AS (
           SELECT region_code, min(date) AS from_date FROM unnest($1::text[], $2::date[]) AS a(region_code, date) GROUP BY region_code
         ), base AS (
           SELECT a.region_code, a.from_date,
                  coalesce(p.cumulative_confirmed, 0) AS c, coalesce(p.cumulative_recovered, 0) AS r,
                  coalesce(p.cumulative_deaths, 0) AS x, p.last_confirmed_on
             FROM affected a
             LEFT JOIN LATERAL (
               SELECT cumulative_confirmed, cumulative_recovered, cumulative_deaths, last_confirmed_on
                 FROM cases.daily_reports d WHERE d.region_code = a.region_code AND d.date < a.from_date
                ORDER BY d.date DESC LIMIT 1
             ) p ON true
         ), running AS (
           SELECT d.region_code, d.date,
                  b.c + sum(d.new_confirmed) OVER w AS cumulative_confirmed,
                  b.r + sum(d.new_recovered) OVER w AS cumulative_recovered,
                  b.x + sum(d.new_deaths) OVER w AS cumulative_deaths,
                  coalesce(max(CASE WHEN d.new_confirmed > 0 THEN d.date END) OVER w, b.last_confirmed_on) AS last_confirmed_on
             FROM cases.daily_reports d JOIN base b ON b.region_code = d.region_code AND d.date >= b.from_date
           WINDOW w AS (PARTITION BY d.region_code ORDER BY d.date ROWS UNBOUNDED PRECEDING)
         )
         UPDATE cases.daily_reports t
            SET cumulative_confirmed = r.cumulative_confirmed, cumulative_recovered = r.cumulative_recovered,
                cumulative_deaths = r.cumulative_deaths, last_confirmed_on = r.last_confirmed_on
           FROM running r
          WHERE t.region_code = r.region_code AND t.date = r.date`,
        [col('regionCode'), col('date')],
      );
      await query('CaseSource.bumpDataVersion', BUMP_DATA_VERSION);
      await riskChanges.notify();
      return reports.length;
    });
  }

  /** Stores a cluster report and returns it. */
  async reportCluster(input: { regionCode: string; detectedOn: string; size: number; description: string | null }): Promise<ClusterRecord> {
    // One transaction, so the insert, the version bump and the live-update notification commit together.
    return this.sql.transaction('CaseSource.reportCluster', async (query) => {
      const riskChanges = await RiskChangeNotifier.before(query, [input.regionCode]);
      const [row] = await query<{ id: string; region_code: string; detected_on: string; size: number; description: string | null }>(
        'CaseSource.reportCluster.insert',
        `WITH bump AS (${BUMP_DATA_VERSION})
         INSERT INTO cases.clusters (region_code, detected_on, size, description) VALUES ($1, $2, $3, $4)
         RETURNING id::text, region_code, detected_on, size, description`,
        [input.regionCode, input.detectedOn, input.size, input.description],
      );
      await riskChanges.notify();
      return { id: row.id, regionCode: row.region_code, detectedOn: row.detected_on, size: row.size, description: row.description };
    });
  }

  /** The latest day with any stored report, or null on an empty database. */
  async latestReportDate(): Promise<string | null> {
    const rows = await this.sql.query<{ latest: string | null }>(
      'CaseSource.latestReportDate',
      'SELECT max(date) AS latest FROM cases.daily_reports',
    );
    return rows[0].latest;
  }

  /**
   * Every county's non-zero daily counts in [from, to], in one statement (the national import-risk
   * forecast and the backtest): a scan of the date index, independent of how many counties ask.
   */
  async countsBetween(from: string, to: string): Promise<import('../src/risk/national').CountyDayCounts[]> {
    const rows = await this.sql.query<{ region_code: string; date: string; new_confirmed: number; new_asymptomatic: number; new_suspected: number }>(
      'CaseSource.countsBetween',
      `SELECT region_code, date, new_confirmed, new_asymptomatic, new_suspected
         FROM cases.daily_reports
        WHERE date BETWEEN $1 AND $2 AND (new_confirmed > 0 OR new_asymptomatic > 0 OR new_suspected > 0)
        ORDER BY region_code, date`,
      [from, to],
    );
    return rows.map((r) => ({
      regionCode: r.region_code,
      date: r.date,
      newConfirmed: r.new_confirmed,
      newAsymptomatic: r.new_asymptomatic,
      newSuspected: r.new_suspected,
    }));
  }
}
