import { closePools, type Pools } from '../../src/db/pools';
import { purgeExpiredStays } from '../../src/retention';
import { poolsFor } from '../helpers/pools';
import { seededCopy, type OwnDatabase } from '../helpers/fixtures';

/**
 * Flows and stays are partitioned by month (migration 1700000000001_monthly_partitions): the seed
 * fills one partition per month, a row of a month without a partition lands in DEFAULT, and the
 * retention purge drops whole months. Tests that change data run in a transaction rolled back at
 * the end, on a pool of one connection so that every statement (the purge's too) runs inside it.
 */
// On a seeded copy of its own rather than the shared seed, even though changes are rolled back: the
// purge drops partitions, which a table with the shared seed's pending guard checks refuses (sharedSeedGuard.ts).
let db: OwnDatabase;
let pools: Pools;
beforeAll(async () => {
  db = await seededCopy('partitions');
  pools = poolsFor(db.url, 1);
});
afterAll(async () => {
  await closePools(pools);
  await db?.drop();
});

const query = async <R>(text: string, params: unknown[] = []) => (await pools.mobility.query(text, params)).rows as R[];

/** Partitions of a table with their bounds, by name. */
async function partitionsOf(table: 'flows' | 'stays') {
  return query<{ name: string; bound: string; upper: Date | null }>(
    `SELECT c.relname AS name, pg_get_expr(c.relpartbound, c.oid) AS bound,
            (substring(pg_get_expr(c.relpartbound, c.oid) FROM 'TO \\(''([^'']+)''\\)'))::timestamptz AS upper
       FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
      WHERE i.inhparent = $1::regclass
      ORDER BY c.relname`,
    [`mobility.${table}`],
  );
}

/** 'YYYY_MM' of every month from the month of `from` to the month of `to` ('YYYY-MM-DD'). */
function monthsBetween(from: string, to: string): string[] {
  const months: string[] = [];
  let [y, m] = from.split('-').map(Number);
  const [ty, tm] = to.split('-').map(Number);
  while (y < ty || (y === ty && m <= tm)) {
    months.push(`${y}_${String(m).padStart(2, '0')}`);
    [y, m] = m === 12 ? [y + 1, 1] : [y, m + 1];
  }
  return months;
}

describe('monthly partitions of mobility data', () => {
  it('makes flows a table partitioned by range of date, and stays one partitioned by range of left_at', async () => {
    const rows = await query<{ table: string; key: string }>(
      `SELECT c.relname AS table, pg_get_partkeydef(p.partrelid) AS key
         FROM pg_partitioned_table p JOIN pg_class c ON c.oid = p.partrelid
        WHERE c.relnamespace = 'mobility'::regnamespace ORDER BY 1`,
    );
    expect(rows).toEqual([
      { table: 'flows', key: 'RANGE (date)' },
      { table: 'stays', key: 'RANGE (left_at)' },
    ]);
  });

  it('gives both a DEFAULT partition, and stays partitions bounded by midnight in Asia/Shanghai', async () => {
    for (const table of ['flows', 'stays'] as const) {
      expect((await partitionsOf(table)).find((p) => p.name === `${table}_default`)?.bound).toBe('DEFAULT');
    }
    // Each month starts at midnight on the 1st in China, whatever the session's time zone.
    const starts = await query<{ start: string }>(
      `SELECT to_char((substring(pg_get_expr(c.relpartbound, c.oid) FROM 'FROM \\(''([^'']+)''\\)'))::timestamptz
                        AT TIME ZONE 'Asia/Shanghai', 'DD HH24:MI:SS') AS start
         FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
        WHERE i.inhparent = 'mobility.stays'::regclass AND c.relname <> 'stays_default'`,
    );
    expect(starts.length).toBeGreaterThanOrEqual(2);
    expect(new Set(starts.map((r) => r.start))).toEqual(new Set(['01 00:00:00']));
  });

  it('puts every seeded flow and stay in the partition of its month, one partition per month of data, none in DEFAULT', async () => {
    const [flows] = await query<{ from: string; to: string }>(`SELECT min(date)::text AS from, max(date)::text AS to FROM mobility.flows`);
    const [stays] = await query<{ from: string; to: string }>(
      `SELECT (min(left_at) AT TIME ZONE 'Asia/Shanghai')::date::text AS from, (max(left_at) AT TIME ZONE 'Asia/Shanghai')::date::text AS to FROM mobility.stays`,
    );
    const holding = async (table: string, monthOf: string) =>
      query<{ partition: string; misplaced: number }>(
        `SELECT c.relname AS partition,
                count(*) FILTER (WHERE c.relname <> '${table}_' || to_char(${monthOf}, 'YYYY_MM'))::int AS misplaced
           FROM mobility.${table} t JOIN pg_class c ON c.oid = t.tableoid
          GROUP BY c.relname ORDER BY 1`,
      );
    const flowParts = await holding('flows', 'date');
    const stayParts = await holding('stays', `left_at AT TIME ZONE 'Asia/Shanghai'`);
    // 40 days of flows at scale small always span two months at least; stays the last 30 of them.
    expect(flowParts.length).toBeGreaterThanOrEqual(2);
    expect(flowParts.map((p) => p.partition)).toEqual(monthsBetween(flows.from, flows.to).map((m) => `flows_${m}`));
    expect(stayParts.map((p) => p.partition)).toEqual(monthsBetween(stays.from, stays.to).map((m) => `stays_${m}`));
    expect([...flowParts, ...stayParts].filter((p) => p.misplaced > 0)).toEqual([]);
  });

  it('keeps every index the queries use on every partition', async () => {
    const rows = await query<{ index: string; partitions: number; children: number }>(
      `SELECT ix.relname AS index,
              (SELECT count(*)::int FROM pg_inherits WHERE inhparent = x.indrelid) AS partitions,
              (SELECT count(*)::int FROM pg_inherits WHERE inhparent = x.indexrelid) AS children
         FROM pg_index x JOIN pg_class ix ON ix.oid = x.indexrelid
        WHERE x.indrelid IN ('mobility.flows'::regclass, 'mobility.stays'::regclass) ORDER BY 1`,
    );
    expect(rows.map((r) => r.index)).toEqual([
      'flows_origin_date_cover_idx', 'flows_pkey', 'stays_left_at_idx', 'stays_person_arrived_idx', 'stays_pkey',
    ]);
    for (const r of rows) expect(r.children).toBe(r.partitions);
  });
});

describe('monthly partitions, changed in a rolled-back transaction', () => {
  beforeEach(async () => {
    await pools.mobility.query('BEGIN');
  });
  afterEach(async () => {
    await pools.mobility.query('ROLLBACK');
  });

  const insertOldRows = () =>
    query(
      `WITH s AS (
         INSERT INTO mobility.stays (person_id, region_code, arrived_at, left_at)
         VALUES ('00000000-0000-4000-8000-000000000001', '420106', '2001-01-15 08:00+08', '2001-01-15 14:00+08') RETURNING 1
       )
       INSERT INTO mobility.flows (date, origin_code, dest_code, trips) VALUES ('2001-01-15', '420106', '110101', 3)`,
    );
  const whereOldRowsAre = async () => {
    const [r] = await query<{ stay: string; flow: string }>(
      `SELECT (SELECT relname FROM pg_class WHERE oid = (SELECT tableoid FROM mobility.stays WHERE left_at = '2001-01-15 14:00+08')) AS stay,
              (SELECT relname FROM pg_class WHERE oid = (SELECT tableoid FROM mobility.flows WHERE date = '2001-01-15')) AS flow`,
    );
    return r;
  };

  it('accepts rows of a month without a partition into DEFAULT, and moves them when that month gets its partition', async () => {
    await insertOldRows();
    expect(await whereOldRowsAre()).toEqual({ stay: 'stays_default', flow: 'flows_default' });
    const [{ created }] = await query<{ created: number }>(`SELECT mobility.ensure_month_partitions('2001-01-01', '2001-01-31') AS created`);
    expect(created).toBe(2);
    expect(await whereOldRowsAre()).toEqual({ stay: 'stays_2001_01', flow: 'flows_2001_01' });
    const [{ left }] = await query<{ left: number }>(
      'SELECT ((SELECT count(*) FROM mobility.stays_default) + (SELECT count(*) FROM mobility.flows_default))::int AS left',
    );
    expect(left).toBe(0);
  });

  it('purges by dropping the stay partitions before the cutoff whole and deleting only the older rows of the one straddling it', async () => {
    await insertOldRows();
    // The median end of the stays in the latest month: that month's partition straddles the cutoff.
    const [{ cutoff, latest }] = await query<{ cutoff: Date; latest: number }>(
      `SELECT percentile_disc(0.5) WITHIN GROUP (ORDER BY left_at) AS cutoff, tableoid::int AS latest FROM mobility.stays
        WHERE tableoid = (SELECT tableoid FROM mobility.stays ORDER BY left_at DESC LIMIT 1) GROUP BY tableoid`,
    );
    const stats = () =>
      query<{ before: number; after: number; after_ids: string }>(
        `SELECT count(*) FILTER (WHERE left_at < $1)::int AS before, count(*) FILTER (WHERE left_at >= $1)::int AS after,
                sum(id) FILTER (WHERE left_at >= $1)::text AS after_ids FROM mobility.stays`,
        [cutoff],
      ).then((r) => r[0]);
    const wholeBefore = (await partitionsOf('stays')).filter((p) => p.upper !== null && p.upper <= cutoff);
    const counts = new Map<string, number>();
    for (const p of wholeBefore) counts.set(p.name, (await query<{ n: number }>(`SELECT count(*)::int AS n FROM mobility.${p.name}`))[0].n);
    const [{ straddling }] = await query<{ straddling: number }>(
      'SELECT count(*)::int AS straddling FROM mobility.stays WHERE left_at < $1 AND tableoid = $2::oid',
      [cutoff, latest],
    );
    const before = await stats();
    expect(straddling).toBeGreaterThan(0);

    const result = await purgeExpiredStays(pools, 30, new Date(cutoff.getTime() + 30 * 86_400_000));

    // The 2001 rows left DEFAULT for their month's new partitions; the stay's went with it.
    expect(result.rowsInDefault).toBe(0);
    expect((await whereOldRowsAre()).flow).toBe('flows_2001_01');
    expect(result.droppedPartitions).toEqual(
      [{ name: 'stays_2001_01', stays: 1 }, ...wholeBefore.map((p) => ({ name: p.name, stays: counts.get(p.name) }))]
        .sort((a, b) => a.name.localeCompare(b.name)),
    );
    expect(result.deletedRows).toBe(straddling);
    expect(result.stays).toBe(before.before);
    const after = await stats();
    expect(after).toEqual({ before: 0, after: before.after, after_ids: before.after_ids });
    const remaining = (await partitionsOf('stays')).map((p) => p.name);
    for (const p of result.droppedPartitions) expect(remaining).not.toContain(p.name);
  });
});
