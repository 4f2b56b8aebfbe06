#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include <pqxx/pqxx>

#include "mapping/mapping.h"

namespace cc::status {

// A row due for delivery.
struct DueRow {
  std::string row_key;      // jsonb text
  int attempts = 0;         // attempts made before this one
  long long queue_seq = 0;  // position in the source's queue
};

// The outcome of one row, written back in one statement per delivery round.
struct RowUpdate {
  RowUpdate(std::string key, std::string new_state) : row_key(std::move(key)), state(std::move(new_state)) {}

  std::string row_key;
  std::string state;  // pending, sending, retrying, imported, held, failed, skipped
  std::optional<int> http_status;
  std::optional<std::string> response_body;
  std::optional<std::string> response_id;
  std::optional<std::string> error;
  std::optional<std::string> payload;  // the mapped record as JSON
  std::chrono::milliseconds retry_in{0};  // for retrying: wait before the next attempt
  int attempts_delta = 0;               // +1 when the row is claimed, -1 to give back an attempt
};

// Reads and writes cc_sync.import_status for one schema. Every method runs in the transaction it
// is given, so callers decide what commits together.
class StatusStore {
 public:
  explicit StatusStore(std::string schema) : schema_(std::move(schema)) {}

  // Rows of a source in state pending or retrying whose next attempt is due, in capture order,
  // from queue position `after` on. A drain passes the last position it claimed, so each query
  // starts where the previous one ended instead of stepping again over the index entries of rows
  // it has already sent.
  std::vector<DueRow> due_rows(pqxx::transaction_base& transaction, const std::string& source, int limit,
                               long long after = 0) const;

  // Writes one update per row of the source in a single statement. With `writeback`, rows whose
  // outcome changed are marked for write_back.
  void apply(pqxx::transaction_base& transaction, const std::string& source, const std::vector<RowUpdate>& updates,
             bool writeback = false) const;

  // Copies the outcome of up to `limit` marked rows into the watched table's write-back columns.
  // Rows that another transaction has locked are skipped and stay marked, so the shop's own
  // edits never wait for the connector. Returns how many rows were written.
  long long write_back(pqxx::transaction_base& transaction, const std::string& source, const std::string& table,
                       const std::vector<std::string>& key_columns, const mapping::WritebackSpec& spec,
                       int limit) const;

  // Rows left in state sending by a process that stopped mid-request: their request may or may not
  // have reached the API. They go back to pending, flagged in_doubt, and are sent again. Returns
  // how many rows were recovered.
  // With `hold` they are held instead, for a person to check Contractors Cloud and retry them.
  long long recover_in_doubt(pqxx::transaction_base& transaction, bool hold) const;

  // How many rows of all sources are pending or retrying, and how long until the earliest of them
  // is due (zero when one is due now).
  struct Backlog {
    long long rows = 0;
    std::optional<std::chrono::milliseconds> next_due_in;
  };
  Backlog backlog(pqxx::transaction_base& transaction) const;

  // Makes every retrying row due now. Returns how many rows changed.
  long long make_retries_due(pqxx::transaction_base& transaction) const;

  // Records that delivery is paused for `until_from_now`, and why, until clear_pause.
  void record_pause(pqxx::transaction_base& transaction, std::chrono::milliseconds until_from_now,
                    const std::string& reason) const;
  void clear_pause(pqxx::transaction_base& transaction) const;

 private:
  std::string schema_;
};

}  // namespace cc::status
