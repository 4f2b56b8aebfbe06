-- cc-connector schema, version 1: change log, watermarks, import status and the capture trigger.
--
-- `cc-connector init` applies this file inside one transaction. A DBA can review it and apply it
-- by hand with psql (psql -v ON_ERROR_STOP=1 -1 -f sql/001_schema.sql). The connector replaces
-- the word cc_sync with the configured schema name before applying it.

CREATE SCHEMA IF NOT EXISTS cc_sync;

CREATE TABLE IF NOT EXISTS cc_sync.schema_version (
  singleton  boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  version    integer NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now()
);

-- One row per captured INSERT or UPDATE of a watched row. It carries only the row's key, because
-- the connector reads the row itself when it delivers, so a wide row costs the shop's INSERT
-- nothing extra. `txid` is the writing transaction's top-level id. A batch is every change whose
-- txid is visible in the new snapshot and not in the watermark snapshot, so commit order, not
-- key order, decides what a batch contains.
CREATE TABLE IF NOT EXISTS cc_sync.change_log (
  change_id  bigserial PRIMARY KEY,
  source     text NOT NULL,
  txid       xid8 NOT NULL DEFAULT pg_current_xact_id(),
  row_key    jsonb NOT NULL,
  changed_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS change_log_source_txid ON cc_sync.change_log (source, txid);

-- The durable cursor of each source: the snapshot up to which every change has been moved into
-- import_status. NULL until the first batch, which then takes every change in change_log.
CREATE TABLE IF NOT EXISTS cc_sync.watermark (
  source       text PRIMARY KEY,
  table_name   regclass NOT NULL,
  key_columns  text[] NOT NULL,
  snapshot     pg_snapshot,
  batches      bigint NOT NULL DEFAULT 0,
  installed_at timestamptz NOT NULL DEFAULT now(),
  updated_at   timestamptz NOT NULL DEFAULT now()
);

-- The fate of every captured row, one row per source row.
--   pending   captured, waiting to be sent
--   sending   a request is, or may be, in flight
--   retrying  the last attempt failed in a way that may pass; next_attempt_at is the next try
--   imported  the API accepted the record (2xx)
--   held      the row cannot be mapped or fails validation; an UPDATE of the source row retries it
--   failed    the API rejected the record (4xx), or max_attempts ran out
--   skipped   the source row no longer exists
CREATE TABLE IF NOT EXISTS cc_sync.import_status (
  source          text NOT NULL,
  row_key         jsonb NOT NULL,
  state           text NOT NULL DEFAULT 'pending'
                  CHECK (state IN ('pending', 'sending', 'retrying', 'imported', 'held', 'failed', 'skipped')),
  queue_seq       bigint NOT NULL,
  attempts        integer NOT NULL DEFAULT 0,
  http_status     integer,
  response_body   text,
  response_id     text,
  error           text,
  payload         jsonb,
  captured_at     timestamptz NOT NULL DEFAULT now(),
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  last_attempt_at timestamptz,
  imported_at     timestamptz,
  updated_at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (source, row_key)
);
CREATE INDEX IF NOT EXISTS import_status_due ON cc_sync.import_status (source, queue_seq)
  WHERE state IN ('pending', 'retrying');
CREATE INDEX IF NOT EXISTS import_status_state ON cc_sync.import_status (source, state);

-- Installs capture on one table: a trigger function specific to the source, which records the
-- row's key and sends a NOTIFY on the channel named after this schema, and AFTER INSERT and
-- AFTER UPDATE triggers that call it. Idempotent: calling it again replaces the function and
-- triggers and keeps the watermark.
--
-- The generated function:
-- * skips rows written by the connector itself (it sets cc_connector.origin = 'connector' on its
--   sessions), so status write-back never captures its own writes;
-- * sends a NOTIFY payload of the source name only, because NOTIFY rejects payloads of 8000 bytes
--   or more and a failed NOTIFY would roll back the shop's INSERT;
-- * is SECURITY DEFINER so that the shop's roles need no privileges on this schema.
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
    SET search_path = pg_catalog, pg_temp
    AS $body$
    BEGIN
      IF current_setting('cc_connector.origin', true) = 'connector' THEN
        RETURN NULL;
      END IF;
      INSERT INTO cc_sync.change_log (source, row_key) VALUES (%L, jsonb_build_object(%s));
      PERFORM pg_notify('cc_sync', %L);
      RETURN NULL;
    END
    $body$
  $function$, function_name, p_source, key_expression, p_source);

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

-- Removes capture from a source's table. Its import_status rows stay for the record.
CREATE OR REPLACE FUNCTION cc_sync.uninstall_capture(p_source text)
RETURNS void
LANGUAGE plpgsql
AS $uninstall$
DECLARE
  watched regclass;
BEGIN
  SELECT table_name INTO watched FROM cc_sync.watermark WHERE source = p_source;
  IF watched IS NOT NULL THEN
    EXECUTE format('DROP TRIGGER IF EXISTS %I ON %s', 'cc_sync_insert_' || p_source, watched);
    EXECUTE format('DROP TRIGGER IF EXISTS %I ON %s', 'cc_sync_update_' || p_source, watched);
  END IF;
  EXECUTE format('DROP FUNCTION IF EXISTS %I.%I()', 'cc_sync', 'capture_' || p_source);
  DELETE FROM cc_sync.change_log WHERE source = p_source;
  DELETE FROM cc_sync.watermark WHERE source = p_source;
END
$uninstall$;

INSERT INTO cc_sync.schema_version (version) VALUES (1)
ON CONFLICT (singleton) DO NOTHING;
