import type { Sql } from '../src/db/sql';
import { RISK_LEVEL_CHANNEL, type RiskLevelChangeEvent } from '../src/db/riskChannel';
import { todayCst } from '../src/clock';
import { windowEnding } from '../src/args';
import { CN_2020_COUNTY, CN_2020_WINDOW_DAYS, rateCounty, type RiskLevel } from '../src/risk';

type Query = Sql['query'];

/**
 * Notifies risk level changes from inside an ingestion transaction. `before` rates the counties a
 * write touches (as of today, CST), the write runs, `notify` rates them again and sends one NOTIFY
 * per county whose level changed. NOTIFY is transactional: subscribers on every server instance
 * hear of a change only once it is committed, and never of a rolled-back one.
 *
 * `before` also locks the data version row (which every ingestion updates anyway, at its end), so
 * ingestions run one after another and the "before" of one is the "after" of the previous: two
 * concurrent reports for one county cannot both announce the same change, or miss one.
 */
export class RiskChangeNotifier {
  private constructor(
    private readonly query: Query,
    private readonly counties: string[],
    private readonly asOf: string,
    private readonly levels: Map<string, RiskLevel>,
  ) {}

  static async before(query: Query, counties: readonly string[]): Promise<RiskChangeNotifier> {
    await query('RiskChanges.lockDataVersion', 'SELECT version FROM cases.data_version FOR UPDATE');
    const distinct = [...new Set(counties)];
    const asOf = todayCst();
    return new RiskChangeNotifier(query, distinct, asOf, await countyLevels(query, 'RiskChanges.levelsBefore', distinct, asOf));
  }

  /** Rates the counties again and notifies the changes; returns them (for logs and tests). */
  async notify(): Promise<RiskLevelChangeEvent[]> {
    const after = await countyLevels(this.query, 'RiskChanges.levelsAfter', this.counties, this.asOf);
    const changes: RiskLevelChangeEvent[] = [];
    for (const [regionCode, level] of after) {
      const previousLevel = this.levels.get(regionCode) ?? 'LOW';
      if (level !== previousLevel) changes.push({ regionCode, level, previousLevel, asOf: this.asOf, ruleset: CN_2020_COUNTY });
    }
    if (changes.length > 0) {
      // One small payload per county (NOTIFY payloads are limited to 8,000 bytes).
      await this.query('RiskChanges.notify', 'SELECT pg_notify($1, p) FROM unnest($2::text[]) AS p', [
        RISK_LEVEL_CHANNEL,
        changes.map((c) => JSON.stringify(c)),
      ]);
    }
    return changes;
  }
}

/** The CN_2020_COUNTY level of each county on `asOf`, rated by the pure model (src/risk) as the API does. */
async function countyLevels(query: Query, name: string, counties: readonly string[], asOf: string): Promise<Map<string, RiskLevel>> {
  const { from, to } = windowEnding(asOf, CN_2020_WINDOW_DAYS);
  const rows = await query<{
    region_code: string; new_confirmed: number; cumulative_confirmed: number; last_confirmed_on: string | null;
    cluster_count: number; last_cluster_on: string | null;
  }>(
    name,
    `SELECT k.region_code,
            coalesce(w.new_confirmed, 0)::int        AS new_confirmed,
            coalesce(l.cumulative_confirmed, 0)::int AS cumulative_confirmed,
            l.last_confirmed_on,
            coalesce(c.cluster_count, 0)::int        AS cluster_count,
            c.last_cluster_on
       FROM unnest($1::text[]) AS k(region_code)
       LEFT JOIN LATERAL (
         SELECT sum(d.new_confirmed) AS new_confirmed FROM cases.daily_reports d
          WHERE d.region_code = k.region_code AND d.date BETWEEN $2 AND $3
       ) w ON true
       LEFT JOIN LATERAL (
         SELECT d.cumulative_confirmed, d.last_confirmed_on FROM cases.daily_reports d
          WHERE d.region_code = k.region_code AND d.date <= $3 ORDER BY d.date DESC LIMIT 1
       ) l ON true
       LEFT JOIN LATERAL (
         SELECT count(*) FILTER (WHERE x.detected_on >= $2) AS cluster_count, max(x.detected_on) AS last_cluster_on
           FROM cases.clusters x WHERE x.region_code = k.region_code AND x.detected_on <= $3
       ) c ON true`,
    [counties, from, to],
  );
  return new Map(
    rows.map((r) => [
      r.region_code,
      rateCounty(CN_2020_COUNTY, {
        asOf,
        cumulativeConfirmed: r.cumulative_confirmed,
        newConfirmedInWindow: r.new_confirmed,
        lastConfirmedOn: r.last_confirmed_on,
        clustersInWindow: r.cluster_count,
        lastClusterOn: r.last_cluster_on,
      }).level,
    ]),
  );
}
