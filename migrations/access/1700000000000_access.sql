-- Up Migration
-- The API's own records: API keys, issued passes (畅行码) and the audit trail of personal-data access.
-- Kept beside the person data they guard (ACCESS_DATABASE_URL defaults to DATABASE_URL, else CASE_DATABASE_URL).
CREATE SCHEMA IF NOT EXISTS access;

-- API keys of PARTNER, GOV and HEALTH callers (PUBLIC needs none). A key is a high-entropy random
-- string (`cx_live_` + 32 random bytes, base64url: 256 bits), shown to its owner once and stored
-- only as its SHA-256. A slow password hash (bcrypt, scrypt, argon2) exists to make guessing
-- low-entropy human secrets expensive; a 256-bit random secret cannot be guessed, so a fast hash
-- loses nothing and keeps the per-request lookup a single index probe. Keys are revoked, never
-- deleted, so that the audit trail can always say whose key it was.
CREATE TABLE access.api_keys (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  key_hash    bytea NOT NULL UNIQUE CHECK (octet_length(key_hash) = 32),
  role        text NOT NULL CHECK (role IN ('PARTNER', 'GOV', 'HEALTH')),
  owner_name  text NOT NULL CHECK (length(btrim(owner_name)) > 0),
  created_at  timestamptz NOT NULL DEFAULT now(),
  revoked_at  timestamptz
);

CREATE FUNCTION access.api_keys_never_deleted() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'access.api_keys rows are never deleted (% refused): the audit trail refers to them; revoke the key instead', TG_OP;
END;
$$;
CREATE TRIGGER api_keys_no_delete BEFORE DELETE ON access.api_keys
  FOR EACH STATEMENT EXECUTE FUNCTION access.api_keys_never_deleted();
CREATE TRIGGER api_keys_no_truncate BEFORE TRUNCATE ON access.api_keys
  FOR EACH STATEMENT EXECUTE FUNCTION access.api_keys_never_deleted();

-- Who read whose personal data, when, and with what result (DESIGN §2: every person-level read
-- is audited). Append-only: the trigger below refuses UPDATE, DELETE and TRUNCATE for every
-- role, superusers included, and is ENABLE ALWAYS so that `SET session_replication_role =
-- replica` does not switch it off either (only an explicit, logged ALTER TABLE … DISABLE TRIGGER
-- by the table owner could). In production the application's database role should not own this
-- table and should hold only
--   GRANT USAGE ON SCHEMA access TO <app role>;
--   GRANT SELECT, INSERT ON access.audit_log TO <app role>;
-- so that the privileges, not only the trigger, forbid rewriting history.
-- Rows name people by `subject_person_id` (cases.persons.id, another datasource: no foreign key),
-- never by resident ID number or name; the CHECK below refuses any text that contains something
-- shaped like an ID number (17 digits and a digit or X).
CREATE TABLE access.audit_log (
  id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at                 timestamptz NOT NULL DEFAULT now(),
  -- access.api_keys.id. No foreign key on purpose: partners insert audit rows for one key at
  -- thousands of requests per second, and each FK check takes a KEY SHARE lock on that one key row
  -- (MultiXact churn under concurrency). Keys cannot be deleted (trigger above), so ids stay valid.
  key_id             uuid,
  role               text NOT NULL CHECK (role IN ('PUBLIC', 'PARTNER', 'GOV', 'HEALTH')),
  operation          text NOT NULL CHECK (length(operation) BETWEEN 1 AND 200),
  subject_person_id  uuid,
  outcome            text NOT NULL CHECK (length(outcome) BETWEEN 1 AND 100),
  request_id         text,
  detail             text CHECK (length(detail) <= 2000),
  CONSTRAINT audit_log_no_id_number CHECK (
    operation !~ '[0-9]{17}[0-9Xx]'
    AND outcome !~ '[0-9]{17}[0-9Xx]'
    AND coalesce(request_id, '') !~ '[0-9]{17}[0-9Xx]'
    AND coalesce(detail, '') !~ '[0-9]{17}[0-9Xx]'
  )
);
-- The filters of Query.auditTrail (HEALTH). The trail is read newest first (by id), so the
-- equality filters are indexed together with id: a page is an ordered index range, not a sort.
CREATE INDEX audit_log_at_idx ON access.audit_log (at);
CREATE INDEX audit_log_subject_idx ON access.audit_log (subject_person_id, id) WHERE subject_person_id IS NOT NULL;
CREATE INDEX audit_log_key_idx ON access.audit_log (key_id, id) WHERE key_id IS NOT NULL;
CREATE INDEX audit_log_operation_idx ON access.audit_log (operation, id);

CREATE FUNCTION access.audit_log_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'access.audit_log is append-only: % is not allowed', TG_OP
    USING HINT = 'Audit rows are never changed or removed; write a new row instead.';
END;
$$;
-- FOR EACH STATEMENT: refuses even a statement that would touch no row.
CREATE TRIGGER audit_log_no_update_delete
  BEFORE UPDATE OR DELETE ON access.audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION access.audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate
  BEFORE TRUNCATE ON access.audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION access.audit_log_append_only();
ALTER TABLE access.audit_log ENABLE ALWAYS TRIGGER audit_log_no_update_delete;
ALTER TABLE access.audit_log ENABLE ALWAYS TRIGGER audit_log_no_truncate;

-- The pass registry (畅行码): one row per issued pass. The pass logic lives with the pass
-- module; this table only records what was issued, so that a pass can be revoked and a
-- person's passes found. person_id is cases.persons.id in another datasource: no foreign key.
CREATE TABLE access.passes (
  id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  person_id    uuid NOT NULL,
  issued_at    timestamptz NOT NULL,
  valid_until  timestamptz NOT NULL,
  revoked_at   timestamptz
);
CREATE INDEX passes_person_idx ON access.passes (person_id);

-- Down Migration
DROP SCHEMA access CASCADE;
