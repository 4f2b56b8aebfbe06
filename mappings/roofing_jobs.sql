-- Sample schema for mappings/roofing_jobs.toml: the jobs table of a roofing shop in Squamish, BC,
-- keyed by UUID, with the job status as an enum and the owners of the property in one column.
--
-- The building permits of the District of Squamish fit this shape. To load them, copy the CSV
-- into a staging table of text columns and convert while inserting:
--   CREATE TEMP TABLE permit_import (x text, y text, objectid_1 text, folder_number text, folio text,
--     unit text, house text, street text, folder_category text, folder_type text, report_code text,
--     project_number text, project_name text, status text, application_date text, issued_date text,
--     applicant_owner text, building_height text, gross_floor_area text, units_created text,
--     construction_value text);
--   \copy permit_import FROM 'squamish_building_permits.csv' WITH (FORMAT csv, HEADER true, ENCODING 'UTF8')
--   INSERT INTO roofing_jobs (permit_number, folio, unit, house_number, street, job_type, work_code,
--     project_name, status, applied_on, issued_on, owners, construction_value, latitude, longitude)
--   SELECT folder_number, folio, nullif(unit, ''), nullif(house, ''), nullif(street, ''),
--     folder_type, report_code, nullif(project_name, ''), status::job_status,
--     nullif(application_date, ''), nullif(issued_date, ''), nullif(applicant_owner, ''),
--     nullif(construction_value, '')::numeric,
--     degrees(2 * atan(exp(y::double precision / 6378137)) - pi() / 2),
--     degrees(x::double precision / 6378137)
--   FROM permit_import;
-- X and Y in that file are Web Mercator metres (EPSG:3857); the last two expressions convert
-- them to degrees of latitude and longitude on the WGS 84 sphere that Web Mercator assumes.
--
-- gen_random_uuid() is built into PostgreSQL 13 and later; on 12 or older, run
-- CREATE EXTENSION pgcrypto first.

-- The labels match the values of the permit system, so that imported values cast directly. The mapping skips cancelled jobs and maps the others to Contractors Cloud status names.
DO $$
BEGIN
  CREATE TYPE public.job_status AS ENUM ('IN-PROGRESS', 'ON-HOLD', 'COMPLETED', 'CANCELLED');
EXCEPTION
  WHEN duplicate_object THEN NULL;  -- already created by an earlier run of this file
END
$$;

CREATE TABLE IF NOT EXISTS public.roofing_jobs (
  -- A UUID, so that jobs created offline, such as on a tablet, merge without key clashes.
  id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  -- The permit number is not unique: one permit can cover several units of a building.
  permit_number       text NOT NULL,
  -- The 13-digit assessment roll number: text, because it is an identifier, not a quantity.
  folio               text,
  unit                text,
  -- Text, because civic numbers can carry letters ("1234A").
  house_number        text,
  street              text,
  job_type            text,
  work_code           text,
  project_name        text,
  status              public.job_status NOT NULL DEFAULT 'IN-PROGRESS',
  -- Dates stay text as the permit system exports them ("2017/05/10 00:00:00+00"), because the
  -- shop's import script copies them unchanged; mysql_datetime reads that form.
  applied_on          text,
  issued_on           text,
  -- Every owner of the property in one field, as "LAST FIRST M |  LAST FIRST".
  owners              text,
  -- NULL for the jobs imported from permits, which have no postal code; the mapping then
  -- sends the district's postal code.
  postal_code         text,
  -- numeric, so that dollar amounts are exact decimals rather than binary floating point.
  -- NULL when the permit states no value.
  construction_value  numeric(14, 2),
  -- Degrees, with six decimals (about 0.1 m), as Contractors Cloud expects in opt_lat and opt_long.
  latitude            numeric(9, 6),
  longitude           numeric(9, 6)
);
