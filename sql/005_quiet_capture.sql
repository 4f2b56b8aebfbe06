-- cc-connector schema, version 5: a capture trigger that costs the shop's writes less.
--
-- The version 1 trigger put three costs on every shop transaction that writes a watched row:
-- * pg_notify. PostgreSQL commits the transactions that sent a NOTIFY one at a time: each holds
--   the notification queue's lock through its commit's WAL flush, so concurrent writers lose group
--   commit. With 8 pgbench clients the INSERT rate fell to a third.
-- * SET search_path on the function. PostgreSQL sets and restores it on every call and rebuilds
--   its search path each time, which cost about a sixth of a one-row INSERT.
-- * The primary key of change_log, an index write per row that no query reads: capture finds
--   changes through (source, txid), and change_id only orders them.
--
-- The trigger now sends a NOTIFY only while the connector sleeps waiting for one. The wake lock
-- is the session advisory lock (1667463009, hashtext of this schema's name):
-- * A sleeping connector holds it exclusively.
-- * A writer that can take it shared knows the connector is awake or not running. It skips the
--   NOTIFY and keeps the shared lock until its transaction ends.
-- * Before it sleeps, the connector takes the lock exclusively with pg_try_advisory_lock. That
--   succeeds only once every writer that skipped its NOTIFY has committed or rolled back, and the
--   connector then captures once more, so no committed change waits for the poll interval.
-- Neither side ever waits for the lock: the connector tries, and a writer that cannot take it
-- sends the NOTIFY. The trigger function holds hashtext of the schema name as a number, computed
-- when capture is installed; `cc-connector init` computes it again, should a PostgreSQL upgrade
-- ever change hashtext.
--
-- The function stays SECURITY DEFINER so that the shop's roles need no privileges on this schema.
-- Instead of SET search_path, every function, operator and table in its body is qualified with
-- its schema, so objects in the caller's search path cannot take their place.

ALTER TABLE cc_sync.change_log DROP CONSTRAINT IF EXISTS change_log_pkey;

CREATE OR REPLACE FUNCTION cc_sync.install_capture(p_source text, p_table regclass, p_key_columns text[])
RETURNS void
LANGUAGE plpgsql
AS $install$
DECLARE
  function_name text := format('%I.%I', 'cc_sync', 'capture_' || p_source);
  key_expression text;
  missing_column text;
BEGIN
  IF p_source !~ '^[a-z_][a-z0-9_]{0,39}$' THEN
    RAISE EXCEPTION 'invalid source name "%"', p_source
      USING HINT = 'Use lowercase letters, digits and underscores, at most 40 characters.';
  END IF;
  IF coalesce(array_length(p_key_columns, 1), 0) = 0 THEN
    RAISE EXCEPTION 'source "%" has no key columns', p_source;
  END IF;

  SELECT k INTO missing_column
    FROM unnest(p_key_columns) AS k
   WHERE NOT EXISTS (SELECT 1 FROM pg_attribute a
                      WHERE a.attrelid = p_table AND a.attname = k AND a.attnum > 0 AND NOT a.attisdropped)
   LIMIT 1;
  IF missing_column IS NOT NULL THEN
    RAISE EXCEPTION 'key column "%" of source "%" does not exist in table %', missing_column, p_source, p_table;
  END IF;

  SELECT string_agg(format('%L, NEW.%I', k, k), ', ') INTO key_expression FROM unnest(p_key_columns) AS k;

  EXECUTE format($function$
    CREATE OR REPLACE FUNCTION %s() RETURNS trigger
    LANGUAGE plpgsql
    SECURITY DEFINER
    AS $body$
    BEGIN
      IF pg_catalog.current_setting('cc_connector.origin', true) OPERATOR(pg_catalog.=) 'connector' THEN
        RETURN NULL;
      END IF;
      INSERT INTO cc_sync.change_log (source, row_key) VALUES (%L, pg_catalog.jsonb_build_object(%s));
      IF NOT pg_catalog.pg_try_advisory_xact_lock_shared(1667463009, %s) THEN
        PERFORM pg_catalog.pg_notify('cc_sync', %L);
      END IF;
      RETURN NULL;
    END
    $body$
  $function$, function_name, p_source, key_expression, hashtext('cc_sync'), p_source);

  EXECUTE format('DROP TRIGGER IF EXISTS %I ON %s', 'cc_sync_insert_' || p_source, p_table);
  EXECUTE format('DROP TRIGGER IF EXISTS %I ON %s', 'cc_sync_update_' || p_source, p_table);
  EXECUTE format('CREATE TRIGGER %I AFTER INSERT ON %s FOR EACH ROW EXECUTE FUNCTION %s()',
                 'cc_sync_insert_' || p_source, p_table, function_name);
  -- An UPDATE that changes nothing (UPDATE jobs SET status = status) is not a change to send.
  EXECUTE format('CREATE TRIGGER %I AFTER UPDATE ON %s FOR EACH ROW WHEN (OLD.* IS DISTINCT FROM NEW.*) '
                 'EXECUTE FUNCTION %s()',
                 'cc_sync_update_' || p_source, p_table, function_name);

  INSERT INTO cc_sync.watermark (source, table_name, key_columns)
  VALUES (p_source, p_table, p_key_columns)
  ON CONFLICT (source) DO UPDATE
    SET table_name = EXCLUDED.table_name, key_columns = EXCLUDED.key_columns, updated_at = now();
END
$install$;

-- Replace the trigger function of every installed source whose table still exists.
DO $reinstall$
BEGIN
  PERFORM cc_sync.install_capture(w.source, w.table_name, w.key_columns)
     FROM cc_sync.watermark AS w
    WHERE EXISTS (SELECT 1 FROM pg_class c WHERE c.oid = w.table_name);
END
$reinstall$;

UPDATE cc_sync.schema_version SET version = 5, applied_at = now() WHERE version < 5;
