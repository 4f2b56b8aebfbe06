-- cc-connector schema, version 2: in-doubt tracking and a per-source summary view.
--
-- A row found in state 'sending' when the connector starts may or may not have reached the API
-- before the previous process died. It is sent again (at-least-once delivery) and flagged here,
-- so that `cc-connector status` and the shop can count possible duplicates.

ALTER TABLE cc_sync.import_status ADD COLUMN IF NOT EXISTS in_doubt boolean NOT NULL DEFAULT false;

CREATE OR REPLACE VIEW cc_sync.source_summary AS
SELECT s.source,
       count(*) FILTER (WHERE s.state = 'pending')  AS pending,
       count(*) FILTER (WHERE s.state = 'sending')  AS sending,
       count(*) FILTER (WHERE s.state = 'retrying') AS retrying,
       count(*) FILTER (WHERE s.state = 'imported') AS imported,
       count(*) FILTER (WHERE s.state = 'held')     AS held,
       count(*) FILTER (WHERE s.state = 'failed')   AS failed,
       count(*) FILTER (WHERE s.state = 'skipped')  AS skipped,
       count(*) FILTER (WHERE s.in_doubt)           AS in_doubt,
       min(s.captured_at) FILTER (WHERE s.state IN ('pending', 'retrying', 'sending')) AS oldest_pending_at
  FROM cc_sync.import_status s
 GROUP BY s.source;

UPDATE cc_sync.schema_version SET version = 2, applied_at = now() WHERE version < 2;
