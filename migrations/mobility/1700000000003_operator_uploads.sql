-- Up Migration
-- Carriers and transport operators upload their own flows and stays (issue 17, docs/ingestion.md).
-- Each row now names the operator that sent it, so that re-sending a day replaces that operator's
-- day and nothing else: flows per (operator, date), stays per (operator, day of arrival in
-- Asia/Shanghai). Rows from before this migration are the demo simulator's: operator 'demo', the
-- operator of the demo CARRIER key. Readers sum trips over operators and modes (they already
-- group by origin and destination), so several operators counting the same pair add up.
-- The primary key is rebuilt with the new columns: minutes for the medium seed's 1.9 million rows.
SET LOCAL statement_timeout = 0;

-- flows --------------------------------------------------------------------------------------
ALTER TABLE mobility.flows ADD COLUMN operator text NOT NULL DEFAULT 'demo'
  CONSTRAINT flows_operator_check CHECK (operator ~ '^[a-z0-9][a-z0-9-]{1,62}$');
-- How the trips were counted; MIXED for telecom location data, which cannot tell.
ALTER TABLE mobility.flows ADD COLUMN mode text NOT NULL DEFAULT 'MIXED'
  CONSTRAINT flows_mode_check CHECK (mode IN ('AIR', 'RAIL', 'ROAD', 'WATER', 'MIXED'));
ALTER TABLE mobility.flows ALTER COLUMN operator DROP DEFAULT;
ALTER TABLE mobility.flows ALTER COLUMN mode DROP DEFAULT;
ALTER TABLE mobility.flows DROP CONSTRAINT flows_pkey;
-- Still led by (dest_code, date, origin_code) for inflows and import risk, covering trips.
ALTER TABLE mobility.flows ADD PRIMARY KEY (dest_code, date, origin_code, operator, mode) INCLUDE (trips);

-- stays --------------------------------------------------------------------------------------
ALTER TABLE mobility.stays ADD COLUMN operator text NOT NULL DEFAULT 'demo'
  CONSTRAINT stays_operator_check CHECK (operator ~ '^[a-z0-9][a-z0-9-]{1,62}$');
ALTER TABLE mobility.stays ADD COLUMN source text NOT NULL DEFAULT 'TELECOM'
  CONSTRAINT stays_source_check CHECK (source IN ('TELECOM', 'RAIL', 'AIR', 'ROAD', 'WATER'));
ALTER TABLE mobility.stays ALTER COLUMN operator DROP DEFAULT;
ALTER TABLE mobility.stays ALTER COLUMN source DROP DEFAULT;
-- An upload replaces the operator's stays that began on its days: found by this index, not by a
-- scan of every month (stays are partitioned by when they ended).
CREATE INDEX stays_operator_arrived_idx ON mobility.stays (operator, arrived_at);

-- ingest jobs --------------------------------------------------------------------------------
-- One row per upload (POST /ingest/flows, /ingest/stays): what came, what was applied, what was
-- wrong. Written RUNNING when the upload starts (its own transaction, so it can be polled while
-- the data streams in) and finished once. `errors` holds the first INGEST_MAX_ERRORS problems
-- ({row, column, message}), never a name or an ID number; error_count counts them all.
CREATE TABLE mobility.ingest_jobs (
  id            uuid PRIMARY KEY,
  operator      text NOT NULL CHECK (operator ~ '^[a-z0-9][a-z0-9-]{1,62}$'),
  kind          text NOT NULL CHECK (kind IN ('FLOWS', 'STAYS')),
  -- RUNNING → SUCCEEDED (applied), REJECTED (bad input: nothing applied) or FAILED (the transfer
  -- or the server failed: nothing applied)
  status        text NOT NULL CHECK (status IN ('RUNNING', 'SUCCEEDED', 'REJECTED', 'FAILED')),
  partial       boolean NOT NULL,
  format        text NOT NULL CHECK (format IN ('CSV', 'NDJSON')),
  -- access.api_keys.id of the uploading key (another datasource: no foreign key)
  key_id        uuid,
  request_id    text CHECK (length(request_id) <= 200),
  started_at    timestamptz NOT NULL DEFAULT now(),
  finished_at   timestamptz,
  bytes         bigint NOT NULL DEFAULT 0,
  rows_received bigint NOT NULL DEFAULT 0,
  rows_applied  bigint NOT NULL DEFAULT 0,
  rows_replaced bigint NOT NULL DEFAULT 0,
  error_count   bigint NOT NULL DEFAULT 0,
  errors        jsonb NOT NULL DEFAULT '[]',
  -- the days whose rows of this operator the upload replaced
  dates         date[] NOT NULL DEFAULT '{}',
  CHECK ((status = 'RUNNING') = (finished_at IS NULL))
);
-- Query.ingestJobs: an operator's jobs, newest first.
CREATE INDEX ingest_jobs_operator_idx ON mobility.ingest_jobs (operator, started_at DESC, id DESC);

-- Down Migration
DROP TABLE mobility.ingest_jobs;
DROP INDEX mobility.stays_operator_arrived_idx;
ALTER TABLE mobility.stays DROP COLUMN source;
ALTER TABLE mobility.stays DROP COLUMN operator;
ALTER TABLE mobility.flows DROP CONSTRAINT flows_pkey;
ALTER TABLE mobility.flows DROP COLUMN mode;
ALTER TABLE mobility.flows DROP COLUMN operator;
ALTER TABLE mobility.flows ADD PRIMARY KEY (dest_code, date, origin_code) INCLUDE (trips);
