import type { CountyRiskInputs } from '../src/risk';

/**
 * The CN_2020_COUNTY inputs of a county, derived from the case source in one place: how much was
 * confirmed up to a day, how much within the window ending on it, and the last case and cluster
 * dates on or before it. `CaseSource.summary` (the map, and the verdicts of `Region.risk`),
 * `RiskChanges` (live level changes around an ingestion) and the export all read them from here,
 * so they cannot drift apart (tests/integration/countyRiskInputs.test.ts checks that they agree).
 *
 * Two access paths over the same definition, because the two shapes of question differ by orders
 * of magnitude in cost: a window per key (a day each — the map asks for ~3,000 counties at once)
 * is a handful of index-only probes per county; every day of a long range (the export streams a
 * year of the whole country) is one pass of window functions over a calendar. Tried on the small
 * seed (2,978 counties, 40 days; load 8–14, so only the ratios mean anything): the calendar
 * formulation answered the map's 14-day question 4–7× slower than the probes, and the probes took
 * 11.6 s for 40 days of the export's rows, which the calendar streams in a fraction of that; so
 * neither serves both, and the test holds them to the same answers.
 *
 * The window length comes with each key or call; the rule (src/risk) owns its value.
 */

/**
 * CTE `name` (default `county_risk_inputs`) over a relation of keys `(scope, region_code, from_date,
 * to_date)`: one row per key with the window [from_date, to_date]'s sums (`*_in_window`), the
 * running totals up to `to_date`, and the last confirmed and cluster dates on or before it. Two
 * index-only probes per key: the access path for a few keys (a county, a province's counties).
 */
export function countyRiskInputsCte(keys: string, name = 'county_risk_inputs'): string {
  return `${name} AS (
      SELECT k.scope, k.region_code, k.to_date AS date,
             coalesce(w.new_confirmed, 0)::int        AS new_confirmed_in_window,
             coalesce(w.new_asymptomatic, 0)::int     AS new_asymptomatic_in_window,
             coalesce(w.new_deaths, 0)::int           AS new_deaths_in_window,
             coalesce(l.cumulative_confirmed, 0)::int AS cumulative_confirmed,
             coalesce(l.cumulative_recovered, 0)::int AS cumulative_recovered,
             coalesce(l.cumulative_deaths, 0)::int    AS cumulative_deaths,
             l.last_confirmed_on,
             coalesce(c.clusters_in_window, 0)::int   AS clusters_in_window,
             c.last_cluster_on
        FROM ${keys} k
        LEFT JOIN LATERAL (
          SELECT sum(d.new_confirmed) AS new_confirmed, sum(d.new_asymptomatic) AS new_asymptomatic, sum(d.new_deaths) AS new_deaths
            FROM cases.daily_reports d
           WHERE d.region_code = k.region_code AND d.date BETWEEN k.from_date AND k.to_date
        ) w ON true
        LEFT JOIN LATERAL (
          SELECT d.cumulative_confirmed, d.cumulative_recovered, d.cumulative_deaths, d.last_confirmed_on
            FROM cases.daily_reports d
           WHERE d.region_code = k.region_code AND d.date <= k.to_date
           ORDER BY d.date DESC LIMIT 1
        ) l ON true
        ${clustersJoin(keys)}
    )`;
}

/**
 * The same CTE (same columns, same answers) for many keys over one window — the national map's
 * 2,978 counties over 14 days: one index-only range scan of the window's days over the whole country
 * (`daily_reports_by_date_covering_idx`), grouped by county, instead of two probes per key. Every
 * key of `keys` has the window [`from`, `to`] (SQL expressions: bind parameters, so that the planner
 * knows the range's size). Measured on the bench's medium seed (`EXPLAIN ANALYZE`): 20 ms against
 * 57 ms for the probes. Whether a window is asked for by enough counties to pay for scanning all of them is
 * `isWideWindow`'s call.
 *
 * The running totals (cumulative_*, last_confirmed_on) never fall from one day to the next within a
 * county: ingestion maintains them as running sums of counts that cannot be negative
 * (`recomputeRunning`, the table's CHECKs). So the largest in the window is the last reported day's,
 * which is what the probe reads. A county with no report in the window still gets its last report
 * before it from a probe, taken only for such counties.
 */
export function countyRiskInputsOverRangeCte(keys: string, window: { from: string; to: string }, name = 'county_risk_inputs'): string {
  return `${name}_in_window AS (
      SELECT d.region_code,
             sum(d.new_confirmed) AS new_confirmed, sum(d.new_asymptomatic) AS new_asymptomatic, sum(d.new_deaths) AS new_deaths,
             max(d.cumulative_confirmed) AS cumulative_confirmed, max(d.cumulative_recovered) AS cumulative_recovered,
             max(d.cumulative_deaths) AS cumulative_deaths, max(d.last_confirmed_on) AS last_confirmed_on
        FROM cases.daily_reports d
       WHERE d.date BETWEEN ${window.from} AND ${window.to}
       GROUP BY d.region_code
    ),
    ${name} AS (
      SELECT k.scope, k.region_code, k.to_date AS date,
             coalesce(w.new_confirmed, 0)::int                          AS new_confirmed_in_window,
             coalesce(w.new_asymptomatic, 0)::int                       AS new_asymptomatic_in_window,
             coalesce(w.new_deaths, 0)::int                             AS new_deaths_in_window,
             coalesce(w.cumulative_confirmed, l.cumulative_confirmed, 0)::int AS cumulative_confirmed,
             coalesce(w.cumulative_recovered, l.cumulative_recovered, 0)::int AS cumulative_recovered,
             coalesce(w.cumulative_deaths, l.cumulative_deaths, 0)::int       AS cumulative_deaths,
             CASE WHEN w.region_code IS NULL THEN l.last_confirmed_on ELSE w.last_confirmed_on END AS last_confirmed_on,
             coalesce(c.clusters_in_window, 0)::int                     AS clusters_in_window,
             c.last_cluster_on
        FROM ${keys} k
        LEFT JOIN ${name}_in_window w ON w.region_code = k.region_code
        LEFT JOIN LATERAL (
          SELECT d.cumulative_confirmed, d.cumulative_recovered, d.cumulative_deaths, d.last_confirmed_on
            FROM cases.daily_reports d
           WHERE w.region_code IS NULL AND d.region_code = k.region_code AND d.date < k.from_date
           ORDER BY d.date DESC LIMIT 1
        ) l ON true
        ${clustersJoin(keys)}
    )`;
}

/** Clusters are few: one hash join over all keys instead of a (sequential) probe per key. */
function clustersJoin(keys: string): string {
  return `LEFT JOIN (
          SELECT k.scope, k.region_code,
                 count(*) FILTER (WHERE c.detected_on >= k.from_date) AS clusters_in_window,
                 max(c.detected_on) AS last_cluster_on
            FROM ${keys} k JOIN cases.clusters c ON c.region_code = k.region_code AND c.detected_on <= k.to_date
           GROUP BY k.scope, k.region_code
        ) c ON c.scope = k.scope AND c.region_code = k.region_code`;
}

/**
 * Whether `counties` county rows over one window of `days` days are cheaper read by the range scan
 * (`countyRiskInputsOverRangeCte`) than by probes. A probe pair costs ≈ 15 µs a county at 14 days
 * and grows with the window; the scan reads every county of the country for each day (≈ 0.45 µs a
 * row, ≈ 3,000 counties). At 14 days the scan wins from ≈ 1,200 counties; the rule keeps a margin
 * and asks for more counties as windows grow, since the scan grows with the whole country.
 */
export function isWideWindow(counties: number, days: number): boolean {
  return counties >= Math.max(WIDE_WINDOW_MIN_COUNTIES, 100 * days);
}

/** Below this many counties a window is always read by probes. */
const WIDE_WINDOW_MIN_COUNTIES = 1_000;

/**
 * A statement (no bind parameters: the export runs it inside COPY) yielding, for every county of
 * `codes` and every day of [from, to], ordered by day then county: `region_code, date,
 * new_confirmed` (that day's) and the columns of `county_risk_inputs` for the window of
 * `windowDays` days ending on that day. The arguments are SQL literals the caller has checked.
 *
 * The calendar starts `windowDays − 1` days before `from`; running totals start from the last
 * report before it, window sums are window functions over it. One pass however long the range.
 */
export function countyRiskInputsByDaySql(args: { codes: string; start: string; from: string; to: string; windowDays: number }): string {
  const { codes, start, from, to, windowDays } = args;
  return `WITH c AS (SELECT unnest(${codes}) AS region_code),
    base AS MATERIALIZED (
      SELECT c.region_code, coalesce(b.cumulative_confirmed, 0) AS cum0, b.last_confirmed_on AS last0,
             (SELECT max(x.detected_on) FROM cases.clusters x WHERE x.region_code = c.region_code AND x.detected_on < ${start}) AS cluster0
        FROM c LEFT JOIN LATERAL (
          SELECT d.cumulative_confirmed, d.last_confirmed_on FROM cases.daily_reports d
           WHERE d.region_code = c.region_code AND d.date < ${start} ORDER BY d.date DESC LIMIT 1
        ) b ON true
    ),
    cl AS (
      SELECT region_code, detected_on, count(*) AS n FROM cases.clusters
       WHERE region_code = ANY(${codes}) AND detected_on BETWEEN ${start} AND ${to}
       GROUP BY region_code, detected_on
    ),
    grid AS (
      SELECT b.region_code, g.date, coalesce(r.new_confirmed, 0) AS new_confirmed, coalesce(cl.n, 0) AS clusters, b.cum0, b.last0, b.cluster0
        FROM base b
       CROSS JOIN LATERAL (SELECT d::date AS date FROM generate_series(${start}, ${to}, interval '1 day') d) g
        LEFT JOIN cases.daily_reports r ON r.region_code = b.region_code AND r.date = g.date
        LEFT JOIN cl ON cl.region_code = b.region_code AND cl.detected_on = g.date
    ),
    w AS (
      SELECT region_code, date, new_confirmed,
             cum0 + sum(new_confirmed) OVER run AS cumulative_confirmed,
             sum(new_confirmed) OVER win AS new_confirmed_in_window,
             coalesce(max(CASE WHEN new_confirmed > 0 THEN date END) OVER run, last0) AS last_confirmed_on,
             sum(clusters) OVER win AS clusters_in_window,
             coalesce(max(CASE WHEN clusters > 0 THEN date END) OVER run, cluster0) AS last_cluster_on
        FROM grid
      WINDOW run AS (PARTITION BY region_code ORDER BY date ROWS UNBOUNDED PRECEDING),
             win AS (PARTITION BY region_code ORDER BY date ROWS ${windowDays - 1} PRECEDING)
    )
    SELECT region_code, date, new_confirmed, cumulative_confirmed, new_confirmed_in_window, last_confirmed_on, clusters_in_window, last_cluster_on
      FROM w WHERE date >= ${from} ORDER BY date, region_code`;
}

/** The columns of `county_risk_inputs` that are the rule's inputs, as rows carry them. */
export interface CountyRiskInputsRow {
  cumulative_confirmed: number;
  new_confirmed_in_window: number;
  last_confirmed_on: string | null;
  clusters_in_window: number;
  last_cluster_on: string | null;
}

/** A row's rule inputs for the day `asOf` (the last day of the row's window). */
export function toCountyRiskInputs(row: CountyRiskInputsRow, asOf: string): CountyRiskInputs {
  return {
    asOf,
    cumulativeConfirmed: row.cumulative_confirmed,
    newConfirmedInWindow: row.new_confirmed_in_window,
    lastConfirmedOn: row.last_confirmed_on,
    clustersInWindow: row.clusters_in_window,
    lastClusterOn: row.last_cluster_on,
  };
}
