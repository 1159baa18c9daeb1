-- Up Migration
-- One counter that every change to case data bumps in the same transaction (ingestion, seeding).
-- Cached API answers are keyed by it, so every server instance sees a change at once: a cached
-- national map can never outlive the report that changed it.
CREATE TABLE cases.data_version (
  id         boolean PRIMARY KEY DEFAULT true CHECK (id),
  version    bigint NOT NULL,
  changed_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO cases.data_version (version) VALUES (1);

-- Down Migration
DROP TABLE cases.data_version;
