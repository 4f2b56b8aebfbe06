#include "status/status_report.h"

#include <cstdio>
#include <sstream>

#include "common/database.h"
#include "common/duration.h"

namespace cc::status {

namespace {

std::string age_text(const std::optional<double>& seconds) {
  if (!seconds) {
    return "-";
  }
  return format_duration(std::chrono::milliseconds(static_cast<long long>(*seconds * 1000)));
}

nlohmann::json optional_number(const std::optional<double>& value) {
  return value ? nlohmann::json(*value) : nlohmann::json(nullptr);
}

}  // namespace

StatusReport read_status(pqxx::transaction_base& transaction, const std::string& schema, int errors_per_source) {
  // Sources come from the watermark table, so an installed source with no rows yet still shows.
  pqxx::result rows = transaction.exec(with_schema(R"sql(
SELECT w.source, w.table_name::text, w.batches,
       extract(epoch FROM greatest(clock_timestamp() - w.updated_at, interval '0'))::float8,
       coalesce(s.pending, 0), coalesce(s.sending, 0), coalesce(s.retrying, 0), coalesce(s.imported, 0),
       coalesce(s.held, 0), coalesce(s.failed, 0), coalesce(s.skipped, 0), coalesce(s.in_doubt, 0),
       CASE WHEN s.oldest_pending_at IS NOT NULL
            THEN extract(epoch FROM greatest(clock_timestamp() - s.oldest_pending_at, interval '0'))::float8 END,
       (SELECT count(*) FROM cc_sync.change_log c WHERE c.source = w.source)
  FROM cc_sync.watermark w
  LEFT JOIN cc_sync.source_summary s ON s.source = w.source
 ORDER BY w.source
)sql",
                                                   schema));

  std::vector<SourceStatus> sources;
  for (const pqxx::row& row : rows) {
    SourceStatus status;
    status.source = row[0].as<std::string>();
    status.table = row[1].as<std::string>();
    status.batches = row[2].as<long long>();
    if (status.batches > 0) {
      status.watermark_age_seconds = row[3].as<double>();
    }
    status.pending = row[4].as<long long>();
    status.sending = row[5].as<long long>();
    status.retrying = row[6].as<long long>();
    status.imported = row[7].as<long long>();
    status.held = row[8].as<long long>();
    status.failed = row[9].as<long long>();
    status.skipped = row[10].as<long long>();
    status.in_doubt = row[11].as<long long>();
    if (!row[12].is_null()) {
      status.oldest_pending_age_seconds = row[12].as<double>();
    }
    status.unprocessed_changes = row[13].as<long long>();

    pqxx::result errors = transaction.exec_params(
        with_schema("SELECT row_key::text, state, attempts, http_status, error, "
                    "to_char(updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') "
                    "FROM cc_sync.import_status WHERE source = $1 AND error IS NOT NULL "
                    "AND state IN ('held', 'failed', 'retrying', 'pending') "
                    "ORDER BY updated_at DESC LIMIT $2",
                    schema),
        status.source, errors_per_source);
    for (const pqxx::row& error : errors) {
      RecentError recent;
      recent.row_key = error[0].as<std::string>();
      recent.state = error[1].as<std::string>();
      recent.attempts = error[2].as<int>();
      if (!error[3].is_null()) {
        recent.http_status = error[3].as<int>();
      }
      recent.error = error[4].as<std::string>();
      recent.updated_at = error[5].as<std::string>();
      status.recent_errors.push_back(std::move(recent));
    }
    sources.push_back(std::move(status));
  }

  StatusReport report{std::move(sources), {}};
  pqxx::result pause = transaction.exec(with_schema(
      "SELECT to_char(paused_until AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), pause_reason "
      "FROM cc_sync.delivery_state WHERE paused_until > clock_timestamp()",
      schema));
  if (!pause.empty()) {
    report.pause = DeliveryPause{true, pause[0][0].as<std::string>(), pause[0][1].c_str()};
  }
  return report;
}

std::string render_status_text(const StatusReport& report) {
  const std::vector<SourceStatus>& sources = report.sources;
  std::ostringstream out;
  if (report.pause.paused) {
    out << "Delivery is paused until " << report.pause.until << ": " << report.pause.reason << "\n\n";
  }
  if (sources.empty()) {
    out << "No sources are installed; run `cc-connector init`.\n";
    return out.str();
  }

  char line[256];
  std::snprintf(line, sizeof line, "%-16s %8s %8s %8s %9s %7s %7s %8s %8s %14s %10s\n", "SOURCE", "PENDING",
                "SENDING", "RETRYING", "IMPORTED", "HELD", "FAILED", "SKIPPED", "IN_DOUBT", "OLDEST_PENDING",
                "WATERMARK");
  out << line;
  for (const SourceStatus& s : sources) {
    std::snprintf(line, sizeof line, "%-16s %8lld %8lld %8lld %9lld %7lld %7lld %8lld %8lld %14s %10s\n",
                  s.source.c_str(), s.pending, s.sending, s.retrying, s.imported, s.held, s.failed, s.skipped,
                  s.in_doubt, age_text(s.oldest_pending_age_seconds).c_str(),
                  s.watermark_age_seconds ? (age_text(s.watermark_age_seconds) + " ago").c_str() : "never");
    out << line;
  }

  for (const SourceStatus& s : sources) {
    if (s.unprocessed_changes > 0) {
      out << "\n" << s.source << ": " << s.unprocessed_changes
          << " captured changes are waiting for the connector to pick them up\n";
    }
    if (s.recent_errors.empty()) {
      continue;
    }
    out << "\nRecent errors for " << s.source << " (" << s.table << "):\n";
    for (const RecentError& error : s.recent_errors) {
      out << "  " << error.updated_at << "  " << error.state << "  key=" << error.row_key
          << "  attempts=" << error.attempts;
      if (error.http_status) {
        out << "  http=" << *error.http_status;
      }
      out << "\n    " << error.error << "\n";
    }
  }
  return out.str();
}

nlohmann::json render_status_json(const StatusReport& report) {
  const std::vector<SourceStatus>& sources = report.sources;
  nlohmann::json list = nlohmann::json::array();
  for (const SourceStatus& s : sources) {
    nlohmann::json errors = nlohmann::json::array();
    for (const RecentError& error : s.recent_errors) {
      errors.push_back({{"row_key", nlohmann::json::parse(error.row_key)},
                        {"state", error.state},
                        {"attempts", error.attempts},
                        {"http_status", error.http_status ? nlohmann::json(*error.http_status) : nlohmann::json(nullptr)},
                        {"error", error.error},
                        {"updated_at", error.updated_at}});
    }
    list.push_back({{"source", s.source},
                    {"table", s.table},
                    {"counts",
                     {{"pending", s.pending},
                      {"sending", s.sending},
                      {"retrying", s.retrying},
                      {"imported", s.imported},
                      {"held", s.held},
                      {"failed", s.failed},
                      {"skipped", s.skipped}}},
                    {"in_doubt", s.in_doubt},
                    {"oldest_pending_age_seconds", optional_number(s.oldest_pending_age_seconds)},
                    {"watermark_age_seconds", optional_number(s.watermark_age_seconds)},
                    {"batches", s.batches},
                    {"unprocessed_changes", s.unprocessed_changes},
                    {"recent_errors", errors}});
  }
  nlohmann::json pause = {{"paused", report.pause.paused}};
  if (report.pause.paused) {
    pause["until"] = report.pause.until;
    pause["reason"] = report.pause.reason;
  }
  return {{"sources", list}, {"delivery", pause}};
}

}  // namespace cc::status
