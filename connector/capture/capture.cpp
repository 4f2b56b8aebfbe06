#include "capture/capture.h"

#include "common/database.h"
#include "common/errors.h"

namespace cc::capture {

namespace {

// $1 source, $2 new snapshot, $3 watermark snapshot or NULL, $4 whether imported rows are sent
// again. The txid range conditions only let the (source, txid) index narrow the scan: a txid below
// the watermark's xmin was already visible then, and one at or above the new xmax is not visible
// now. The watermark moves in the same statement, which saves a round trip.
constexpr const char* move_batch_sql = R"sql(
WITH batch AS (
  DELETE FROM cc_sync.change_log
   WHERE source = $1
     AND txid < pg_snapshot_xmax($2::pg_snapshot)
     AND ($3::pg_snapshot IS NULL OR txid >= pg_snapshot_xmin($3::pg_snapshot))
     AND pg_visible_in_snapshot(txid, $2::pg_snapshot)
     AND ($3::pg_snapshot IS NULL OR NOT pg_visible_in_snapshot(txid, $3::pg_snapshot))
  RETURNING change_id, row_key, changed_at
), per_key AS (
  SELECT row_key, min(change_id) AS first_change, min(changed_at) AS first_changed_at
    FROM batch
   GROUP BY row_key
), queued AS (
  INSERT INTO cc_sync.import_status AS s (source, row_key, state, queue_seq, captured_at, next_attempt_at)
  SELECT $1, row_key, 'pending', first_change, first_changed_at, now()
    FROM per_key
  ON CONFLICT (source, row_key) DO UPDATE
     SET state = 'pending', attempts = 0, http_status = NULL, response_body = NULL, error = NULL,
         queue_seq = EXCLUDED.queue_seq, captured_at = EXCLUDED.captured_at, next_attempt_at = now(),
         updated_at = now()
   WHERE s.state IN ('held', 'failed', 'skipped') OR ($4 AND s.state = 'imported')
  RETURNING 1
), advanced AS (
  UPDATE cc_sync.watermark
     SET snapshot = $2::pg_snapshot, batches = batches + 1, updated_at = now()
   WHERE source = $1
)
SELECT (SELECT count(*) FROM batch), (SELECT count(*) FROM queued)
)sql";

// Reads the snapshot of this REPEATABLE READ transaction and locks the source's watermark.
//
// synchronous_commit is off for this transaction only. A crash can then lose a batch that has
// committed, but only whole: its change_log rows and its watermark come back together and the
// next batch moves them again. Every later transaction that claims a row for sending commits
// synchronously, and its WAL flush also makes this batch durable.
constexpr const char* begin_batch_sql = R"sql(
SELECT pg_current_snapshot()::text, snapshot::text, set_config('synchronous_commit', 'off', true)
  FROM cc_sync.watermark
 WHERE source = $1
   FOR UPDATE
)sql";

}  // namespace

bool has_changes(pqxx::connection& connection, const std::string& schema, const std::string& source) {
  pqxx::nontransaction session(connection);
  return session
      .exec_params(with_schema("SELECT EXISTS (SELECT 1 FROM cc_sync.change_log WHERE source = $1)", schema), source)
          [0][0]
      .as<bool>();
}

CaptureResult capture_batch(pqxx::connection& connection, const std::string& schema, const std::string& source,
                            bool resend_imported) {
  // REPEATABLE READ: the snapshot returned by pg_current_snapshot() is the one every later
  // statement of this transaction reads with, so the rows moved are exactly those it describes.
  pqxx::transaction<pqxx::isolation_level::repeatable_read> transaction(connection);
  pqxx::result watermark = transaction.exec_params(with_schema(begin_batch_sql, schema), source);
  if (watermark.empty()) {
    throw RuntimeFailure("source '" + source + "' has no watermark in schema " + schema +
                         ", so capture is not installed for it; run `cc-connector init`");
  }
  std::string new_snapshot = watermark[0][0].as<std::string>();
  std::optional<std::string> old_snapshot;
  if (!watermark[0][1].is_null()) {
    old_snapshot = watermark[0][1].as<std::string>();
  }

  pqxx::result counts;
  if (old_snapshot) {
    counts = transaction.exec_params(with_schema(move_batch_sql, schema), source, new_snapshot, *old_snapshot,
                                     resend_imported);
  } else {
    counts = transaction.exec_params(with_schema(move_batch_sql, schema), source, new_snapshot, nullptr,
                                     resend_imported);
  }
  transaction.commit();
  return CaptureResult{counts[0][0].as<long long>(), counts[0][1].as<long long>()};
}

}  // namespace cc::capture
