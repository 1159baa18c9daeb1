import type { Sql } from '../src/db/sql';
import { Loader } from './loader';
import { SCOPE_KEYS, scopeKey, unnestScopes, type ScopeWindow } from './scope';

/** Flows summed over a window between a scope and one partner county. */
export interface FlowTotal {
  /** The county on the other end: origin for inflows, destination for outflows. */
  partnerCode: string;
  trips: number;
}

/** Trips from one origin county into a scope on one day. */
export interface DailyInflow {
  originCode: string;
  date: string;
  trips: number;
}

/** A stay of a person in a county (itinerary). */
export interface StayRow {
  personId: string;
  regionCode: string;
  arrivedAt: Date;
  leftAt: Date;
}

/** What a retention purge removed. */
export interface StayPurge {
  /** Partitions dropped whole (every stay in them had ended before the cutoff), with their stay counts. */
  droppedPartitions: { name: string; stays: number }[];
  /** Stays deleted row by row, from the partition straddling the cutoff and from DEFAULT. */
  deletedRows: number;
  /** Every stay that went. */
  stays: number;
}

export type FlowDirection = 'in' | 'out';
export interface FlowKey extends ScopeWindow {
  direction: FlowDirection;
  first: number;
}
const flowKey = (k: FlowKey) => `${k.direction}|${k.code}|${k.from}|${k.to}|${k.first}`;
export interface StayKey {
  personId: string;
  /** Stays that ended before this instant do not count (ISO timestamp with offset). */
  since: string;
}
const stayKey = (k: StayKey) => `${k.personId}|${k.since}`;

/**
 * Stays per person since an instant, most recent first, in key order: one statement for any
 * number of persons. Used by the per-request loader and the process-wide pass-check batch.
 */
export async function staysOf(sql: Sql, keys: readonly StayKey[]): Promise<StayRow[][]> {
  // Keys repeat when requests share a batch: each distinct key is read once.
  const distinct = [...new Map(keys.map((k) => [stayKey(k), k])).values()];
  const rows = await sql.query<{ key: string; person_id: string; region_code: string; arrived_at: Date; left_at: Date }>(
    'MobilitySource.staysByPerson',
    `SELECT k.key, s.person_id, s.region_code, s.arrived_at, s.left_at
       FROM unnest($1::uuid[], $2::timestamptz[], $3::text[]) AS k(person_id, since, key)
       JOIN mobility.stays s ON s.person_id = k.person_id AND s.left_at >= k.since
      ORDER BY s.arrived_at DESC`,
    [distinct.map((k) => k.personId), distinct.map((k) => k.since), distinct.map(stayKey)],
  );
  const byKey = new Map<string, StayRow[]>(distinct.map((k) => [stayKey(k), []]));
  for (const r of rows) {
    byKey.get(r.key)?.push({ personId: r.person_id, regionCode: r.region_code, arrivedAt: r.arrived_at, leftAt: r.left_at });
  }
  return keys.map((k) => byKey.get(stayKey(k)) ?? []);
}

/** Origin–destination flows (carriers and transport). Created per request. */
export class MobilitySource {
  /** The top partners of a scope by trips, for inflows or outflows. */
  readonly topFlows: Loader<FlowKey, FlowTotal[]>;
  /** Daily inflows from outside the scope, per origin and day (import risk). */
  readonly dailyInflows: Loader<ScopeWindow, DailyInflow[]>;

  /** Stays of a person that ended at or after `since` (ISO timestamp), most recent first. */
  readonly staysByPerson: Loader<StayKey, StayRow[]>;

  constructor(private readonly sql: Sql, options: { batch?: boolean } = {}) {
    this.staysByPerson = new Loader((keys) => staysOf(sql, keys), stayKey, options);

    this.topFlows = new Loader(
      async (keys) => {
        // Inflows and outflows differ only in which column is "ours": two statements at most.
        const results = new Map<string, FlowTotal[]>();
        for (const direction of ['in', 'out'] as const) {
          const group = keys.filter((k) => k.direction === direction);
          if (group.length === 0) continue;
          const [ours, partner] = direction === 'in' ? ['dest_code', 'origin_code'] : ['origin_code', 'dest_code'];
          const limits = new Map(group.map((k) => [flowKey(k), k.first]));
          const rows = await sql.query<{ scope: string; partner: string; trips: number }>(
            `MobilitySource.topFlows.${direction}`,
            `WITH ${SCOPE_KEYS}, totals AS (
               SELECT k.scope, f.${partner} AS partner, sum(f.trips)::int AS trips
                 FROM k JOIN mobility.flows f
                   ON f.${ours} = k.region_code AND f.date BETWEEN k.from_date AND k.to_date
                -- travel within a province or city is not a flow into or out of it
                WHERE NOT EXISTS (SELECT 1 FROM k AS inside WHERE inside.scope = k.scope AND inside.region_code = f.${partner})
                GROUP BY k.scope, f.${partner}
             )
             SELECT scope, partner, trips FROM (
               SELECT *, row_number() OVER (PARTITION BY scope ORDER BY trips DESC, partner) AS rank FROM totals
             ) ranked
             WHERE rank <= $5
             ORDER BY scope, rank`,
            [...unnestScopes(group, flowKey), Math.max(...limits.values())],
          );
          for (const k of group) results.set(flowKey(k), []);
          for (const r of rows) {
            const list = results.get(r.scope);
            if (list && list.length < (limits.get(r.scope) ?? 0)) list.push({ partnerCode: r.partner, trips: r.trips });
          }
        }
        return keys.map((k) => results.get(flowKey(k)) ?? []);
      },
      flowKey,
      options,
    );

    this.dailyInflows = new Loader(
      async (keys) => {
        const rows = await sql.query<{ scope: string; origin_code: string; date: string; trips: number }>(
          'MobilitySource.dailyInflows',
          `WITH ${SCOPE_KEYS}
           SELECT k.scope, f.origin_code, f.date, sum(f.trips)::int AS trips
             FROM k JOIN mobility.flows f
               ON f.dest_code = k.region_code AND f.date BETWEEN k.from_date AND k.to_date
            WHERE NOT EXISTS (SELECT 1 FROM k AS inside WHERE inside.scope = k.scope AND inside.region_code = f.origin_code)
            GROUP BY k.scope, f.origin_code, f.date`,
          unnestScopes(keys),
        );
        const byScope = new Map<string, DailyInflow[]>(keys.map((k) => [scopeKey(k), []]));
        for (const r of rows) byScope.get(r.scope)?.push({ originCode: r.origin_code, date: r.date, trips: r.trips });
        return keys.map((k) => byScope.get(scopeKey(k)) ?? []);
      },
      scopeKey,
      options,
    );
  }

  /**
   * Partition upkeep (flows and stays are partitioned by month, see the migration
   * 1700000000001_monthly_partitions): creates the partitions of this month and the next in
   * Asia/Shanghai, and of every month with rows in a DEFAULT partition, moving those rows there.
   * Returns how many partitions were created and how many rows are still in DEFAULT (0 normally).
   */
  async maintainPartitions(now: Date): Promise<{ created: number; inDefault: number }> {
    const rows = await this.sql.query<{ created: number; in_default: number }>(
      'MobilitySource.maintainPartitions',
      `SELECT mobility.ensure_month_partitions(d, (d + interval '1 month')::date) AS created,
              mobility.adopt_default_rows()::int AS in_default
         FROM (SELECT ($1::timestamptz AT TIME ZONE 'Asia/Shanghai')::date AS d) today`,
      [now],
    );
    return { created: rows[0].created, inDefault: rows[0].in_default };
  }

  /**
   * Retention: drops the stay partitions that lie entirely before `cutoff`, then deletes the stays
   * that ended before it from the one partition straddling it (index on left_at) and DEFAULT. One
   * statement, so either all of it happens or none.
   */
  async purgeStaysEndedBefore(cutoff: Date): Promise<StayPurge> {
    const rows = await this.sql.query<{ partition: string | null; stays: number }>(
      'MobilitySource.purgeStaysEndedBefore',
      'SELECT partition, stays::int AS stays FROM mobility.purge_stays_before($1)',
      [cutoff],
    );
    const droppedPartitions = rows.flatMap((r) => (r.partition === null ? [] : [{ name: r.partition, stays: r.stays }]));
    const deletedRows = rows.find((r) => r.partition === null)?.stays ?? 0;
    return { droppedPartitions, deletedRows, stays: deletedRows + droppedPartitions.reduce((n, p) => n + p.stays, 0) };
  }

  /**
   * Trips out of origins on the days they had active cases, weighted by the origin's prevalence
   * that day, summed per destination and origin (the national import-risk forecast). The
   * prevalences come from the case source as parameters: the sources are never joined in SQL.
   */
  async inflowsFromActive(active: readonly ActiveOriginDay[]): Promise<WeightedInflow[]> {
    const rows = await this.sql.query<{ dest_code: string; origin_code: string; expected: number; trips: number }>(
      'MobilitySource.inflowsFromActive',
      `WITH a AS (SELECT * FROM unnest($1::text[], $2::date[], $3::float8[]) AS a(origin_code, date, prevalence))
       SELECT f.dest_code, f.origin_code, sum(f.trips * a.prevalence)::float8 AS expected, sum(f.trips)::float8 AS trips
         FROM a JOIN mobility.flows f ON f.origin_code = a.origin_code AND f.date = a.date
        WHERE f.dest_code <> f.origin_code
        GROUP BY f.dest_code, f.origin_code`,
      activeArrays(active),
    );
    return rows.map((r) => ({ destCode: r.dest_code, originCode: r.origin_code, expectedInfectedArrivals: r.expected, trips: r.trips }));
  }

  /** The same weighted trips summed per destination and day instead (the backtest's daily import pressure). */
  async dailyImportPressure(active: readonly ActiveOriginDay[]): Promise<{ destCode: string; date: string; pressure: number }[]> {
    const rows = await this.sql.query<{ dest_code: string; date: string; pressure: number }>(
      'MobilitySource.dailyImportPressure',
      `WITH a AS (SELECT * FROM unnest($1::text[], $2::date[], $3::float8[]) AS a(origin_code, date, prevalence))
       SELECT f.dest_code, f.date, sum(f.trips * a.prevalence)::float8 AS pressure
         FROM a JOIN mobility.flows f ON f.origin_code = a.origin_code AND f.date = a.date
        WHERE f.dest_code <> f.origin_code
        GROUP BY f.dest_code, f.date`,
      activeArrays(active),
    );
    return rows.map((r) => ({ destCode: r.dest_code, date: r.date, pressure: r.pressure }));
  }
}

// Types shared with the pure model, which computes the prevalences and consumes the sums.
type ActiveOriginDay = import('../src/risk/national').ActiveOriginDay;
type WeightedInflow = import('../src/risk/national').OriginInflow;

function activeArrays(active: readonly ActiveOriginDay[]): [string[], string[], number[]] {
  return [active.map((a) => a.originCode), active.map((a) => a.date), active.map((a) => a.prevalence)];
}
