-- Up Migration
-- The whole country's window by date (the national map's 14-day summary, `countyRiskInputsOverRangeCte`
-- in datasources/countyRiskInputs.ts): every figure that summary reads is in the index, so one
-- index-only range scan of the window answers for every county at once (≈ 42,000 tuples for 2,978
-- counties × 14 days), where a probe per county took 45 ms. Replaces the narrower index of the
-- same key, whose readers (import risk, national timeseries) read a subset of these columns.
CREATE INDEX daily_reports_by_date_covering_idx ON cases.daily_reports (date, region_code)
  INCLUDE (new_confirmed, new_asymptomatic, new_suspected, new_recovered, new_deaths,
           cumulative_confirmed, cumulative_recovered, cumulative_deaths, last_confirmed_on);
DROP INDEX cases.daily_reports_date_region_idx;

-- Down Migration
CREATE INDEX daily_reports_date_region_idx ON cases.daily_reports (date, region_code)
  INCLUDE (new_confirmed, cumulative_confirmed, cumulative_recovered, cumulative_deaths);
DROP INDEX cases.daily_reports_by_date_covering_idx;
