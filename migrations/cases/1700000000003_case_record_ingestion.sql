-- Up Migration
-- Case records and close contacts fed by the health commission through the API (issue 17), not
-- only by the demo seed: natural keys so that a re-sent report is harmless, the contact's setting
-- and end of quarantine, and the stored results of calls made with an idempotency key.

-- The health commission's own number of a case record (流调编号): the natural key that a
-- re-sent or corrected record is matched by. Rows from before this migration get one from their id.
ALTER TABLE cases.case_records ADD COLUMN reference text;
UPDATE cases.case_records SET reference = 'C' || id;
ALTER TABLE cases.case_records
  ALTER COLUMN reference SET NOT NULL,
  -- rows written outside the reporting path (a correction by hand, test fixtures) get one of their own
  ALTER COLUMN reference SET DEFAULT 'R' || replace(gen_random_uuid()::text, '-', ''),
  ADD CONSTRAINT case_records_reference_key UNIQUE (reference),
  ADD CONSTRAINT case_records_reference_shape CHECK (reference ~ '^[A-Za-z0-9_-]{1,64}$'),
  ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now(),
  -- the dates a status implies, as the ingestion path checks them (src/reporting/caseStatus.ts)
  ADD CONSTRAINT case_records_dates_ordered CHECK (
    (confirmed_on IS NULL OR confirmed_on >= reported_on) AND
    (closed_on IS NULL OR closed_on >= coalesce(confirmed_on, reported_on)));

-- A contact is one link from a case to a person: re-sending it updates it.
ALTER TABLE cases.contacts
  ADD COLUMN setting text NOT NULL DEFAULT 'OTHER'
    CHECK (setting IN ('HOUSEHOLD', 'WORKPLACE', 'TRANSPORT', 'MEDICAL', 'SOCIAL', 'OTHER')),
  ADD COLUMN quarantine_ended_on date,
  ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now(),
  ADD CONSTRAINT contacts_case_person_key UNIQUE (case_id, person_id),
  ADD CONSTRAINT contacts_quarantine_after_exposure CHECK (quarantine_ended_on IS NULL OR quarantine_ended_on >= exposure_date);

-- The answer to a call made with an idempotency key: the same key and the same input get the
-- stored answer again without writing; the same key with another input is refused.
CREATE TABLE cases.ingest_requests (
  operation        text NOT NULL,
  idempotency_key  text NOT NULL CHECK (idempotency_key ~ '^[A-Za-z0-9_.:-]{8,100}$'),
  input_hash       bytea NOT NULL,
  result           jsonb NOT NULL,
  created_at       timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (operation, idempotency_key)
);

-- Pass colours read case records and contacts: a write to either bumps the data version in its
-- transaction (statement triggers, as for daily reports and clusters), so caches keyed by it move on.
CREATE TRIGGER case_records_bump_data_version
  AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON cases.case_records
  FOR EACH STATEMENT EXECUTE FUNCTION cases.bump_data_version();
CREATE TRIGGER contacts_bump_data_version
  AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON cases.contacts
  FOR EACH STATEMENT EXECUTE FUNCTION cases.bump_data_version();

-- Down Migration
DROP TRIGGER contacts_bump_data_version ON cases.contacts;
DROP TRIGGER case_records_bump_data_version ON cases.case_records;
DROP TABLE cases.ingest_requests;
ALTER TABLE cases.contacts
  DROP CONSTRAINT contacts_quarantine_after_exposure, DROP CONSTRAINT contacts_case_person_key,
  DROP COLUMN updated_at, DROP COLUMN quarantine_ended_on, DROP COLUMN setting;
ALTER TABLE cases.case_records
  DROP CONSTRAINT case_records_dates_ordered, DROP COLUMN updated_at,
  DROP CONSTRAINT case_records_reference_shape, DROP CONSTRAINT case_records_reference_key, DROP COLUMN reference;
