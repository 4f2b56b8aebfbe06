#!/bin/bash
# Runs once, when the postgres container initializes an empty data folder. Creates the permits
# table from mappings/cary_permits.sql and loads the sample CSV into permits_sample.
#
# The sample rows go to a staging table, not to permits: cc-connector captures inserts and updates
# made after `cc-connector init` installs its triggers, so rows already in permits would never be
# sent. The `shop` service copies them into permits once the connector has installed capture.
set -euo pipefail

psql=(psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" -X -q)
"${psql[@]}" -f /cc-demo/cary_permits.sql
"${psql[@]}" -c "CREATE TABLE public.permits_sample (LIKE public.permits INCLUDING ALL)"
"${psql[@]}" -c "\\copy public.permits_sample FROM '/cc-demo/cary_nc_permits_2015.csv' WITH (FORMAT csv, HEADER true)"
echo "permits table created; $("${psql[@]}" -A -t -c 'SELECT count(*) FROM public.permits_sample') sample rows in permits_sample"
