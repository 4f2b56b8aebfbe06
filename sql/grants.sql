-- Least-privilege roles for cc-connector. Apply by hand as a superuser or the tables' owner:
--
--   psql -v ON_ERROR_STOP=1 -v connector_role=cc_connector -v jobs_table=public.jobs -f sql/grants.sql
--
-- Two kinds of work need different rights:
-- * `cc-connector init` and `uninstall` create the cc_sync schema and triggers on the watched
--   tables. PostgreSQL lets only a table's owner (or a superuser) create a trigger on it, so run
--   them as the owner of the watched tables, once per upgrade.
-- * `cc-connector run`, `status`, `preview` and `check` need only the grants below. Repeat the
--   SELECT grant for every watched table.

GRANT CONNECT ON DATABASE :"DBNAME" TO :"connector_role";
GRANT USAGE ON SCHEMA cc_sync TO :"connector_role";
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA cc_sync TO :"connector_role";
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA cc_sync TO :"connector_role";

-- The connector reads each watched row when it delivers it. It writes to the shop's tables only
-- when a mapping names [writeback] columns; grant UPDATE on exactly those columns.
GRANT USAGE ON SCHEMA public TO :"connector_role";
GRANT SELECT ON :jobs_table TO :"connector_role";
-- GRANT UPDATE (cc_status, cc_imported_at, cc_record_id) ON :jobs_table TO :"connector_role";
