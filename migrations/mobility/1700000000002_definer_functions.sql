-- Up Migration
-- The application's database role owns no table (README, "Database roles"), so it cannot create or
-- drop partitions itself: retention and partition upkeep run as the functions' owner, the role that
-- ran the migrations (SECURITY DEFINER), with a search path that a caller cannot redirect (every
-- object in them is schema-qualified; pg_temp last). Only roles granted EXECUTE may call them
-- (src/db/roles.ts grants the application's role), not PUBLIC.
ALTER FUNCTION mobility.ensure_month_partitions(date, date) SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION mobility.purge_stays_before(timestamptz) SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION mobility.adopt_default_rows() SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
REVOKE EXECUTE ON FUNCTION mobility.ensure_month_partitions(date, date) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION mobility.purge_stays_before(timestamptz) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION mobility.create_range_partition(text, text, text, text, text) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION mobility.adopt_default_rows() FROM PUBLIC;

-- Down Migration
GRANT EXECUTE ON FUNCTION mobility.adopt_default_rows() TO PUBLIC;
GRANT EXECUTE ON FUNCTION mobility.create_range_partition(text, text, text, text, text) TO PUBLIC;
GRANT EXECUTE ON FUNCTION mobility.purge_stays_before(timestamptz) TO PUBLIC;
GRANT EXECUTE ON FUNCTION mobility.ensure_month_partitions(date, date) TO PUBLIC;
ALTER FUNCTION mobility.adopt_default_rows() SECURITY INVOKER RESET search_path;
ALTER FUNCTION mobility.purge_stays_before(timestamptz) SECURITY INVOKER RESET search_path;
ALTER FUNCTION mobility.ensure_month_partitions(date, date) SECURITY INVOKER RESET search_path;
