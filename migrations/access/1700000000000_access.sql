-- Up Migration
-- The API's own records: API keys, issued passes (畅行码) and the audit trail of personal-data access.
-- Kept beside the person data they guard (ACCESS_DATABASE_URL defaults to DATABASE_URL, else CASE_DATABASE_URL).
CREATE SCHEMA IF NOT EXISTS access;

-- Down Migration
DROP SCHEMA access CASCADE;
