#include "status/status_store.h"

#include <nlohmann/json.hpp>

#include "common/database.h"

namespace cc::status {

std::vector<DueRow> StatusStore::due_rows(pqxx::transaction_base& transaction, const std::string& source,
                                          int limit, long long after) const {
  pqxx::result result = transaction.exec_params(
      with_schema("SELECT row_key::text, attempts, queue_seq FROM cc_sync.import_status "
                  "WHERE source = $1 AND state IN ('pending', 'retrying') AND next_attempt_at <= now() "
                  "AND queue_seq > $3 ORDER BY queue_seq LIMIT $2",
                  schema_),
      source, limit, after);
  std::vector<DueRow> rows;
  rows.reserve(result.size());
  for (const pqxx::row& row : result) {
    rows.push_back(DueRow{row[0].as<std::string>(), row[1].as<int>(), row[2].as<long long>()});
  }
  return rows;
}

void StatusStore::apply(pqxx::transaction_base& transaction, const std::string& source,
                        const std::vector<RowUpdate>& updates, bool writeback) const {
  if (updates.empty()) {
    return;
  }

  // One jsonb array carries the whole round, so a round of hundreds of rows is one round trip.
  // The row key and the payload are JSON text already, so they go in as they are. Parsing them
  // only to print them again cost more than the rest of the round's mapping.
  std::string json = "[";
  auto text = [](const std::optional<std::string>& value) {
    // Bodies from a misbehaving proxy may carry bytes that are not UTF-8. They are replaced,
    // so that one body cannot fail the whole round.
    return value ? nlohmann::json(*value).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)
                 : std::string("null");
  };
  for (const RowUpdate& update : updates) {
    if (json.size() > 1) {
      json += ',';
    }
    json += "{\"row_key\":" + update.row_key;
    json += ",\"state\":" + text(std::optional<std::string>(update.state));
    json += ",\"http_status\":" + (update.http_status ? std::to_string(*update.http_status) : std::string("null"));
    json += ",\"response_body\":" + text(update.response_body);
    json += ",\"response_id\":" + text(update.response_id);
    json += ",\"error\":" + text(update.error);
    json += ",\"payload\":" + (update.payload ? *update.payload : std::string("null"));
    json += ",\"retry_in_ms\":" + std::to_string(update.retry_in.count());
    json += ",\"attempts_delta\":" + std::to_string(update.attempts_delta) + "}";
  }
  json += "]";

  // The ANY condition makes PostgreSQL find the round's rows through the primary key, even with
  // the stale statistics of a table that a large capture has just filled. Without it, the
  // planner may hash-join against every row of the source.
  transaction.exec_params0(with_schema(R"sql(
UPDATE cc_sync.import_status AS s
   SET state = u.state,
       attempts = s.attempts + u.attempts_delta,
       http_status = CASE WHEN u.state = 'sending' THEN s.http_status ELSE u.http_status END,
       response_body = CASE WHEN u.state = 'sending' THEN s.response_body ELSE u.response_body END,
       response_id = coalesce(u.response_id, s.response_id),
       error = CASE WHEN u.state = 'sending' THEN s.error ELSE u.error END,
       payload = coalesce(u.payload, s.payload),
       next_attempt_at = now() + u.retry_in_ms * interval '1 millisecond',
       last_attempt_at = CASE WHEN u.state = 'sending' THEN now() ELSE s.last_attempt_at END,
       imported_at = CASE WHEN u.state = 'imported' THEN now() ELSE s.imported_at END,
       writeback_pending = CASE WHEN $3 AND u.state <> 'sending' THEN true ELSE s.writeback_pending END,
       updated_at = now()
  FROM jsonb_to_recordset($2::jsonb) AS u(row_key jsonb, state text, http_status integer, response_body text,
                                          response_id text, error text, payload jsonb, retry_in_ms bigint,
                                          attempts_delta integer)
 WHERE s.source = $1 AND s.row_key = u.row_key
   AND s.row_key = ANY (ARRAY(SELECT e -> 'row_key' FROM jsonb_array_elements($2::jsonb) AS e))
)sql",
                                       schema_),
                           source, json, writeback);
}

long long StatusStore::write_back(pqxx::transaction_base& transaction, const std::string& source,
                                  const std::string& table, const std::vector<std::string>& key_columns,
                                  const mapping::WritebackSpec& spec, int limit) const {
  std::string join;
  for (const std::string& column : key_columns) {
    std::string quoted = transaction.quote_name(column);
    join += (join.empty() ? "" : " AND ") + std::string("t.") + quoted + " = k." + quoted;
  }
  std::string assignments;
  auto assign = [&](const std::string& column, const std::string& value) {
    if (!column.empty()) {
      assignments += (assignments.empty() ? "" : ", ") + transaction.quote_name(column) + " = " + value;
    }
  };
  assign(spec.state, "l.state");
  assign(spec.imported_at, "l.imported_at");
  assign(spec.response_id, "l.response_id");

  // SKIP LOCKED leaves rows that the shop is editing for a later pass. The connector's session
  // is marked as its own origin, so these UPDATEs are not captured as changes.
  std::string sql = with_schema(
      "WITH marked AS ("
      "  SELECT row_key, state, imported_at, response_id FROM cc_sync.import_status"
      "   WHERE source = $1 AND writeback_pending ORDER BY queue_seq LIMIT $2"
      "), locked AS ("
      "  SELECT t.ctid AS row_id, m.* FROM marked m"
      "  CROSS JOIN LATERAL jsonb_populate_record(NULL::" + table + ", m.row_key) AS k"
      "  JOIN " + table + " AS t ON " + join +
      "  FOR UPDATE OF t SKIP LOCKED"
      "), written AS ("
      "  UPDATE " + table + " AS t SET " + assignments + " FROM locked l WHERE t.ctid = l.row_id RETURNING l.row_key"
      "), gone AS ("
      "  SELECT m.row_key FROM marked m WHERE NOT EXISTS ("
      "    SELECT 1 FROM jsonb_populate_record(NULL::" + table + ", m.row_key) AS k JOIN " + table + " AS t ON " + join +
      "))"
      " UPDATE cc_sync.import_status s SET writeback_pending = false"
      "  WHERE s.source = $1 AND s.row_key IN (SELECT row_key FROM written UNION ALL SELECT row_key FROM gone)"
      " RETURNING 1",
      schema_);
  return static_cast<long long>(transaction.exec_params(sql, source, limit).size());
}

long long StatusStore::recover_in_doubt(pqxx::transaction_base& transaction, bool hold) const {
  std::string state = hold ? "'held'" : "'pending'";
  std::string error = hold ? "in doubt: the connector stopped while this row was being sent, so it may already be in "
                             "Contractors Cloud; check there, then run `cc-connector retry --state held` to send it"
                           : "the connector stopped while this row was being sent; it may already be in Contractors "
                             "Cloud, so it is sent again";
  pqxx::result result = transaction.exec_params(with_schema(
      "UPDATE cc_sync.import_status SET state = " + state + ", in_doubt = true, next_attempt_at = now(), "
      "error = $1, updated_at = now() WHERE state = 'sending' RETURNING 1",
      schema_), error);
  return static_cast<long long>(result.size());
}

long long StatusStore::make_retries_due(pqxx::transaction_base& transaction) const {
  pqxx::result result = transaction.exec(with_schema(
      "UPDATE cc_sync.import_status SET next_attempt_at = now() "
      "WHERE state = 'retrying' AND next_attempt_at > now() RETURNING 1",
      schema_));
  return static_cast<long long>(result.size());
}

void StatusStore::record_pause(pqxx::transaction_base& transaction, std::chrono::milliseconds until_from_now,
                               const std::string& reason) const {
  transaction.exec_params0(
      with_schema("INSERT INTO cc_sync.delivery_state (singleton, paused_until, pause_reason, updated_at) "
                  "VALUES (true, now() + $1 * interval '1 millisecond', $2, now()) "
                  "ON CONFLICT (singleton) DO UPDATE SET paused_until = EXCLUDED.paused_until, "
                  "pause_reason = EXCLUDED.pause_reason, updated_at = now()",
                  schema_),
      static_cast<long long>(until_from_now.count()), reason);
}

void StatusStore::clear_pause(pqxx::transaction_base& transaction) const {
  transaction.exec0(with_schema(
      "UPDATE cc_sync.delivery_state SET paused_until = NULL, pause_reason = NULL, updated_at = now() "
      "WHERE paused_until IS NOT NULL",
      schema_));
}

StatusStore::Backlog StatusStore::backlog(pqxx::transaction_base& transaction) const {
  pqxx::result result = transaction.exec(with_schema(
      // greatest() skips NULLs, so with no row it would return zero and the loop would never sleep.
      "SELECT count(*), CASE WHEN count(*) > 0 THEN "
      "extract(epoch FROM greatest(min(next_attempt_at) - now(), interval '0'))::float8 * 1000 END "
      "FROM cc_sync.import_status WHERE state IN ('pending', 'retrying')",
      schema_));
  Backlog backlog;
  backlog.rows = result[0][0].as<long long>();
  if (!result[0][1].is_null()) {
    backlog.next_due_in = std::chrono::milliseconds(static_cast<long long>(result[0][1].as<double>()));
  }
  return backlog;
}

}  // namespace cc::status
