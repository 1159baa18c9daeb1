-- Up Migration
-- The case datasource (health commission): daily reports, clusters, case records, persons, contacts.
CREATE SCHEMA IF NOT EXISTS cases;

-- One row per county and day. Counts are the day's new figures; the cumulative_* and
-- last_confirmed_on columns are the running values up to and including that day, maintained by
-- the ingestion path (CaseSource.reportDaily) so that "as of" aggregates read one row instead of
-- summing the whole history.
CREATE TABLE cases.daily_reports (
  region_code            text    NOT NULL CHECK (region_code ~ '^[0-9]{6}$'),
  date                   date    NOT NULL,
  new_confirmed          integer NOT NULL DEFAULT 0 CHECK (new_confirmed >= 0),
  new_asymptomatic       integer NOT NULL DEFAULT 0 CHECK (new_asymptomatic >= 0),
  new_suspected          integer NOT NULL DEFAULT 0 CHECK (new_suspected >= 0),
  new_recovered          integer NOT NULL DEFAULT 0 CHECK (new_recovered >= 0),
  new_deaths             integer NOT NULL DEFAULT 0 CHECK (new_deaths >= 0),
  cumulative_confirmed   integer NOT NULL DEFAULT 0,
  cumulative_recovered   integer NOT NULL DEFAULT 0,
  cumulative_deaths      integer NOT NULL DEFAULT 0,
  last_confirmed_on      date,
  reported_at            timestamptz NOT NULL DEFAULT now(),
  -- Per-region windows and "latest row on or before asOf" use the primary key; it covers the
  -- figures those read so that both are index-only scans.
  PRIMARY KEY (region_code, date)
    INCLUDE (new_confirmed, new_asymptomatic, new_suspected, new_recovered, new_deaths,
             cumulative_confirmed, cumulative_recovered, cumulative_deaths, last_confirmed_on)
);
-- Whole-country windows (import risk, national timeseries): by date first.
CREATE INDEX daily_reports_date_region_idx ON cases.daily_reports (date, region_code)
  INCLUDE (new_confirmed, cumulative_confirmed, cumulative_recovered, cumulative_deaths);

-- 聚集性疫情: a cluster detected in a county on a day.
CREATE TABLE cases.clusters (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  region_code  text    NOT NULL CHECK (region_code ~ '^[0-9]{6}$'),
  detected_on  date    NOT NULL,
  size         integer NOT NULL CHECK (size >= 2),
  description  text,
  created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX clusters_region_detected_idx ON cases.clusters (region_code, detected_on);

-- A person known to the health commission. The resident ID number is never stored: only its
-- keyed hash (HMAC-SHA256 with ID_HASH_SECRET), so a leaked table cannot be reversed by
-- enumerating the (small) space of valid ID numbers without the secret.
CREATE TABLE cases.persons (
  id               uuid PRIMARY KEY,
  id_hash          bytea NOT NULL UNIQUE,
  name             text  NOT NULL,
  home_region_code text  NOT NULL CHECK (home_region_code ~ '^[0-9]{6}$'),
  created_at       timestamptz NOT NULL DEFAULT now()
);

-- A case record: one infection episode of a person.
CREATE TABLE cases.case_records (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  person_id    uuid NOT NULL REFERENCES cases.persons (id) ON DELETE CASCADE,
  region_code  text NOT NULL CHECK (region_code ~ '^[0-9]{6}$'),
  -- CONFIRMED, ASYMPTOMATIC, SUSPECTED: active; RECOVERED, DECEASED, RULED_OUT: closed
  status       text NOT NULL CHECK (status IN ('CONFIRMED', 'ASYMPTOMATIC', 'SUSPECTED', 'RECOVERED', 'DECEASED', 'RULED_OUT')),
  reported_on  date NOT NULL,
  confirmed_on date,
  closed_on    date,
  cluster_id   bigint REFERENCES cases.clusters (id) ON DELETE SET NULL
);
CREATE INDEX case_records_person_idx ON cases.case_records (person_id, reported_on);
CREATE INDEX case_records_region_idx ON cases.case_records (region_code, reported_on);

-- A close-contact link: person_id was exposed to the case on exposure_date.
CREATE TABLE cases.contacts (
  id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  person_id      uuid NOT NULL REFERENCES cases.persons (id) ON DELETE CASCADE,
  case_id        bigint NOT NULL REFERENCES cases.case_records (id) ON DELETE CASCADE,
  exposure_date  date NOT NULL,
  region_code    text NOT NULL CHECK (region_code ~ '^[0-9]{6}$')
);
CREATE INDEX contacts_person_idx ON cases.contacts (person_id, exposure_date);
CREATE INDEX contacts_case_idx ON cases.contacts (case_id);

-- Down Migration
DROP SCHEMA cases CASCADE;
