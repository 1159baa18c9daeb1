-- Up Migration
-- The mobility datasource (carriers / transport): daily origin→destination flows between
-- counties, and personal itineraries (stays of at least 4 hours in a county).
CREATE SCHEMA IF NOT EXISTS mobility;

CREATE TABLE mobility.flows (
  date        date    NOT NULL,
  origin_code text    NOT NULL CHECK (origin_code ~ '^[0-9]{6}$'),
  dest_code   text    NOT NULL CHECK (dest_code ~ '^[0-9]{6}$'),
  trips       integer NOT NULL CHECK (trips > 0),
  -- inflows(region, days) and import risk per destination: the primary key, covering trips.
  PRIMARY KEY (dest_code, date, origin_code) INCLUDE (trips),
  CHECK (origin_code <> dest_code)
);
-- outflows(region, days):
CREATE INDEX flows_origin_date_cover_idx ON mobility.flows (origin_code, date) INCLUDE (dest_code, trips);

-- A stay of a person in a county. person_id refers to cases.persons(id), which may live in
-- another database: no foreign key across datasources.
CREATE TABLE mobility.stays (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  person_id   uuid        NOT NULL,
  region_code text        NOT NULL CHECK (region_code ~ '^[0-9]{6}$'),
  arrived_at  timestamptz NOT NULL,
  left_at     timestamptz NOT NULL,
  CHECK (left_at > arrived_at)
);
CREATE INDEX stays_person_arrived_idx ON mobility.stays (person_id, arrived_at);
-- retention purges by age
CREATE INDEX stays_left_at_idx ON mobility.stays (left_at);

-- Down Migration
DROP SCHEMA mobility CASCADE;
