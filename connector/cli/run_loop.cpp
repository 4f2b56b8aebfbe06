#include "cli/run_loop.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <future>
#include <optional>
#include <set>
#include <thread>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "capture/capture.h"
#include "capture/listener.h"
#include "capture/schema_installer.h"
#include "capture/source_reader.h"
#include "common/database.h"
#include "common/duration.h"
#include "common/errors.h"
#include "common/secret.h"
#include "delivery/backoff.h"
#include "delivery/http_sender.h"
#include "delivery/outcome.h"
#include "mapping/mapper.h"
#include "status/status_store.h"

namespace cc::cli {

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

std::atomic<bool> stop_requested{false};
int wake_pipe[2] = {-1, -1};

void on_stop_signal(int) {
  stop_requested.store(true);
  if (wake_pipe[1] >= 0) {
    char byte = 1;
    // The result is ignored because a full pipe already contains a wake-up.
    [[maybe_unused]] ssize_t written = ::write(wake_pipe[1], &byte, 1);
  }
}

void drain_wake_pipe() {
  char buffer[64];
  while (wake_pipe[0] >= 0 && ::read(wake_pipe[0], buffer, sizeof buffer) > 0) {
  }
}

// Sleeps up to `duration`, returning early when a stop is requested.
void sleep_unless_stopped(milliseconds duration) {
  pollfd fd{wake_pipe[0], POLLIN, 0};
  ::poll(&fd, wake_pipe[0] >= 0 ? 1 : 0, static_cast<int>(duration.count()));
}

// Log at most this many per-row retry lines per delivery round; the round summary counts the rest.
constexpr int max_detailed_retry_logs = 5;

// Reconnect waits double from 1 s up to 30 s, so a database restart is picked up quickly but a
// long outage does not flood the server's log with connection attempts.
constexpr milliseconds first_reconnect_wait{1'000};
constexpr milliseconds max_reconnect_wait{30'000};

// While a writer that skipped its NOTIFY is still open, the loop looks for its change after
// 1 ms, then waits twice as long each time up to 32 ms, so a long transaction costs few queries.
constexpr milliseconds first_busy_wait{1};
constexpr milliseconds max_busy_wait{32};

// --once gives up on an unreachable database after this long instead of waiting forever.
constexpr milliseconds once_reconnect_budget{30'000};

struct SourceState {
  const mapping::Mapping* mapping = nullptr;
  std::unique_ptr<capture::SourceReader> reader;
  Clock::time_point watermark_moved{};  // when capture_batch last ran for this source
  // The queue position of the last row claimed in the current pass over the due rows. A pass
  // ends when a round finds fewer than batch_size rows, and the next one starts from the front.
  // So a row that became due behind the position waits at most one pass.
  long long claimed_up_to = 0;
};

struct RoundTotals {
  int claimed = 0;
  int imported = 0;
  int retrying = 0;
  int failed = 0;
  int held = 0;
  int skipped = 0;
};

// One delivery round between its claim and its outcomes.
struct ClaimedRound {
  std::vector<status::DueRow> to_send;  // claimed as `sending`
  std::vector<std::string> bodies;      // one request body per row in to_send
  RoundTotals totals;
  int settled = 0;  // rows held or skipped when claimed, which send no request
  std::vector<delivery::HttpResult> results;  // one response per row in to_send, once sent
  std::vector<delivery::Outcome> outcomes;    // the classification of each response
};

class Connector {
 public:
  Connector(const config::ConnectorConfig& config, const std::vector<mapping::Mapping>& mappings,
            delivery::ApiKey api_key)
      : config_(config),
        mappings_(mappings),
        api_key_(std::move(api_key)),
        store_(config.database.schema),
        sender_(config.api),
        backoff_(config.delivery.retry_initial, config.delivery.retry_max),
        listener_(config.database.url, config.database.schema) {}

  int run(const RunOptions& options) {
    once_ = options.once;
    spdlog::info("cc-connector starting mode={} sources={} database={} api={} concurrency={}",
                 options.once ? "once" : "service", mappings_.size(),
                 redact_connection_string(config_.database.url), config_.api.url, config_.api.concurrency);

    int exit_code = exit_ok;
    Clock::time_point disconnected_since{};
    milliseconds reconnect_wait = first_reconnect_wait;
    while (!stop_requested.load()) {
      try {
        if (!work_) {
          connect_work();
        }
        // LISTEN before catching up: a change committed after the catch-up's snapshot then still
        // wakes the loop.
        if (!listener_.connected()) {
          listener_.connect();
          if (listened_before_) {
            spdlog::info("listening again on channel {}; catching up from the watermark", config_.database.schema);
          }
          listened_before_ = true;
        }
        disconnected_since = {};
        reconnect_wait = first_reconnect_wait;

        // Writers skip their NOTIFY while the loop delivers what it captured, which may take
        // long with a slow API.
        long long captured = capture_all();
        if (captured > 0) {
          listener_.release_wake_lock();
        }
        long long worked = captured + deliver_all();
        if (stop_requested.load()) {
          break;
        }

        status::StatusStore::Backlog backlog = current_backlog();
        if (options.once && auth_paused()) {
          throw RuntimeFailure(auth_message_);
        }
        if (options.once && backlog.rows == 0) {
          break;
        }
        if (options.once) {
          wait_for_work(backlog);
          continue;
        }

        // While the loop works, the triggers skip their NOTIFY, so the shop's writers commit
        // without queueing on PostgreSQL's notification lock.
        if (worked > 0) {
          listener_.release_wake_lock();
          busy_wait_ = first_busy_wait;
          continue;
        }
        if (!listener_.holds_wake_lock()) {
          if (listener_.try_take_wake_lock()) {
            // Every writer that skipped its NOTIFY has ended; catch up once more before sleeping.
            continue;
          }
          // A writer that skipped its NOTIFY is still open: look again shortly, backing off in
          // case it is a long transaction.
          wait_for_work(backlog, busy_wait_);
          busy_wait_ = std::min(busy_wait_ * 2, max_busy_wait);
          continue;
        }
        wait_for_work(backlog);
      } catch (const pqxx::broken_connection& error) {
        bool was_connected = work_ != nullptr || connected_before_;
        work_.reset();
        listener_.disconnect();
        if (disconnected_since == Clock::time_point{}) {
          disconnected_since = Clock::now();
        }
        if (options.once && Clock::now() - disconnected_since > once_reconnect_budget) {
          spdlog::error("database unreachable for {}; giving up: {}", format_duration(once_reconnect_budget),
                        one_line_error(error.what()));
          return exit_runtime_failure;
        }
        spdlog::warn("{}: {}; trying again in {}",
                     was_connected ? "database connection lost" : "cannot connect to the database",
                     one_line_error(error.what()), format_duration(reconnect_wait));
        sleep_unless_stopped(reconnect_wait);
        reconnect_wait = std::min(reconnect_wait * 2, max_reconnect_wait);
      } catch (const pqxx::sql_error& error) {
        // Class 08 (connection exception) and 57P (the server shutting down or restarting) mean the
        // session is gone even when libpq reports them as an error result: reconnect at once.
        std::string sqlstate = error.sqlstate();
        if (sqlstate.rfind("08", 0) == 0 || sqlstate.rfind("57P", 0) == 0 || (work_ && !work_->is_open())) {
          spdlog::warn("database connection lost: {} (sqlstate {}); reconnecting", one_line_error(error.what()),
                       sqlstate);
          work_.reset();
          listener_.disconnect();
          if (disconnected_since == Clock::time_point{}) {
            disconnected_since = Clock::now();
          }
          sleep_unless_stopped(reconnect_wait);
          reconnect_wait = std::min(reconnect_wait * 2, max_reconnect_wait);
          continue;
        }
        // Any other SQL error is a bug or a schema change under the connector, such as a dropped
        // table or a revoked grant. Retrying after a pause lets a DBA fix it without a restart.
        spdlog::error("database error: {} (sqlstate {}); query: {}", one_line_error(error.what()), error.sqlstate(),
                      one_line_error(error.query().substr(0, 200)));
        if (options.once) {
          return exit_runtime_failure;
        }
        exit_code = exit_runtime_failure;
        sleep_unless_stopped(config_.capture.poll_interval);
      }
    }

    if (stop_requested.load()) {
      spdlog::info("stop requested; in-flight requests finished and their outcomes recorded");
      exit_code = exit_ok;
    }
    spdlog::info("cc-connector stopped");
    return exit_code;
  }

 private:
  void connect_work() {
    work_ = open_connection(config_.database.url, "cc-connector");
    prepare_session();

    if (connected_before_) {
      spdlog::info("database connection restored");
    }
    const char* when = connected_before_ ? "when the database connection was lost" : "when the connector last stopped";
    connected_before_ = true;

    // Rows still in `sending` belong to a round whose outcomes were never written: after a crash,
    // or after this process lost its connection mid-round. The advisory lock taken above means no
    // other connector can be sending them, so each of them is in doubt.
    pqxx::work transaction(*work_);
    bool hold = config_.delivery.on_in_doubt == config::InDoubt::hold;
    long long recovered = store_.recover_in_doubt(transaction, hold);
    transaction.commit();
    if (recovered > 0 && hold) {
      spdlog::warn("{} rows were being sent {} and may already be in Contractors Cloud; they are held "
                   "(on_in_doubt = \"hold\") and flagged in_doubt in {}.import_status: check them, then run "
                   "`cc-connector retry --state held`",
                   recovered, when, config_.database.schema);
    } else if (recovered > 0) {
      spdlog::warn("{} rows were being sent {} and may already be in Contractors Cloud; they are sent again "
                   "(at-least-once delivery) and flagged in_doubt in {}.import_status",
                   recovered, when, config_.database.schema);
    }
  }

  // Checks the schema version, takes the one-connector-per-schema lock and resolves every source table.
  void prepare_session() {
    pqxx::nontransaction session(*work_);

    // Right after a large capture, import_status has no statistics yet, and PostgreSQL then reads
    // the due rows with a bitmap scan of every queued row followed by a sort: 140 ms per round
    // at 500,000 rows instead of 0.5 ms. Without bitmap scans, every query of the delivery loop
    // uses the index scan that its ORDER BY and LIMIT call for.
    session.exec0("SET enable_bitmapscan = off");

    std::optional<int> version = capture::installed_schema_version(session, config_.database.schema);
    if (!version) {
      throw RuntimeFailure("schema " + config_.database.schema +
                           " is not installed in this database; run `cc-connector init` first");
    }
    if (*version != capture::expected_schema_version()) {
      throw RuntimeFailure("schema " + config_.database.schema + " is at version " + std::to_string(*version) +
                           " but this cc-connector needs version " +
                           std::to_string(capture::expected_schema_version()) + "; run `cc-connector init` to upgrade");
    }

    // One connector per schema: two would claim the same rows and send them twice. The session
    // lock goes away with the session, so a killed connector never blocks its successor.
    bool locked = session.exec_params("SELECT pg_try_advisory_lock(hashtext($1))", "cc-connector:" + config_.database.schema)[0][0].as<bool>();
    if (!locked) {
      throw RuntimeFailure("another cc-connector is already running against schema " + config_.database.schema +
                           " in this database; stop it first, since two would send rows twice");
    }

    sources_.clear();
    for (const mapping::Mapping& mapping : mappings_) {
      std::optional<std::string> table = resolve_table(session, mapping.source.table);
      if (!table) {
        throw RuntimeFailure("source '" + mapping.source.name + "': table '" + mapping.source.table +
                             "' does not exist (" + mapping.file + ")");
      }
      SourceState state;
      state.mapping = &mapping;
      state.reader = std::make_unique<capture::SourceReader>(session, mapping, *table);
      sources_.push_back(std::move(state));
    }
  }

  // Returns how many changes it moved into import_status.
  long long capture_all() {
    long long changes = 0;
    for (SourceState& source : sources_) {
      // When nothing is waiting, one cheap read replaces the batch transaction. A NOTIFY for the
      // source already reports a waiting change. The watermark still moves once per poll_interval, so
      // `status` shows capture running.
      Clock::time_point now = Clock::now();
      bool notified = notified_sources_.erase(source.mapping->source.name) > 0;
      if (!notified && now - source.watermark_moved < config_.capture.poll_interval &&
          !capture::has_changes(*work_, config_.database.schema, source.mapping->source.name)) {
        continue;
      }
      source.watermark_moved = now;
      capture::CaptureResult result =
          capture_with_retry(source.mapping->source.name, source.mapping->source.resend_updates);
      if (result.changes > 0) {
        spdlog::debug("captured source={} changes={} queued={}", source.mapping->source.name, result.changes,
                      result.queued);
      }
      changes += result.changes;
    }
    return changes;
  }

  capture::CaptureResult capture_with_retry(const std::string& source, bool resend_imported) {
    // A concurrent `cc-connector retry` or a DBA's UPDATE of import_status can make the REPEATABLE
    // READ transaction fail with a serialization error. Nothing was written, so it runs again.
    constexpr int attempts = 5;
    for (int attempt = 1;; ++attempt) {
      try {
        return capture::capture_batch(*work_, config_.database.schema, source, resend_imported);
      } catch (const pqxx::serialization_failure& error) {
        if (attempt == attempts) {
          throw;
        }
        spdlog::debug("capture of source={} hit a serialization failure, retrying: {}", source, error.what());
      }
    }
  }

  bool auth_paused() const { return Clock::now() < auth_paused_until_; }
  bool throttled() const { return Clock::now() < throttled_until_; }

  // Returns how many rows it settled or sent.
  long long deliver_all() {
    if (api_key_.reload_if_changed()) {
      spdlog::info("the API key in {} changed; resuming delivery", api_key_.origin());
      auth_paused_until_ = {};
      probing_ = false;
      persist_pause(std::nullopt, "");
    }
    long long rows = 0;
    for (SourceState& source : sources_) {
      rows += deliver_source(source);
      write_back(source);
    }
    return rows;
  }

  bool may_send() const { return !stop_requested.load() && !auth_paused() && !throttled(); }

  // Rows per round: batch_size, rounded down to a multiple of concurrency when it is larger, so
  // that the last requests of a round do not leave connections idle while they finish. After a
  // rejected key, one row probes whether the key works again before a whole round goes.
  int round_limit() const {
    if (probing_) {
      return 1;
    }
    int batch = config_.delivery.batch_size;
    int concurrency = config_.api.concurrency;
    return batch > concurrency ? batch - batch % concurrency : batch;
  }

  // Returns whether the round took round_limit rows, so that more are probably due. A smaller
  // round took them all.
  bool is_full(const ClaimedRound& round) const {
    return round.to_send.size() + static_cast<std::size_t>(round.settled) >= static_cast<std::size_t>(round_limit());
  }

  // Stores a round's responses with their classification, which halts_delivery and settle_round
  // both read, so each response is classified once.
  static void take_responses(ClaimedRound& round, std::vector<delivery::HttpResult> results) {
    auto now = std::chrono::system_clock::now();
    round.outcomes.clear();
    round.outcomes.reserve(results.size());
    for (const delivery::HttpResult& result : results) {
      round.outcomes.push_back(delivery::classify(result, now));
    }
    round.results = std::move(results);
  }

  // Returns whether a round's responses request a stop: a rejected key, or a Retry-After on a 429
  // or 503. The next round then waits until settle_round has recorded them.
  static bool halts_delivery(const ClaimedRound& round) {
    for (std::size_t i = 0; i < round.results.size(); ++i) {
      const delivery::Outcome& outcome = round.outcomes[i];
      long status = round.results[i].status;
      if (outcome.kind == delivery::OutcomeKind::auth_rejected ||
          (outcome.retry_after && (status == 429 || status == 503))) {
        return true;
      }
    }
    return false;
  }

  // Delivers the source's due rows round by round. While full rounds follow each other, one round
  // is on the wire while the previous one's outcomes are recorded and the next one is read,
  // mapped and claimed. The database work and the API's responses then overlap instead of taking
  // turns, and the connections stay busy. Returns how many rows it settled or sent.
  long long deliver_source(SourceState& source) {
    long long rows = 0;
    std::optional<ClaimedRound> ready;  // claimed, its requests not sent yet
    while (may_send()) {
      if (!ready) {
        ready = claim_round(source);
        if (!ready) {
          break;
        }
      }
      if (ready->to_send.empty()) {
        rows += ready->settled;
        log_round(source.mapping->source.name, ready->totals);
        ready.reset();
        continue;
      }
      if (!is_full(*ready) || probing_) {
        take_responses(*ready, sender_.send_all(ready->bodies, current_authorization()));
        rows += settle_round(source, *ready);
        ready.reset();
        continue;
      }

      ClaimedRound flying = std::move(*ready);
      ready.reset();
      std::optional<ClaimedRound> answered;  // sent, its outcomes not recorded yet
      while (true) {
        std::string authorization = current_authorization();
        std::future<std::vector<delivery::HttpResult>> in_flight =
            std::async(std::launch::async, [this, &flying, &authorization]() {
              return sender_.send_all(flying.bodies, authorization);
            });
        try {
          if (answered) {
            rows += settle_round(source, *answered);
            answered.reset();
          }
          if (may_send() && !probing_) {
            ready = claim_round(source);
          }
        } catch (...) {
          // The requests still finish. Their rows, and those of any round not yet recorded, stay
          // in `sending`, and the next connect reports them as in doubt, as after a crash.
          in_flight.wait();
          throw;
        }
        take_responses(flying, in_flight.get());
        answered = std::move(flying);
        if (!ready || ready->to_send.empty() || !is_full(*ready) || !may_send() || probing_ ||
            halts_delivery(*answered)) {
          break;
        }
        flying = std::move(*ready);
        ready.reset();
      }
      rows += settle_round(source, *answered);

      if (ready && !may_send()) {
        // A stop, a rejected key or a Retry-After came back: the claimed round's rows were not
        // sent, so they are given back unsent.
        rows += ready->settled;
        release_round(source, *ready);
        ready.reset();
      }
    }
    return rows;
  }

  std::string current_authorization() const {
    return delivery::authorization_header(api_key_.value(), config_.api.auth);
  }

  // Gives a claimed round's rows back to the queue without sending them.
  void release_round(SourceState& source, const ClaimedRound& round) {
    std::vector<status::RowUpdate> updates;
    updates.reserve(round.to_send.size());
    for (const status::DueRow& row : round.to_send) {
      status::RowUpdate update(row.row_key, row.attempts > 0 ? "retrying" : "pending");
      update.attempts_delta = -1;
      update.error = "not sent: delivery stopped or paused before this row's request left";
      updates.push_back(std::move(update));
    }
    pqxx::work transaction(*work_);
    store_.apply(transaction, source.mapping->source.name, updates, false);
    transaction.commit();
  }

  // Copies outcomes into the shop's table for a mapping with [writeback], in bounded passes.
  void write_back(SourceState& source) {
    const mapping::WritebackSpec& spec = source.mapping->writeback;
    if (!spec.enabled()) {
      return;
    }
    constexpr int rows_per_pass = 500;
    constexpr int max_passes = 20;  // bounds one cycle; the rest waits for the next one
    long long total = 0;
    for (int pass = 0; pass < max_passes && !stop_requested.load(); ++pass) {
      long long written = 0;
      try {
        pqxx::work transaction(*work_);
        written = store_.write_back(transaction, source.mapping->source.name, source.reader->table(),
                                    source.mapping->source.key_columns, spec, rows_per_pass);
        transaction.commit();
      } catch (const pqxx::broken_connection&) {
        throw;
      } catch (const pqxx::sql_error& error) {
        // A wrong column type or a missing UPDATE grant must not stop delivery of any source:
        // the outcomes stay in import_status, marked, until the DBA fixes the columns.
        std::string message = one_line_error(error.what());
        if (message != last_writeback_error_) {
          last_writeback_error_ = message;
          spdlog::error("write-back to {} failed for source={}: {}; outcomes stay in {}.import_status and are "
                        "written once the [writeback] columns accept them",
                        source.reader->table(), source.mapping->source.name, message, config_.database.schema);
        }
        return;
      }
      total += written;
      if (written < rows_per_pass) {
        break;
      }
    }
    if (total > 0) {
      spdlog::debug("write-back source={} rows={}", source.mapping->source.name, total);
    }
  }

  // Reads up to batch_size due rows of one source, maps them and claims those to send as
  // `sending`. Rows it cannot send (held, skipped) are settled here. Returns nothing when no row
  // is due.
  std::optional<ClaimedRound> claim_round(SourceState& source) {
    const std::string& name = source.mapping->source.name;
    std::vector<status::RowUpdate> updates;
    ClaimedRound round;
    std::vector<status::DueRow>& to_send = round.to_send;
    std::vector<std::string>& bodies = round.bodies;
    RoundTotals& totals = round.totals;

    {
      pqxx::work transaction(*work_);
      // After a rejected key, one row probes whether the key works again before a whole batch goes.
      int limit = round_limit();
      std::vector<status::DueRow> due = store_.due_rows(transaction, name, limit, source.claimed_up_to);
      if (due.empty() && source.claimed_up_to > 0) {
        source.claimed_up_to = 0;
        due = store_.due_rows(transaction, name, limit, 0);
      }
      source.claimed_up_to = static_cast<int>(due.size()) < limit ? 0 : due.back().queue_seq;
      if (due.empty()) {
        return std::nullopt;
      }
      std::vector<std::string> keys;
      keys.reserve(due.size());
      for (const status::DueRow& row : due) {
        keys.push_back(row.row_key);
      }
      std::vector<capture::KeyedRow> rows = source.reader->read_by_keys(transaction, keys);
      std::map<std::string, const capture::KeyedRow*> by_key;
      for (const capture::KeyedRow& row : rows) {
        by_key[row.row_key] = &row;
      }

      for (const status::DueRow& due_row : due) {
        auto found = by_key.find(due_row.row_key);
        if (found == by_key.end()) {
          status::RowUpdate update(due_row.row_key, "skipped");
          update.error = "the source row no longer exists in " + source.reader->table();
          updates.push_back(std::move(update));
          ++totals.skipped;
          continue;
        }

        if (!found->second->selected) {
          status::RowUpdate update(due_row.row_key, "skipped");
          update.error = "not sent: the row does not match source.where (" + source.mapping->source.where + ")";
          updates.push_back(std::move(update));
          ++totals.skipped;
          continue;
        }

        mapping::MappedRow mapped = mapping::map_row(*source.mapping, found->second->row);
        std::string payload = record_json(mapped.record);
        if (!mapped.valid() && config_.delivery.invalid_records == config::InvalidRecords::hold) {
          status::RowUpdate update(due_row.row_key, "held");
          update.error = mapped.problems_text();
          update.payload = payload;
          spdlog::warn("held source={} key={} reason: {}", name, due_row.row_key, *update.error);
          updates.push_back(std::move(update));
          ++totals.held;
          continue;
        }

        status::RowUpdate claim(due_row.row_key, "sending");
        claim.payload = payload;
        claim.attempts_delta = 1;
        if (!mapped.valid()) {
          claim.error = "sent although invalid (invalid_records = \"send\"): " + mapped.problems_text();
        }
        updates.push_back(std::move(claim));
        to_send.push_back(due_row);
        bodies.push_back(delivery::encode_body(mapped.record, config_.api.format));
      }

      // Claiming commits before any request leaves, so a crash after this point finds the rows in
      // state sending and reports them as in doubt instead of forgetting the attempt.
      store_.apply(transaction, name, updates, source.mapping->writeback.enabled());
      transaction.commit();
    }

    round.settled = totals.held + totals.skipped;
    return round;
  }

  // Records the responses to a claimed round's requests, and acts on what they report about the
  // key and the API's rate. Returns how many rows the round settled or sent.
  int settle_round(SourceState& source, ClaimedRound& round) {
    const std::string& name = source.mapping->source.name;
    const std::vector<status::DueRow>& to_send = round.to_send;
    RoundTotals& totals = round.totals;
    int settled = round.settled;
    totals.claimed = static_cast<int>(to_send.size());

    const std::vector<delivery::HttpResult>& results = round.results;
    std::vector<status::RowUpdate> outcomes;
    outcomes.reserve(results.size());
    std::optional<milliseconds> slow_down;
    std::string slow_down_reason;
    int detailed_logs = 0;
    bool rejected = false;
    std::string rejection;
    for (std::size_t i = 0; i < results.size(); ++i) {
      const status::DueRow& row = to_send[i];
      const delivery::HttpResult& result = results[i];
      const delivery::Outcome& outcome = round.outcomes[i];
      status::RowUpdate update(row.row_key, "");
      if (result.status != 0) {
        update.http_status = static_cast<int>(result.status);
        update.response_body = result.body;
      }
      int attempts = row.attempts + 1;

      switch (outcome.kind) {
        case delivery::OutcomeKind::imported:
          update.state = "imported";
          update.response_id = outcome.response_id;
          ++totals.imported;
          break;

        case delivery::OutcomeKind::auth_rejected:
          // No row is to blame for a rejected key: the attempt is given back and the row waits.
          update.state = "pending";
          update.attempts_delta = -1;
          update.error = "not sent: the API rejected the key (" + outcome.error + ")";
          rejected = true;
          rejection = outcome.error;
          break;

        case delivery::OutcomeKind::not_created:
          update.state = "failed";
          update.error = outcome.error;
          spdlog::error("failed source={} key={} attempt={}: {}", name, row.row_key, attempts, outcome.error);
          ++totals.failed;
          break;

        case delivery::OutcomeKind::failed:
          update.state = "failed";
          update.error = outcome.error;
          spdlog::error("failed source={} key={} attempt={}: {}; the API rejected this record, so it is not retried",
                        name, row.row_key, attempts, outcome.error);
          ++totals.failed;
          break;

        case delivery::OutcomeKind::retry: {
          // A 429 is the API limiting the connector's rate, not a problem with this row: the
          // attempt is given back, so rate limiting alone never fails a row.
          if (result.status == 429) {
            update.attempts_delta = -1;
            attempts = row.attempts;
          }
          if (attempts >= config_.delivery.max_attempts) {
            update.state = "failed";
            update.error = "gave up after " + std::to_string(attempts) + " attempts: " + outcome.error;
            spdlog::error("failed source={} key={}: {}; run `cc-connector retry` to send it again once the API works",
                          name, row.row_key, *update.error);
            ++totals.failed;
            break;
          }
          milliseconds wait = backoff_.next_delay(attempts);
          if (outcome.retry_after && (result.status == 429 || result.status == 503)) {
            if (!slow_down || *outcome.retry_after > *slow_down) {
              slow_down = *outcome.retry_after;
              slow_down_reason = "HTTP " + std::to_string(result.status) + " with Retry-After " + *result.retry_after;
            }
          }
          if (outcome.retry_after && *outcome.retry_after > wait) {
            wait = *outcome.retry_after;
          }
          update.state = "retrying";
          update.error = outcome.error;
          update.retry_in = wait;
          if (detailed_logs++ < max_detailed_retry_logs) {
            spdlog::warn("retrying source={} key={} attempt={}/{} in {}: {}", name, row.row_key, attempts,
                         config_.delivery.max_attempts, format_duration(wait), outcome.error);
          }
          ++totals.retrying;
          break;
        }
      }
      outcomes.push_back(std::move(update));
    }

    {
      pqxx::work transaction(*work_);
      store_.apply(transaction, name, outcomes, source.mapping->writeback.enabled());
      transaction.commit();
    }
    log_round(name, totals);

    if (rejected) {
      pause_for_rejected_key(rejection);
    } else if (probing_ && totals.imported + totals.failed + totals.retrying > 0) {
      probing_ = false;
      auth_reported_ = false;
      persist_pause(std::nullopt, "");
      spdlog::info("the API accepts the key from {} again; delivery resumed", api_key_.origin());
    }
    if (slow_down) {
      throttle(*slow_down, slow_down_reason);
    }
    if (totals.retrying > 0) {
      api_failing_ = true;
    } else if (api_failing_ && totals.imported > 0) {
      api_failing_ = false;
      send_waiting_rows_now();
    }
    return settled + totals.claimed;
  }

  // After an outage, the first accepted request shows the API is back. Rows still waiting out
  // their backoff are due at once, so they reach Contractors Cloud now rather than minutes later.
  void send_waiting_rows_now() {
    pqxx::work transaction(*work_);
    long long rows = store_.make_retries_due(transaction);
    transaction.commit();
    if (rows > 0) {
      spdlog::info("the API accepts requests again; {} waiting rows are sent now", rows);
    }
  }

  // Writes the pause to delivery_state for `status`. A failure to write it only loses that report.
  void persist_pause(std::optional<milliseconds> wait, const std::string& reason) {
    try {
      pqxx::work transaction(*work_);
      if (wait) {
        store_.record_pause(transaction, *wait, reason);
      } else {
        store_.clear_pause(transaction);
      }
      transaction.commit();
    } catch (const pqxx::sql_error& error) {
      spdlog::warn("cannot record the delivery pause for `status`: {}", error.what());
    }
  }

  void pause_for_rejected_key(const std::string& rejection) {
    auth_paused_until_ = Clock::now() + config_.delivery.auth_retry;
    probing_ = true;
    persist_pause(config_.delivery.auth_retry, "the API rejected the key from " + api_key_.origin() + " (" +
                                                   rejection + ")");
    auth_message_ = "the API rejected the key from " + api_key_.origin() + " (" + rejection +
                    "); delivery is paused and every row stays pending. Check the key in Contractors Cloud "
                    "(RainMaker > API Keys) and update " + api_key_.origin();
    // Said once per outage at error level; the probes that follow are logged at debug. Under
    // --once the command itself exits with this message, so the log does not repeat it.
    if (once_) {
      return;
    }
    if (!auth_reported_) {
      auth_reported_ = true;
      spdlog::error("{}; probing with one row every {}", auth_message_, format_duration(config_.delivery.auth_retry));
    } else {
      spdlog::debug("the key is still rejected; next probe in {}", format_duration(config_.delivery.auth_retry));
    }
  }

  // Pauses delivery of every row when the API requests it with Retry-After on a 429 or 503, so the
  // request rate drops instead of each row retrying on its own clock.
  void throttle(milliseconds wait, const std::string& reason) {
    Clock::time_point until = Clock::now() + wait;
    if (until <= throttled_until_) {
      return;
    }
    throttled_until_ = until;
    persist_pause(wait, "the API asked to slow down (" + reason + ")");
    spdlog::warn("the API asked to slow down ({}); pausing delivery of all rows for {}", reason,
                 format_duration(wait));
  }

  void log_round(const std::string& source, const RoundTotals& totals) {
    spdlog::info("batch source={} sent={} imported={} retrying={} failed={} held={} skipped={}", source,
                 totals.claimed, totals.imported, totals.retrying, totals.failed, totals.held, totals.skipped);
  }

  static std::string record_json(const mapping::ImportRecord& record) {
    nlohmann::json object = nlohmann::json::object();
    for (const auto& [field, value] : record) {
      object[field] = value;
    }
    return object.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }

  status::StatusStore::Backlog current_backlog() {
    pqxx::read_transaction transaction(*work_);
    return store_.backlog(transaction);
  }

  void wait_for_work(const status::StatusStore::Backlog& backlog, std::optional<milliseconds> at_most = {}) {
    milliseconds wait = at_most ? std::min(*at_most, config_.capture.poll_interval) : config_.capture.poll_interval;
    if (auth_paused()) {
      auto remaining = std::chrono::duration_cast<milliseconds>(auth_paused_until_ - Clock::now());
      wait = std::min(wait, std::max(remaining, milliseconds(0)));
    } else if (throttled()) {
      auto remaining = std::chrono::duration_cast<milliseconds>(throttled_until_ - Clock::now());
      wait = std::min(wait, std::max(remaining, milliseconds(0)));
    } else if (backlog.next_due_in) {
      wait = std::min(wait, *backlog.next_due_in);
    }

    capture::WakeReason reason = listener_.wait(wait, wake_pipe[0], notified_sources_);
    if (reason == capture::WakeReason::woken) {
      drain_wake_pipe();
    } else if (reason == capture::WakeReason::lost) {
      // The loop reconnects the listener before its next catch-up.
      return;
    } else if (reason == capture::WakeReason::notified) {
      spdlog::debug("notified sources={}", notified_sources_.size());
    }
  }

  const config::ConnectorConfig& config_;
  const std::vector<mapping::Mapping>& mappings_;
  delivery::ApiKey api_key_;
  status::StatusStore store_;
  delivery::HttpSender sender_;
  delivery::Backoff backoff_;
  capture::Listener listener_;
  std::unique_ptr<pqxx::connection> work_;
  std::vector<SourceState> sources_;
  std::set<std::string> notified_sources_;  // named by NOTIFYs since their last capture
  bool connected_before_ = false;
  bool listened_before_ = false;
  Clock::time_point auth_paused_until_{};
  Clock::time_point throttled_until_{};
  bool once_ = false;
  bool api_failing_ = false;  // the last round had a retryable failure
  std::string last_writeback_error_;  // logged once until the error changes
  milliseconds busy_wait_ = first_busy_wait;  // the next wait while writers that skipped NOTIFY are open
  bool probing_ = false;        // the next round sends one row to test a rejected key
  bool auth_reported_ = false;  // the current key rejection has been logged at error level
  std::string auth_message_;
};

}  // namespace

void request_stop() {
  on_stop_signal(0);
}

void install_stop_signal_handlers() {
  if (wake_pipe[0] < 0 && ::pipe2(wake_pipe, O_NONBLOCK | O_CLOEXEC) != 0) {
    wake_pipe[0] = wake_pipe[1] = -1;
  }
  struct sigaction action {};
  action.sa_handler = on_stop_signal;
  sigemptyset(&action.sa_mask);
  ::sigaction(SIGTERM, &action, nullptr);
  ::sigaction(SIGINT, &action, nullptr);
  // A closed connection must show up as an error from write(), not kill the process.
  ::signal(SIGPIPE, SIG_IGN);
}

int run_connector(const config::ConnectorConfig& config, const std::vector<mapping::Mapping>& mappings,
                  delivery::ApiKey api_key, const RunOptions& options) {
  Connector connector(config, mappings, std::move(api_key));
  return connector.run(options);
}

}  // namespace cc::cli
