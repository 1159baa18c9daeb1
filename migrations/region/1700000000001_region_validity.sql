-- Up Migration
-- Region codes change as the GB/T 2260 list changes year to year (issue 17): codes are added,
-- abolished, renamed, merged. A row is never deleted: it carries the days it was in force, and a
-- retired code lists its successors, so history stays addressable by the code in force then.
ALTER TABLE region.regions
  -- first day in force; rows from before this migration have been in force since the list began
  ADD COLUMN valid_from date NOT NULL DEFAULT DATE '1980-01-01',
  -- last day in force (inclusive); NULL while in force
  ADD COLUMN valid_to date,
  ADD CONSTRAINT regions_validity_ordered CHECK (valid_to IS NULL OR valid_to >= valid_from);

-- The units in force on a day, per level and per parent (regions(asOf), children(asOf)).
DROP INDEX region.regions_level_code_idx;
DROP INDEX region.regions_parent_code_idx;
CREATE INDEX regions_level_code_idx ON region.regions (level, code) INCLUDE (valid_from, valid_to);
CREATE INDEX regions_parent_code_idx ON region.regions (parent_code, code) INCLUDE (valid_from, valid_to);

-- A retired code's successors: the units its area went to on `effective_on`.
CREATE TABLE region.successors (
  code           text NOT NULL REFERENCES region.regions (code) ON DELETE CASCADE,
  successor_code text NOT NULL REFERENCES region.regions (code) ON DELETE CASCADE,
  effective_on   date NOT NULL,
  PRIMARY KEY (code, successor_code),
  CHECK (code <> successor_code)
);
CREATE INDEX successors_successor_idx ON region.successors (successor_code);

-- Every change applied, as it was sent (applyRegionChanges, `npm run regions -- import`).
CREATE TABLE region.changes (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  code          text NOT NULL CHECK (code ~ '^[0-9]{6}$'),
  change        text NOT NULL CHECK (change IN ('ADDED', 'ABOLISHED', 'RENAMED', 'MERGED')),
  effective_on  date NOT NULL,
  name          text,
  previous_name text,
  successor_codes text[] NOT NULL DEFAULT '{}',
  applied_at    timestamptz NOT NULL DEFAULT now(),
  UNIQUE (code, change, effective_on)
);

-- Down Migration
DROP TABLE region.changes;
DROP TABLE region.successors;
DROP INDEX region.regions_level_code_idx;
DROP INDEX region.regions_parent_code_idx;
CREATE INDEX regions_level_code_idx ON region.regions (level, code);
CREATE INDEX regions_parent_code_idx ON region.regions (parent_code, code);
ALTER TABLE region.regions DROP CONSTRAINT regions_validity_ordered, DROP COLUMN valid_to, DROP COLUMN valid_from;
