-- Up Migration
-- Flows and stays become partitioned by month (declarative RANGE partitioning), so that retention
-- drops whole months of stays instead of deleting row by row, and the tables can grow by months.
--   flows: RANGE (date), calendar months.
--   stays: RANGE (left_at), calendar months in Asia/Shanghai (the data's time zone, UTC+8 all year).
--     left_at, not arrived_at: retention purges stays that *ended* before a cutoff and every reader
--     asks for stays that ended at or after an instant (staysOf: left_at >= since), so both prune on it.
-- A DEFAULT partition per table catches rows of months without a partition, so an insert never
-- fails; mobility.ensure_month_partitions moves them into their month when it creates it, and
-- mobility.adopt_default_rows (run by the retention purge) does so for every month found there.
-- Existing rows are moved inside this migration's transaction, which may take longer than the
-- pools' statement timeout (≈ 30 s for the medium seed's 1.9 million rows): lifted for it alone.
SET LOCAL statement_timeout = 0;

-- Creates the partition `name` of `parent` for [lo, hi) unless it exists. Rows of that range
-- already in the DEFAULT partition are moved into it (PostgreSQL refuses to create a partition
-- while DEFAULT holds rows of its range). Returns whether it created the partition.
CREATE FUNCTION mobility.create_range_partition(parent text, key text, name text, lo text, hi text)
RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
  in_default boolean;
BEGIN
  IF to_regclass(format('mobility.%I', name)) IS NOT NULL THEN
    RETURN false;
  END IF;
  EXECUTE format('SELECT EXISTS (SELECT 1 FROM mobility.%I WHERE %I >= %L AND %I < %L)',
                 parent || '_default', key, lo, key, hi) INTO in_default;
  IF in_default THEN
    EXECUTE format('CREATE TEMP TABLE pg_temp.moving_rows (LIKE mobility.%I)', parent);
    EXECUTE format('WITH m AS (DELETE FROM mobility.%I WHERE %I >= %L AND %I < %L RETURNING *)
                    INSERT INTO pg_temp.moving_rows SELECT * FROM m', parent || '_default', key, lo, key, hi);
  END IF;
  EXECUTE format('CREATE TABLE mobility.%I PARTITION OF mobility.%I FOR VALUES FROM (%L) TO (%L)', name, parent, lo, hi);
  IF in_default THEN
    -- OVERRIDING SYSTEM VALUE keeps the ids of stays (identity GENERATED ALWAYS).
    EXECUTE format('INSERT INTO mobility.%I OVERRIDING SYSTEM VALUE SELECT * FROM pg_temp.moving_rows', parent);
    DROP TABLE pg_temp.moving_rows;
  END IF;
  RETURN true;
END $$;

-- Creates the missing monthly partitions of flows and stays for every month from the month of
-- `from_day` to the month of `to_day`; returns how many it created. The seed calls it before
-- loading, the retention purge for this month and the next.
CREATE FUNCTION mobility.ensure_month_partitions(from_day date, to_day date)
RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
  month date := date_trunc('month', from_day)::date;
  next date;
  created integer := 0;
BEGIN
  WHILE month <= to_day LOOP
    next := (month + interval '1 month')::date;
    created := created
      + mobility.create_range_partition('flows', 'date', 'flows_' || to_char(month, 'YYYY_MM'), month::text, next::text)::int
      + mobility.create_range_partition('stays', 'left_at', 'stays_' || to_char(month, 'YYYY_MM'),
          (month::timestamp AT TIME ZONE 'Asia/Shanghai')::text, (next::timestamp AT TIME ZONE 'Asia/Shanghai')::text)::int;
    month := next;
  END LOOP;
  RETURN created;
END $$;

-- Creates the partitions of every month that has rows in a DEFAULT partition (which moves those
-- rows there); returns how many rows are left in DEFAULT afterwards (0 unless rows came in since).
CREATE FUNCTION mobility.adopt_default_rows()
RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
  month date;
  left_over bigint;
BEGIN
  FOR month IN
    SELECT date_trunc('month', date)::date FROM mobility.flows_default
    UNION
    SELECT date_trunc('month', left_at AT TIME ZONE 'Asia/Shanghai')::date FROM mobility.stays_default
  LOOP
    PERFORM mobility.ensure_month_partitions(month, month);
  END LOOP;
  SELECT (SELECT count(*) FROM mobility.flows_default) + (SELECT count(*) FROM mobility.stays_default) INTO left_over;
  RETURN left_over;
END $$;

-- Retention of stays: drops every partition whose upper bound is at or before `cutoff` (all its
-- stays ended before it), then deletes the stays that ended before `cutoff` from the partitions
-- that remain (the one straddling the cutoff, and DEFAULT). One row per dropped partition (its
-- name in schema mobility) with its row count, and a last row with partition NULL for the deleted rows.
CREATE FUNCTION mobility.purge_stays_before(cutoff timestamptz)
RETURNS TABLE (partition text, stays bigint) LANGUAGE plpgsql AS $$
DECLARE
  part record;
BEGIN
  FOR part IN
    SELECT c.oid::regclass AS rel, c.relname
      FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
     WHERE i.inhparent = 'mobility.stays'::regclass
       -- bounds print in this session's time zone with their offset, so they parse back exactly
       AND (substring(pg_get_expr(c.relpartbound, c.oid) FROM 'TO \(''([^'']+)''\)'))::timestamptz <= cutoff
     ORDER BY c.relname
  LOOP
    partition := part.relname;
    EXECUTE format('SELECT count(*) FROM %s', part.rel) INTO stays;
    EXECUTE format('DROP TABLE %s', part.rel);
    RETURN NEXT;
  END LOOP;
  partition := NULL;
  -- Dynamic, so that it is planned with this cutoff and touches only the partitions before it.
  EXECUTE 'WITH gone AS (DELETE FROM mobility.stays WHERE left_at < $1 RETURNING 1) SELECT count(*) FROM gone'
    INTO stays USING cutoff;
  RETURN NEXT;
END $$;

-- flows --------------------------------------------------------------------------------------
ALTER TABLE mobility.flows RENAME TO flows_unpartitioned;
ALTER TABLE mobility.flows_unpartitioned DROP CONSTRAINT flows_pkey;
DROP INDEX mobility.flows_origin_date_cover_idx;

CREATE TABLE mobility.flows (
  date        date    NOT NULL,
  -- Constraints named as PostgreSQL named them on the plain table (the old one still holds those names).
  origin_code text    NOT NULL CONSTRAINT flows_origin_code_check CHECK (origin_code ~ '^[0-9]{6}$'),
  dest_code   text    NOT NULL CONSTRAINT flows_dest_code_check CHECK (dest_code ~ '^[0-9]{6}$'),
  trips       integer NOT NULL CONSTRAINT flows_trips_check CHECK (trips > 0),
  -- inflows(region, days) and import risk per destination: the primary key (it holds the
  -- partition key, date, as a partitioned table's must), covering trips.
  PRIMARY KEY (dest_code, date, origin_code) INCLUDE (trips),
  CONSTRAINT flows_check CHECK (origin_code <> dest_code)
) PARTITION BY RANGE (date);
-- outflows(region, days):
CREATE INDEX flows_origin_date_cover_idx ON mobility.flows (origin_code, date) INCLUDE (dest_code, trips);
CREATE TABLE mobility.flows_default PARTITION OF mobility.flows DEFAULT;

-- stays --------------------------------------------------------------------------------------
ALTER TABLE mobility.stays RENAME TO stays_unpartitioned;
ALTER TABLE mobility.stays_unpartitioned DROP CONSTRAINT stays_pkey;
ALTER TABLE mobility.stays_unpartitioned ALTER COLUMN id DROP IDENTITY;
DROP INDEX mobility.stays_person_arrived_idx;
DROP INDEX mobility.stays_left_at_idx;

CREATE TABLE mobility.stays (
  id          bigint GENERATED ALWAYS AS IDENTITY,
  person_id   uuid        NOT NULL,
  region_code text        NOT NULL CONSTRAINT stays_region_code_check CHECK (region_code ~ '^[0-9]{6}$'),
  arrived_at  timestamptz NOT NULL,
  left_at     timestamptz NOT NULL,
  CONSTRAINT stays_check CHECK (left_at > arrived_at),
  -- A partitioned table's primary key must hold the partition key; id alone stays unique
  -- because the identity alone assigns it.
  PRIMARY KEY (id, left_at)
) PARTITION BY RANGE (left_at);
CREATE INDEX stays_person_arrived_idx ON mobility.stays (person_id, arrived_at);
-- the purge deletes by age within the partition straddling the cutoff
CREATE INDEX stays_left_at_idx ON mobility.stays (left_at);
CREATE TABLE mobility.stays_default PARTITION OF mobility.stays DEFAULT;

-- existing rows -----------------------------------------------------------------------------
SELECT mobility.ensure_month_partitions(lo, hi)
  FROM (SELECT least((SELECT min(date) FROM mobility.flows_unpartitioned),
                     (SELECT min(left_at AT TIME ZONE 'Asia/Shanghai')::date FROM mobility.stays_unpartitioned)) AS lo,
               greatest((SELECT max(date) FROM mobility.flows_unpartitioned),
                        (SELECT max(left_at AT TIME ZONE 'Asia/Shanghai')::date FROM mobility.stays_unpartitioned)) AS hi) r
 WHERE lo IS NOT NULL;
INSERT INTO mobility.flows (date, origin_code, dest_code, trips)
  SELECT date, origin_code, dest_code, trips FROM mobility.flows_unpartitioned;
INSERT INTO mobility.stays (id, person_id, region_code, arrived_at, left_at) OVERRIDING SYSTEM VALUE
  SELECT id, person_id, region_code, arrived_at, left_at FROM mobility.stays_unpartitioned;
-- New stays continue after the moved ids.
SELECT setval(pg_get_serial_sequence('mobility.stays', 'id'), COALESCE((SELECT max(id) FROM mobility.stays), 0) + 1, false);
DROP TABLE mobility.flows_unpartitioned;
DROP TABLE mobility.stays_unpartitioned;
ANALYZE mobility.flows;
ANALYZE mobility.stays;

-- Down Migration
-- Back to plain tables: rows are copied out of the partitions, the functions go.
ALTER TABLE mobility.flows RENAME TO flows_partitioned;
ALTER TABLE mobility.flows_partitioned DROP CONSTRAINT flows_pkey;
DROP INDEX mobility.flows_origin_date_cover_idx;
CREATE TABLE mobility.flows (
  date        date    NOT NULL,
  origin_code text    NOT NULL CHECK (origin_code ~ '^[0-9]{6}$'),
  dest_code   text    NOT NULL CHECK (dest_code ~ '^[0-9]{6}$'),
  trips       integer NOT NULL CHECK (trips > 0),
  PRIMARY KEY (dest_code, date, origin_code) INCLUDE (trips),
  CHECK (origin_code <> dest_code)
);
CREATE INDEX flows_origin_date_cover_idx ON mobility.flows (origin_code, date) INCLUDE (dest_code, trips);
INSERT INTO mobility.flows SELECT date, origin_code, dest_code, trips FROM mobility.flows_partitioned;
DROP TABLE mobility.flows_partitioned;

ALTER TABLE mobility.stays RENAME TO stays_partitioned;
ALTER TABLE mobility.stays_partitioned DROP CONSTRAINT stays_pkey;
ALTER TABLE mobility.stays_partitioned ALTER COLUMN id DROP IDENTITY;
DROP INDEX mobility.stays_person_arrived_idx;
DROP INDEX mobility.stays_left_at_idx;
CREATE TABLE mobility.stays (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  person_id   uuid        NOT NULL,
  region_code text        NOT NULL CHECK (region_code ~ '^[0-9]{6}$'),
  arrived_at  timestamptz NOT NULL,
  left_at     timestamptz NOT NULL,
  CHECK (left_at > arrived_at)
);
CREATE INDEX stays_person_arrived_idx ON mobility.stays (person_id, arrived_at);
CREATE INDEX stays_left_at_idx ON mobility.stays (left_at);
INSERT INTO mobility.stays (id, person_id, region_code, arrived_at, left_at) OVERRIDING SYSTEM VALUE
  SELECT id, person_id, region_code, arrived_at, left_at FROM mobility.stays_partitioned;
SELECT setval(pg_get_serial_sequence('mobility.stays', 'id'), COALESCE((SELECT max(id) FROM mobility.stays), 0) + 1, false);
DROP TABLE mobility.stays_partitioned;
DROP FUNCTION mobility.purge_stays_before(timestamptz);
DROP FUNCTION mobility.adopt_default_rows();
DROP FUNCTION mobility.ensure_month_partitions(date, date);
DROP FUNCTION mobility.create_range_partition(text, text, text, text, text);
