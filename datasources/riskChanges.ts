import { z } from 'zod';
import type { Sql } from '../src/db/sql';
import { RISK_LEVEL_CHANNEL, type RiskLevelChangeEvent } from '../src/db/riskChannel';
import { todayCst } from '../src/clock';
import { windowEnding } from '../src/args';
import { CN_2020_COUNTY, CN_2020_WINDOW_DAYS, rateCounty, type CountyRiskInputs, type RiskLevel } from '../src/risk';
import { countyRiskInputsCte, toCountyRiskInputs } from './countyRiskInputs';
import { column, queryRows, type RunsStatements } from '../src/db/rows';

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
  const inputs = await countyRiskInputsOn({ query }, name, counties, asOf);
  return new Map([...inputs].map(([code, i]) => [code, rateCounty(CN_2020_COUNTY, i).level]));
}

const InputsRow = z.object({
  region_code: column.regionCode,
  cumulative_confirmed: column.count,
  new_confirmed_in_window: column.count,
  last_confirmed_on: column.date.nullable(),
  clusters_in_window: column.count,
  last_cluster_on: column.date.nullable(),
});

/** The CN_2020_COUNTY inputs of each county on `asOf` (datasources/countyRiskInputs.ts), in one statement. */
export async function countyRiskInputsOn(db: RunsStatements, name: string, counties: readonly string[], asOf: string): Promise<Map<string, CountyRiskInputs>> {
  const { from, to } = windowEnding(asOf, CN_2020_WINDOW_DAYS);
  const rows = await queryRows(db, name, InputsRow,
    `WITH k AS (SELECT c AS region_code, c AS scope, $2::date AS from_date, $3::date AS to_date FROM unnest($1::text[]) AS c),
     ${countyRiskInputsCte('k')}
     SELECT region_code, cumulative_confirmed, new_confirmed_in_window, last_confirmed_on, clusters_in_window, last_cluster_on
       FROM county_risk_inputs`,
    [counties, from, to],
  );
  return new Map(rows.map((r) => [r.region_code, toCountyRiskInputs(r, asOf)]));
}
