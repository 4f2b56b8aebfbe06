-- cc-connector schema, version 4: write-back of each row's outcome into the shop's own table.
--
-- A mapping may name columns of its watched table that receive the row's state, import time and
-- Contractors Cloud record id. An outcome sets writeback_pending, and a separate pass writes the
-- columns, skipping rows that the shop has locked and coming back to them later.

ALTER TABLE cc_sync.import_status ADD COLUMN IF NOT EXISTS writeback_pending boolean NOT NULL DEFAULT false;
CREATE INDEX IF NOT EXISTS import_status_writeback ON cc_sync.import_status (source)
  WHERE writeback_pending;

UPDATE cc_sync.schema_version SET version = 4, applied_at = now() WHERE version < 4;
