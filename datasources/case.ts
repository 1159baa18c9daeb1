import { z } from 'zod';
import type { Sql } from '../src/db/sql';
import type { Loader } from './loader';
import { RiskChangeNotifier } from './riskChanges';
import type { ScopeWindow } from './scope';
import {
  activeSeriesLoader,
  clusterByIdLoader,
  clustersLoader,
  dailyLoader,
  summaryLoader,
  ClusterRow,
  toCluster,
  type CaseSummaryFigures,
  type ClusterRecord,
  type DailyFigures,
  type DailyReportInput,
} from './caseReads';
import { column, queryRows } from '../src/db/rows';
import { DEFAULT_INFECTIOUS_DAYS, type CountyDayCounts } from '../src/risk';

export type { ScopeWindow } from './scope';
export type { CaseSummaryFigures, ClusterRecord, DailyFigures, DailyReportInput } from './caseReads';

const CountsRow = z.object({
  region_code: column.regionCode,
  date: column.date,
  new_confirmed: column.count,
  new_asymptomatic: column.count,
  new_suspected: column.count,
});

/**
 * Daily case reports and clusters (health commission). Created per request. The batched reads are
 * built in ./caseReads.ts; the writes bump `cases.data_version` through the tables' statement
 * triggers (migration cases/1700000000002), in the writing transaction.
 */
export class CaseSource {
  /** Window sums, as-of cumulative figures and clusters, per region scope and window. */
  readonly summary: Loader<ScopeWindow, CaseSummaryFigures>;
  /** Dense daily series (every day of the window), per region scope. */
  readonly daily: Loader<ScopeWindow, DailyFigures[]>;
  /** Clusters detected in the scope within the window, most recent first. */
  readonly clusters: Loader<ScopeWindow, ClusterRecord[]>;
  readonly clusterById: Loader<string, ClusterRecord | null>;
  /** Active infections (new confirmed + asymptomatic over the preceding infectious period) per county and day. */
  readonly activeSeries: Loader<ScopeWindow, Map<string, number>>;

  constructor(private readonly sql: Sql, options: { batch?: boolean } = {}) {
    this.summary = summaryLoader(sql, options);
    this.daily = dailyLoader(sql, options);
    this.clusters = clustersLoader(sql, options);
    this.clusterById = clusterByIdLoader(sql, options);
    this.activeSeries = activeSeriesLoader(sql, options, DEFAULT_INFECTIOUS_DAYS);
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
      await riskChanges.notify();
      return reports.length;
    });
  }

  /** Stores a cluster report and returns it. */
  async reportCluster(input: { regionCode: string; detectedOn: string; size: number; description: string | null }): Promise<ClusterRecord> {
    // One transaction, so the insert, the version bump (its trigger) and the live-update notification commit together.
    return this.sql.transaction('CaseSource.reportCluster', async (query) => {
      const riskChanges = await RiskChangeNotifier.before(query, [input.regionCode]);
      const [row] = await queryRows({ query }, 'CaseSource.reportCluster.insert', ClusterRow,
        `INSERT INTO cases.clusters (region_code, detected_on, size, description) VALUES ($1, $2, $3, $4)
         RETURNING id::text, region_code, detected_on, size, description`,
        [input.regionCode, input.detectedOn, input.size, input.description],
      );
      await riskChanges.notify();
      return toCluster(row);
    });
  }

  /** The latest day with any stored report, or null on an empty database. */
  async latestReportDate(): Promise<string | null> {
    const rows = await queryRows(this.sql, 'CaseSource.latestReportDate', z.object({ latest: column.date.nullable() }),
      'SELECT max(date) AS latest FROM cases.daily_reports',
    );
    return rows[0].latest;
  }

  /**
   * Every county's non-zero daily counts in [from, to], in one statement (the national import-risk
   * forecast and the backtest): a scan of the date index, independent of how many counties ask.
   */
  async countsBetween(from: string, to: string): Promise<CountyDayCounts[]> {
    const rows = await queryRows(this.sql, 'CaseSource.countsBetween', CountsRow,
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
