#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

namespace cc::status {

struct RecentError {
  std::string row_key;
  std::string state;
  int attempts = 0;
  std::optional<int> http_status;
  std::string error;
  std::string updated_at;
};

struct SourceStatus {
  std::string source;
  std::string table;
  long long pending = 0, sending = 0, retrying = 0, imported = 0, held = 0, failed = 0, skipped = 0;
  long long in_doubt = 0;
  std::optional<double> oldest_pending_age_seconds;
  std::optional<double> watermark_age_seconds;  // since the watermark last moved
  long long batches = 0;
  long long unprocessed_changes = 0;            // change_log rows not yet moved into import_status
  std::vector<RecentError> recent_errors;
};

// Whether a running connector has paused all delivery, as it last recorded.
struct DeliveryPause {
  bool paused = false;
  std::string until;   // UTC, ISO 8601
  std::string reason;
};

struct StatusReport {
  std::vector<SourceStatus> sources;
  DeliveryPause pause;
};

// Reads per-source counts by state, ages and the most recent errors, and the delivery pause.
StatusReport read_status(pqxx::transaction_base& transaction, const std::string& schema, int errors_per_source);

std::string render_status_text(const StatusReport& report);
nlohmann::json render_status_json(const StatusReport& report);

}  // namespace cc::status
