-- cc-connector schema, version 3: the connector's delivery state, for `cc-connector status`.
--
-- A running connector records here when it pauses all delivery: after the API rejected the key,
-- or when the API asked it to slow down with Retry-After. status reads it to say whether
-- delivery is paused, until when and why.

CREATE TABLE IF NOT EXISTS cc_sync.delivery_state (
  singleton    boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  paused_until timestamptz,
  pause_reason text,
  updated_at   timestamptz NOT NULL DEFAULT now()
);

UPDATE cc_sync.schema_version SET version = 3, applied_at = now() WHERE version < 3;
