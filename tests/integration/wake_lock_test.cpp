// The wake lock between the capture trigger and a sleeping connector. Writers send a NOTIFY only
// while the connector sleeps, no committed row waits for the poll interval, and the trigger
// function runs safely under a caller's search_path. An upgraded schema keeps capturing, and an
// idle connector keeps moving the watermark.

#include <signal.h>

#include <doctest/doctest.h>

#include <algorithm>
#include <mutex>
#include <random>
#include <thread>

#include "capture/schema_installer.h"
#include "support/connector_setup.h"
#include "support/mock_api_process.h"

using namespace cc::test;
using namespace std::chrono_literals;

namespace {

using Clock = std::chrono::steady_clock;

const std::string api_key = "wake-lock-test-key";

// The wake lock of schema cc_sync, as the arguments of the advisory lock functions.
const std::string wake_lock_arguments = "1667463009, hashtext('cc_sync')";

// Creates the jobs table and installs the schema and capture on it with `cc-connector init`.
std::unique_ptr<ConnectorSetup> installed_jobs(TestDatabase& database, ConnectorOptions options) {
  database.exec(jobs_table_sql);
  options.api_key = api_key;
  if (options.api_url.empty()) {
    // Nothing listens on port 9 of the loopback address. The tests that keep this default send nothing.
    options.api_url = "http://127.0.0.1:9/api/v2/import/record";
  }
  auto setup = std::make_unique<ConnectorSetup>(database, options,
                                                std::map<std::string, std::string>{{"jobs.toml", jobs_mapping_toml}});
  ProcessResult init = setup->run({"init"});
  INFO(init.output);
  REQUIRE(init.exit_code == 0);
  return setup;
}

void commit_job(TestDatabase& database, long long id) {
  auto connection = database.connect();
  pqxx::work transaction(*connection);
  insert_job(transaction, id);
  transaction.commit();
}

// Records the payload of every notification on one channel of its connection.
class PayloadRecorder : public pqxx::notification_receiver {
 public:
  PayloadRecorder(pqxx::connection_base& connection, const std::string& channel)
      : pqxx::notification_receiver(connection, channel) {}

  void operator()(const std::string& payload, int) override { payloads.push_back(payload); }

  std::vector<std::string> payloads;
};

// Waits up to `timeout` until `recorder` contains a payload, and returns whether it does.
bool await_payload(pqxx::connection_base& connection, const PayloadRecorder& recorder,
                   std::chrono::milliseconds timeout) {
  Clock::time_point deadline = Clock::now() + timeout;
  connection.get_notifs();
  while (recorder.payloads.empty() && Clock::now() < deadline) {
    auto remaining = std::chrono::duration_cast<std::chrono::microseconds>(deadline - Clock::now());
    connection.await_notification(static_cast<long>(remaining.count() / 1'000'000),
                                  static_cast<long>(remaining.count() % 1'000'000));
  }
  return !recorder.payloads.empty();
}

// Whether the connector's listening session holds the wake lock, which it does only while it sleeps.
bool connector_sleeps(TestDatabase& database) {
  return database.count("SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
                        "WHERE a.application_name = 'cc-connector listener' AND a.datname = current_database() "
                        "AND l.locktype = 'advisory' AND l.classid = 1667463009 "
                        "AND l.objid = hashtext('cc_sync')::oid AND l.objsubid = 2 "
                        "AND l.mode = 'ExclusiveLock' AND l.granted") == 1;
}

// Whether the session with server process id `pid` holds the wake lock shared, as a writer that
// skipped its NOTIFY does until its transaction ends.
bool holds_wake_lock_shared(TestDatabase& database, int pid) {
  return database.count("SELECT count(*) FROM pg_locks WHERE pid = " + std::to_string(pid) +
                        " AND locktype = 'advisory' AND classid = 1667463009 "
                        "AND objid = hashtext('cc_sync')::oid AND objsubid = 2 "
                        "AND mode = 'ShareLock' AND granted") == 1;
}

long long imported_count(TestDatabase& database) {
  return database.count("SELECT count(*) FROM cc_sync.import_status WHERE state = 'imported'");
}

std::string state_of(TestDatabase& database, long long id) {
  return database.scalar("SELECT state FROM cc_sync.import_status WHERE row_key = '{\"id\": " + std::to_string(id) +
                         "}'::jsonb");
}

long long watermark_batches(TestDatabase& database) {
  return database.count("SELECT batches FROM cc_sync.watermark WHERE source = 'jobs'");
}

// How many times the mock accepted a record with each req_oppnum.
std::map<std::string, int> received_job_numbers(const MockApiProcess& mock) {
  std::map<std::string, int> counts;
  for (const nlohmann::json& entry : mock.records()) {
    counts[entry["record"]["req_oppnum"].get<std::string>()]++;
  }
  return counts;
}

// A LOGIN role without superuser rights. The destructor drops it and everything it owns in the
// test database, so declare it after the TestDatabase.
class TemporaryRole {
 public:
  TemporaryRole(TestDatabase& database, std::string name) : database_(database), name_(std::move(name)) {
    database_.exec("CREATE ROLE " + name_ + " LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE");
  }
  ~TemporaryRole() {
    try {
      database_.exec("DROP OWNED BY " + name_ + "; DROP ROLE " + name_);
    } catch (const std::exception&) {
      // The cluster is removed when the fixture stops, so a leftover role is harmless.
    }
  }
  TemporaryRole(const TemporaryRole&) = delete;
  TemporaryRole& operator=(const TemporaryRole&) = delete;

  const std::string& name() const { return name_; }

  // A connection to the test database that logs in as this role.
  std::unique_ptr<pqxx::connection> connect() const {
    std::string url = database_.url();
    url.replace(url.find("user=postgres"), 13, "user=" + name_);
    return std::make_unique<pqxx::connection>(url);
  }

 private:
  TestDatabase& database_;
  std::string name_;
};

}  // namespace

TEST_CASE("wake lock: writers notify only while held") {
  TestDatabase database;
  auto setup = installed_jobs(database, ConnectorOptions{});

  auto listen_connection = database.connect();
  PayloadRecorder recorder(*listen_connection, "cc_sync");
  auto lock_connection = database.connect();
  pqxx::nontransaction lock_session(*lock_connection);

  // A sleeping connector holds the lock exclusively, so a writer cannot take it shared and notifies.
  lock_session.exec("SELECT pg_advisory_lock(" + wake_lock_arguments + ")");
  commit_job(database, 1);
  REQUIRE(await_payload(*listen_connection, recorder, 5s));
  CHECK(recorder.payloads.size() == 1);
  CHECK(recorder.payloads.front() == "jobs");

  // An awake connector does not hold it, so the writer skips the NOTIFY but still records its change.
  recorder.payloads.clear();
  CHECK(lock_session.exec("SELECT pg_advisory_unlock(" + wake_lock_arguments + ")")[0][0].as<bool>());
  commit_job(database, 2);
  CHECK_FALSE(await_payload(*listen_connection, recorder, 300ms));
  CHECK(database.count("SELECT count(*) FROM cc_sync.change_log WHERE row_key = '{\"id\": 2}'::jsonb") == 1);

  // A writer that skipped its NOTIFY keeps the lock shared until its transaction ends, so the
  // connector cannot take the lock and sleep before then.
  auto writer_connection = database.connect();
  pqxx::work writer(*writer_connection);
  insert_job(writer, 3);
  CHECK_FALSE(lock_session.exec("SELECT pg_try_advisory_lock(" + wake_lock_arguments + ")")[0][0].as<bool>());
  writer.commit();
  CHECK(lock_session.exec("SELECT pg_try_advisory_lock(" + wake_lock_arguments + ")")[0][0].as<bool>());

  // With the lock taken again, the next writer notifies again.
  commit_job(database, 4);
  REQUIRE(await_payload(*listen_connection, recorder, 5s));
  CHECK(recorder.payloads.size() == 1);
  CHECK(recorder.payloads.front() == "jobs");
  CHECK(database.count("SELECT count(*) FROM cc_sync.change_log") == 4);
}

TEST_CASE("wake lock: trigger resists hostile search_path") {
  TestDatabase database;
  auto setup = installed_jobs(database, ConnectorOptions{});

  CHECK(database.scalar("SELECT proconfig IS NULL FROM pg_proc WHERE oid = 'cc_sync.capture_jobs'::regproc") == "t");
  CHECK(database.scalar("SELECT prosecdef FROM pg_proc WHERE oid = 'cc_sync.capture_jobs'::regproc") == "t");

  TemporaryRole role(database, "cc_test_writer_" + database.name());
  database.exec("GRANT INSERT ON public.jobs TO " + role.name());
  database.exec("CREATE SCHEMA shadow AUTHORIZATION " + role.name());
  CHECK(database.scalar("SELECT has_table_privilege('" + role.name() + "', 'cc_sync.change_log', 'INSERT')") == "f");

  auto role_connection = role.connect();
  pqxx::nontransaction role_session(*role_connection);
  // These objects take the place of the built-in ones for unqualified names. The function gives
  // every row the key -1, and the operator makes every session look like the connector's own.
  role_session.exec(R"sql(
CREATE FUNCTION shadow.jsonb_build_object(text, bigint) RETURNS jsonb
  LANGUAGE sql AS $$ SELECT '{"id": -1}'::jsonb $$;
CREATE FUNCTION shadow.always_equal(text, text) RETURNS boolean
  LANGUAGE sql AS $$ SELECT true $$;
CREATE OPERATOR shadow.= (LEFTARG = text, RIGHTARG = text, FUNCTION = shadow.always_equal);
SET search_path = shadow, pg_catalog, public;
)sql");
  // Both shadows win over pg_catalog for unqualified names in this session.
  CHECK(role_session.exec("SELECT jsonb_build_object('id', 7::bigint)::text")[0][0].as<std::string>() ==
        R"({"id": -1})");
  CHECK(role_session.exec("SELECT 'a'::text = 'b'")[0][0].as<bool>());

  role_session.exec("INSERT INTO public.jobs (id, customer_first) VALUES (41, 'Dana')");

  CHECK(database.count("SELECT count(*) FROM cc_sync.change_log") == 1);
  CHECK(database.scalar("SELECT row_key::text FROM cc_sync.change_log WHERE source = 'jobs'") == R"({"id": 41})");
}

TEST_CASE("wake lock: rows committed during delivery arrive") {
  TestDatabase database;
  MockApiProcess mock(api_key);
  ConnectorOptions options;
  options.api_url = mock.url();
  // The poll interval is far longer than the test, so every row must arrive through a NOTIFY or
  // through the catch-up that the connector runs before it sleeps.
  options.poll_interval = "60s";
  auto setup = installed_jobs(database, options);

  std::unique_ptr<ChildProcess> connector = setup->start({"run"});
  INFO(connector->log());
  REQUIRE(wait_until([&] { return connector_sleeps(database); }, 15s));

  // Each writer commits transactions of 1 to 5 rows that stay open 0 to 20 ms, so commits land
  // both while the connector sleeps and while it captures and delivers.
  constexpr int writer_count = 4;
  constexpr int rows_per_writer = 50;
  constexpr int total_rows = writer_count * rows_per_writer;
  std::mutex errors_mutex;
  std::vector<std::string> writer_errors;
  std::vector<std::thread> writers;
  for (int writer = 0; writer < writer_count; ++writer) {
    writers.emplace_back([&, writer] {
      try {
        std::mt19937 random(1000 + writer);
        std::uniform_int_distribution<int> several_rows(2, 5);
        std::uniform_int_distribution<int> open_ms(0, 20);
        auto connection = database.connect();
        int written = 0;
        while (written < rows_per_writer) {
          int rows = random() % 2 == 0 ? 1 : several_rows(random);
          rows = std::min(rows, rows_per_writer - written);
          pqxx::work transaction(*connection);
          for (int row = 0; row < rows; ++row) {
            insert_job(transaction, (writer + 1) * 1000 + written + row);
          }
          std::this_thread::sleep_for(std::chrono::milliseconds(open_ms(random)));
          transaction.commit();
          written += rows;
        }
      } catch (const std::exception& error) {
        std::lock_guard<std::mutex> lock(errors_mutex);
        writer_errors.push_back("writer " + std::to_string(writer) + ": " + error.what());
      }
    });
  }
  for (std::thread& writer : writers) {
    writer.join();
  }
  REQUIRE(writer_errors.empty());

  {
    Clock::time_point last_commit = Clock::now();
    bool all_imported = wait_until([&] { return imported_count(database) == total_rows; }, 20s);
    auto delivery_time = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - last_commit);
    INFO("rows imported: " << imported_count(database) << " of " << total_rows << " after "
                           << delivery_time.count() << " ms");
    CHECK(all_imported);
    CHECK(database.count("SELECT count(*) FROM cc_sync.import_status") == total_rows);

    std::map<std::string, int> received = received_job_numbers(mock);
    std::string missing;
    std::string duplicated;
    for (int writer = 0; writer < writer_count; ++writer) {
      for (int row = 0; row < rows_per_writer; ++row) {
        std::string job_number = std::to_string((writer + 1) * 1000 + row);
        int times = received.count(job_number) == 0 ? 0 : received.at(job_number);
        if (times == 0) {
          missing += " " + job_number;
        } else if (times > 1) {
          duplicated += " " + job_number;
        }
      }
    }
    CHECK(received.size() == total_rows);
    CHECK_MESSAGE(missing.empty(), "job numbers the mock never received:" << missing);
    CHECK_MESSAGE(duplicated.empty(), "job numbers the mock received more than once:" << duplicated);
  }

  // Once the work is done, the connector goes back to sleep on the wake lock.
  REQUIRE(wait_until([&] { return connector_sleeps(database); }, 10s));

  // With a slow API, each delivery round stays in flight for 1 s. Row 9002 is committed while
  // row 9001 is being sent, so the connector has released the wake lock by the time it sends 9002.
  // A writer that inserts then takes the lock shared and skips its NOTIFY. It stays open after the
  // connector has run out of work, and its row must still arrive once it commits.
  mock.set_latency(1000ms);
  commit_job(database, 9001);
  REQUIRE(wait_until([&] { return state_of(database, 9001) == "sending"; }, 5s));
  commit_job(database, 9002);
  REQUIRE(wait_until([&] { return state_of(database, 9002) == "sending"; }, 5s));
  auto late_connection = database.connect();
  pqxx::work late_writer(*late_connection);
  insert_job(late_writer, 9003);
  CHECK(holds_wake_lock_shared(database, late_connection->backendpid()));
  REQUIRE(wait_until([&] { return state_of(database, 9002) == "imported"; }, 5s));
  std::this_thread::sleep_for(500ms);
  CHECK_FALSE(connector_sleeps(database));
  late_writer.commit();
  mock.set_latency(0ms);
  CHECK(wait_until([&] { return state_of(database, 9003) == "imported"; }, 20s));

  CHECK(wait_until([&] { return connector_sleeps(database); }, 10s));
  connector->send_signal(SIGTERM);
  CHECK(connector->wait_for_exit(15s) == 0);
}

TEST_CASE("wake lock: open transaction delays only itself") {
  TestDatabase database;
  MockApiProcess mock(api_key);
  ConnectorOptions options;
  options.api_url = mock.url();
  options.poll_interval = "60s";
  auto setup = installed_jobs(database, options);

  auto wait_out = [](Clock::time_point opened, std::chrono::milliseconds open_time) {
    auto remaining = std::chrono::duration_cast<std::chrono::milliseconds>(opened + open_time - Clock::now());
    std::this_thread::sleep_for(std::max(remaining, std::chrono::milliseconds(0)));
  };

  // Opened before the connector starts, this writer takes the wake lock shared and skips its
  // NOTIFY, so the connector cannot sleep until it ends.
  auto skipping_connection = database.connect();
  pqxx::work skipping_writer(*skipping_connection);
  insert_job(skipping_writer, 1);
  Clock::time_point opened = Clock::now();

  std::unique_ptr<ChildProcess> connector = setup->start({"run"});
  INFO(connector->log());
  REQUIRE(wait_until([&] { return watermark_batches(database) >= 1; }, 15s));
  long long batches_before = watermark_batches(database);

  // Rows that other writers commit meanwhile arrive within seconds.
  for (long long id = 2; id <= 4; ++id) {
    commit_job(database, id);
    CAPTURE(id);
    REQUIRE(wait_until([&] { return state_of(database, id) == "imported"; }, 5s));
  }
  wait_out(opened, 2s);
  CHECK(state_of(database, 1) == "");
  CHECK_FALSE(connector_sleeps(database));
  // The connector looks for the open writer's change every few milliseconds. It runs a capture
  // transaction only when change_log contains a committed change, which here is once per row.
  long long batches_while_open = watermark_batches(database) - batches_before;
  CHECK(batches_while_open >= 3);
  CHECK(batches_while_open <= 10);

  skipping_writer.commit();
  CHECK(wait_until([&] { return state_of(database, 1) == "imported"; }, 20s));
  CHECK(wait_until([&] { return connector_sleeps(database); }, 10s));

  // Opened while the connector sleeps, this writer cannot take the lock shared and notifies when
  // it commits. Meanwhile the rows committed by others wake the connector, which sleeps again.
  auto notifying_connection = database.connect();
  pqxx::work notifying_writer(*notifying_connection);
  insert_job(notifying_writer, 5);
  opened = Clock::now();
  for (long long id = 6; id <= 7; ++id) {
    commit_job(database, id);
    CAPTURE(id);
    REQUIRE(wait_until([&] { return state_of(database, id) == "imported"; }, 5s));
  }
  wait_out(opened, 2s);
  CHECK(state_of(database, 5) == "");

  notifying_writer.commit();
  CHECK(wait_until([&] { return state_of(database, 5) == "imported"; }, 20s));
  CHECK(received_job_numbers(mock).size() == 7);

  connector->send_signal(SIGTERM);
  CHECK(connector->wait_for_exit(15s) == 0);
}

TEST_CASE("capture: upgrade to version 5") {
  TestDatabase database;
  database.exec(jobs_table_sql);
  {
    auto connection = database.connect();
    cc::capture::InstallReport report = cc::capture::apply_migrations(*connection, "cc_sync", 4);
    REQUIRE(report.version_after == 4);
  }
  database.exec("SELECT cc_sync.install_capture('jobs', 'public.jobs'::regclass, ARRAY['id'])");
  const std::string function_config =
      "SELECT proconfig IS NULL FROM pg_proc WHERE oid = 'cc_sync.capture_jobs'::regproc";
  const std::string change_log_primary_keys =
      "SELECT count(*) FROM pg_constraint WHERE conrelid = 'cc_sync.change_log'::regclass AND contype = 'p'";
  CHECK(database.scalar(function_config) == "f");
  CHECK(database.count(change_log_primary_keys) == 1);
  commit_job(database, 1);
  CHECK(database.count("SELECT count(*) FROM cc_sync.change_log") == 1);

  MockApiProcess mock(api_key);
  ConnectorOptions options;
  options.api_url = mock.url();
  options.api_key = api_key;
  ConnectorSetup setup(database, options, {{"jobs.toml", jobs_mapping_toml}});
  ProcessResult init = setup.run({"init"});
  INFO(init.output);
  CHECK(init.exit_code == 0);
  CHECK(init.output.find("schema cc_sync upgraded from version 4 to 5") != std::string::npos);
  CHECK(database.scalar("SELECT version FROM cc_sync.schema_version") == "5");
  CHECK(database.scalar(function_config) == "t");
  CHECK(database.scalar("SELECT prosecdef FROM pg_proc WHERE oid = 'cc_sync.capture_jobs'::regproc") == "t");
  CHECK(database.count(change_log_primary_keys) == 0);

  // The change captured before the upgrade stays, and a new one joins it.
  commit_job(database, 2);
  CHECK(database.count("SELECT count(*) FROM cc_sync.change_log") == 2);
  CHECK(database.count("SELECT count(*) FROM cc_sync.change_log WHERE row_key = '{\"id\": 2}'::jsonb") == 1);

  ProcessResult run = setup.run({"run", "--once"});
  INFO(run.output);
  CHECK(run.exit_code == 0);
  CHECK(state_of(database, 1) == "imported");
  CHECK(state_of(database, 2) == "imported");
  CHECK(received_job_numbers(mock).size() == 2);
}

TEST_CASE("status: idle connector moves watermark") {
  TestDatabase database;
  MockApiProcess mock(api_key);
  ConnectorOptions options;
  options.api_url = mock.url();
  options.poll_interval = "1s";
  auto setup = installed_jobs(database, options);

  std::unique_ptr<ChildProcess> connector = setup->start({"run"});
  REQUIRE(wait_until([&] { return connector_sleeps(database); }, 15s));
  INFO(connector->log());
  long long batches_before = watermark_batches(database);
  CHECK(batches_before >= 1);

  // With nothing to capture, the watermark still moves once per poll_interval, and no more often.
  Clock::time_point idle_since = Clock::now();
  CHECK(wait_until([&] { return watermark_batches(database) >= batches_before + 2; }, 5s));
  auto idle_time = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - idle_since);
  INFO("idle for " << idle_time.count() << " ms");
  CHECK(idle_time >= 800ms);
  CHECK(database.count("SELECT count(*) FROM cc_sync.change_log") == 0);

  ProcessResult status = setup->run({"status", "--json"});
  INFO(status.output);
  REQUIRE(status.exit_code == 0);
  nlohmann::json report = nlohmann::json::parse(status.output);
  REQUIRE(report["sources"].size() == 1);
  CHECK(report["sources"][0]["batches"].get<long long>() >= batches_before + 2);
  CHECK(report["sources"][0]["watermark_age_seconds"].get<double>() < 2.5);

  connector->send_signal(SIGTERM);
  CHECK(connector->wait_for_exit(15s) == 0);
}
