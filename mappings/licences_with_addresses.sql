-- Sample schema for mappings/licences_with_addresses.toml: licensed businesses whose address
-- lives in a separate table, and the view the mapping reads them through.
--
-- The business licences of the District of Squamish fit this shape. To load them, copy the CSV
-- into a staging table, store each distinct location once, and point every business at it:
--   CREATE TEMP TABLE licence_import (x text, y text, objectid text, gis_id text,
--     business_licence integer, business_name text, date_opened text, business_location text,
--     licence_status text, licence_type text, licence_description text, naics text,
--     naics_sector text, naics_description text, nonresident text, zoning text,
--     neighbourhood text, licence_code text);
--   \copy licence_import FROM 'squamish_business_licences.csv' WITH (FORMAT csv, HEADER true, ENCODING 'UTF8')
--   INSERT INTO addresses (location_text)
--   SELECT DISTINCT business_location FROM licence_import WHERE business_location IS NOT NULL;
--   INSERT INTO businesses (id, name, opened_on, address_id, licence_type, naics_description)
--   SELECT i.business_licence, i.business_name,
--          to_date(nullif(i.date_opened, ''), 'YYYY/MM/DD'), a.id, i.licence_type, i.naics_description
--   FROM licence_import i LEFT JOIN addresses a ON a.location_text = i.business_location;

CREATE TABLE IF NOT EXISTS public.addresses (
  id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  -- The location as the licensing system prints it: a street line, a line break (CRLF), then
  -- the town ("46021 GOVERNMENT RD" / "SQUAMISH BC"). Units use the Canadian unit-civic form
  -- "22-40022 GOVERNMENT RD". The system writes " -" when it has no location, and
  -- "BUSINESS - OUT OF TOWN" for a business based elsewhere.
  location_text  text NOT NULL UNIQUE
);

CREATE TABLE IF NOT EXISTS public.businesses (
  -- The licence number, assigned by the district.
  id                 integer PRIMARY KEY,
  -- The legal name, and on a second line the trade name when the business has one.
  name               text NOT NULL,
  -- date, because the licence records a calendar day; NULL for licences with no recorded date.
  opened_on          date,
  address_id         bigint REFERENCES public.addresses (id),
  licence_type       text,
  naics_description  text
);

-- One row per business with its address, and the two lines of each split apart.
-- Rows of businesses without an address stay in the view (LEFT JOIN), so that the connector
-- reads them and holds them for their missing street.
CREATE OR REPLACE VIEW public.business_leads AS
SELECT b.id,
       b.opened_on,
       b.licence_type,
       b.naics_description,
       btrim(split_part(b.name, E'\n', 1), E' \r') AS legal_name,
       nullif(btrim(split_part(b.name, E'\n', 2), E' \r'), '') AS trade_name,
       a.location_text,
       btrim(split_part(a.location_text, E'\n', 1), E' \r') AS street_line
FROM public.businesses b
LEFT JOIN public.addresses a ON a.id = b.address_id;
