-- Up Migration
-- The region datasource (civil affairs): administrative divisions by GB/T 2260 code.
-- It lives in its own schema so that it can move to its own database (REGION_DATABASE_URL).
CREATE SCHEMA IF NOT EXISTS region;

CREATE TABLE region.regions (
  code              text PRIMARY KEY CHECK (code ~ '^[0-9]{6}$'),
  name              text NOT NULL,
  -- PROVINCE (incl. 新疆生产建设兵团), CITY (prefecture level or a grouping such as 市辖区), COUNTY
  level             text NOT NULL CHECK (level IN ('PROVINCE', 'CITY', 'COUNTY')),
  -- ADMINISTRATIVE, DEVELOPMENT_ZONE (statistical code xxxx7x, not a GB/T 2260 division),
  -- GROUPING (a 市辖区 / 县 / 省直辖县级行政区划 pseudo-level kept so that every county has a city)
  kind              text NOT NULL DEFAULT 'ADMINISTRATIVE'
                    CHECK (kind IN ('ADMINISTRATIVE', 'DEVELOPMENT_ZONE', 'GROUPING', 'XPCC')),
  official_name     text NOT NULL,
  parent_code       text REFERENCES region.regions (code) ON DELETE RESTRICT,
  province_code     text NOT NULL,
  population        integer NOT NULL CHECK (population >= 0),
  population_source text NOT NULL,
  population_year   integer NOT NULL
);

-- regions(level) pages in code order; children(parentCode) pages in code order.
CREATE INDEX regions_level_code_idx ON region.regions (level, code);
CREATE INDEX regions_parent_code_idx ON region.regions (parent_code, code);
CREATE INDEX regions_province_idx ON region.regions (province_code, level);

-- Down Migration
DROP SCHEMA region CASCADE;
