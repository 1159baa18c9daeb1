import pg from 'pg';

/**
 * The three datasources, plus `access`: the API's own records (API keys, issued passes, the audit
 * trail). Each may live in its own database; never join across them in SQL.
 */
export const SOURCES = ['region', 'cases', 'mobility', 'access'] as const;
export type SourceName = (typeof SOURCES)[number];

/** One pg pool per datasource. Pools that point at the same URL are still separate objects. */
export type Pools = Record<SourceName, pg.Pool>;

export interface PoolOptions {
  /** Connection URL per datasource. */
  urls: Record<SourceName, string>;
  /** Upper bound of connections per pool. */
  max: number;
  /** Per-statement timeout in milliseconds (sent as the session's statement_timeout). */
  statementTimeoutMs: number;
  /** application_name shown in pg_stat_activity. */
  applicationName: string;
}

// DATE columns come back as 'YYYY-MM-DD' strings instead of JavaScript Dates at local midnight:
// the API's Date scalar is a calendar date, and time zones must not shift it.
pg.types.setTypeParser(pg.types.builtins.DATE, (value) => value);
// bigint (COUNT(*), SUM over integers) as a JavaScript number: our sums stay far below 2^53.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number(value));

export function createPools(options: PoolOptions): Pools {
  const make = (source: SourceName) =>
    new pg.Pool({
      connectionString: options.urls[source],
      max: options.max,
      statement_timeout: options.statementTimeoutMs,
      application_name: `${options.applicationName}:${source}`,
      connectionTimeoutMillis: 5000,
      idleTimeoutMillis: 30000,
    });
  return { region: make('region'), cases: make('cases'), mobility: make('mobility'), access: make('access') };
}

export async function closePools(pools: Pools): Promise<void> {
  await Promise.all(SOURCES.map((s) => pools[s].end()));
}
