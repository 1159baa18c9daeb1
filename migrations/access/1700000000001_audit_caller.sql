-- Up Migration
-- Who an anonymous (PUBLIC) caller was, without keeping its address (issue 15): a pseudonym, the
-- HMAC-SHA256 (keyed with ID_HASH_SECRET) of its IPv4 address or IPv6 /64, 16 bytes in base64url.
-- One caller guessing names against many ID numbers shows as one caller across those rows; rows
-- of callers with an API key have their key_id instead (caller NULL). base64url, not hex: 32 hex
-- digits would now and then hold 18 decimal digits in a row, the shape the CHECK below and log
-- scans treat as an ID number.
ALTER TABLE access.audit_log ADD COLUMN caller text CHECK (caller ~ '^[A-Za-z0-9_-]{22}$');
CREATE INDEX audit_log_caller_idx ON access.audit_log (caller, id) WHERE caller IS NOT NULL;

-- Down Migration
DROP INDEX access.audit_log_caller_idx;
ALTER TABLE access.audit_log DROP COLUMN caller;
