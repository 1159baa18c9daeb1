-- Up Migration
-- Every statement that writes daily reports or clusters bumps cases.data_version in its own
-- transaction, also when the write does not come through the API (a bulk load, a correction by
-- hand in psql). The response cache and the process-wide county-level cache of pass checks are
-- keyed by this version, so their invalidation no longer depends on every writer remembering to
-- bump it. Statement-level: a COPY of a million rows bumps once.
CREATE FUNCTION cases.bump_data_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE cases.data_version SET version = version + 1, changed_at = now();
  RETURN NULL;
END;
$$;

CREATE TRIGGER daily_reports_bump_data_version
  AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON cases.daily_reports
  FOR EACH STATEMENT EXECUTE FUNCTION cases.bump_data_version();

CREATE TRIGGER clusters_bump_data_version
  AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON cases.clusters
  FOR EACH STATEMENT EXECUTE FUNCTION cases.bump_data_version();

-- Down Migration
DROP TRIGGER clusters_bump_data_version ON cases.clusters;
DROP TRIGGER daily_reports_bump_data_version ON cases.daily_reports;
DROP FUNCTION cases.bump_data_version();
