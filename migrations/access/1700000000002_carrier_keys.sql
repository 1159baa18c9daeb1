-- Up Migration
-- Carriers and transport operators upload their own mobility data (issue 17): a new key role,
-- CARRIER, and the operator it uploads for. One key per operator (several keys may share an
-- operator, e.g. while a key is being rotated); an upload replaces that operator's rows only.
-- Only CARRIER keys have an operator, and every CARRIER key has one.
ALTER TABLE access.api_keys DROP CONSTRAINT api_keys_role_check;
ALTER TABLE access.api_keys ADD CONSTRAINT api_keys_role_check CHECK (role IN ('PARTNER', 'GOV', 'HEALTH', 'CARRIER'));
ALTER TABLE access.api_keys ADD COLUMN operator text CONSTRAINT api_keys_operator_check CHECK (operator ~ '^[a-z0-9][a-z0-9-]{1,62}$');
ALTER TABLE access.api_keys ADD CONSTRAINT api_keys_operator_of_carrier CHECK ((role = 'CARRIER') = (operator IS NOT NULL));
-- A carrier's calls are audited like any other key's.
ALTER TABLE access.audit_log DROP CONSTRAINT audit_log_role_check;
ALTER TABLE access.audit_log ADD CONSTRAINT audit_log_role_check CHECK (role IN ('PUBLIC', 'PARTNER', 'GOV', 'HEALTH', 'CARRIER'));

-- Down Migration
ALTER TABLE access.audit_log DROP CONSTRAINT audit_log_role_check;
ALTER TABLE access.audit_log ADD CONSTRAINT audit_log_role_check CHECK (role IN ('PUBLIC', 'PARTNER', 'GOV', 'HEALTH'));
ALTER TABLE access.api_keys DROP CONSTRAINT api_keys_operator_of_carrier;
ALTER TABLE access.api_keys DROP COLUMN operator;
ALTER TABLE access.api_keys DROP CONSTRAINT api_keys_role_check;
ALTER TABLE access.api_keys ADD CONSTRAINT api_keys_role_check CHECK (role IN ('PARTNER', 'GOV', 'HEALTH'));
