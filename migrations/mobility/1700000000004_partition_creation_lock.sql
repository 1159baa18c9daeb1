-- Up Migration
-- Partitions made by one transaction at a time: three instances started at once against one
-- database failed with "relation flows_2027_01 already exists" (tests/integration/instances.test.ts).
CREATE OR REPLACE FUNCTION mobility.create_range_partition(parent text, key text, name text, lo text, hi text)
RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
  in_default boolean;
BEGIN
  -- one creator at a time (until its transaction ends): instances starting together, the seed and
  -- carriers' uploads each make next month's partition, and the check below would let two try it
  PERFORM pg_advisory_xact_lock(hashtext('mobility.create_range_partition'));
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

-- Down Migration
CREATE OR REPLACE FUNCTION mobility.create_range_partition(parent text, key text, name text, lo text, hi text)
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
