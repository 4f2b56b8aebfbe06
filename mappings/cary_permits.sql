-- Sample schema for mappings/cary_permits.toml: building permits as the Town of Cary, NC
-- publishes them. Load the CSV with psql:
--   \copy permits FROM 'cary_nc_permits_2015.csv' WITH (FORMAT csv, HEADER true)
-- Most columns stay text because the published values are not clean: dates come in two formats
-- ("2014-06-30" and "02/23/15"), valuation is money text ("$11,500.00") and square footage has
-- non-numeric values.

CREATE TABLE IF NOT EXISTS public.permits (
  year                integer,
  permit_number       bigint PRIMARY KEY,
  address             text,
  application_date    text,
  owner               text,
  application_number  text,
  application_type    text,
  valuation           text,
  square_footage      text,
  tenant_name         text,
  application_status  text,
  tenant_unit_number  text,
  general_contractor  text,
  zoning_description  text
);
