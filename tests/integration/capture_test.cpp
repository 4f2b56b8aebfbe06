// Capture correctness against a real PostgreSQL server: commit order, open transactions, key
// types, lost LISTEN connections and a killed connector.

#include <signal.h>

#include <doctest/doctest.h>

#include <set>
#include <thread>

#include "support/connector_setup.h"
#include "support/mock_api_process.h"

using namespace cc::test;
using namespace std::chrono_literals;

namespace {

const std::string api_key = "capture-test-key";

// Prepares the jobs table and installs capture on it.
std::unique_ptr<ConnectorSetup> prepared_jobs(TestDatabase& database, ConnectorOptions options) {
  database.exec(jobs_table_sql);
  options.api_key = api_key;
  auto setup = std::make_unique<ConnectorSetup>(database, options,
                                                std::map<std::string, std::string>{{"jobs.toml", jobs_mapping_toml}});
  ProcessResult init = setup->run({"init"});
  INFO(init.output);
  REQUIRE(init.exit_code == 0);
  return setup;
}

// How many times the mock accepted a record with each req_oppnum.
std::map<std::string, int> received_job_numbers(const MockApiProcess& mock) {
  std::map<std::string, int> counts;
  for (const nlohmann::json& entry : mock.records()) {
    counts[entry["record"]["req_oppnum"].get<std::string>()]++;
  }
  return counts;
}

std::string state_of(TestDatabase& database, const std::string& key_json) {
  return database.scalar("SELECT state FROM cc_sync.import_status WHERE row_key = '" + key_json + "'::jsonb");
}

}  // namespace

TEST_CASE("capture out-of-order commits") {
  TestDatabase database;
  MockApiProcess mock(api_key);
  ConnectorOptions options;
  options.api_url = mock.url();
  auto setup = prepared_jobs(database, options);

  // Transaction 1 inserts id 100 first but commits after transaction 2 inserted and committed id 101.
  auto first_connection = database.connect();
  pqxx::work first(*first_connection);
  insert_job(first, 100);
  {
    auto second_connection = database.connect();
    pqxx::work second(*second_connection);
    insert_job(second, 101);
    second.commit();
  }

  ProcessResult run_before = setup->run({"run", "--once"});
  INFO(run_before.output);
  CHECK(run_before.exit_code == 0);
  CHECK(state_of(database, R"({"id": 101})") == "imported");
  CHECK(state_of(database, R"({"id": 100})") == "");

  first.commit();
  ProcessResult run_after = setup->run({"run", "--once"});
  INFO(run_after.output);
  CHECK(run_after.exit_code == 0);
  CHECK(state_of(database, R"({"id": 100})") == "imported");

  std::map<std::string, int> received = received_job_numbers(mock);
  CHECK(received.size() == 2);
  CHECK(received["100"] == 1);
  CHECK(received["101"] == 1);
}

TEST_CASE("capture past idle-in-transaction writer") {
  TestDatabase database;
  MockApiProcess mock(api_key);
  ConnectorOptions options;
  options.api_url = mock.url();
  auto setup = prepared_jobs(database, options);
  database.exec("CREATE TABLE audit_note (id serial PRIMARY KEY, body text)");

  // The idle writer holds a transaction id from a write to another table and then waits.
  auto idle_connection = database.connect();
  pqxx::work idle(*idle_connection);
  idle.exec0("INSERT INTO audit_note (body) VALUES ('opened before the jobs were entered')");

  {
    auto connection = database.connect();
    pqxx::work transaction(*connection);
    for (long long id = 1; id <= 5; ++id) {
      insert_job(transaction, id);
    }
    transaction.commit();
  }

  ProcessResult while_open = setup->run({"run", "--once"}, 60s);
  INFO(while_open.output);
  CHECK(while_open.exit_code == 0);
  CHECK(database.count("SELECT count(*) FROM cc_sync.import_status WHERE state = 'imported'") == 5);

  // The idle transaction now writes a job itself and commits: its change joins a later batch.
  insert_job(idle, 6);
  idle.commit();
  ProcessResult after_commit = setup->run({"run", "--once"}, 60s);
  INFO(after_commit.output);
  CHECK(after_commit.exit_code == 0);
  CHECK(state_of(database, R"({"id": 6})") == "imported");
  CHECK(received_job_numbers(mock).size() == 6);
}

TEST_CASE("capture uuid and composite keys") {
  TestDatabase database;
  MockApiProcess mock(api_key);
  database.exec(R"sql(
CREATE EXTENSION IF NOT EXISTS pgcrypto;
CREATE TABLE roofing_jobs (
  job_id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  first_name text, last_name text, street text, city text, state text, zip text,
  opened_at timestamp NOT NULL DEFAULT '2024-03-10 08:30:00'
);
CREATE TABLE branch_jobs (
  company_id integer,
  job_no text,
  first_name text, last_name text, street text, city text, state text, zip text,
  opened_on date NOT NULL DEFAULT '2024-11-03',
  PRIMARY KEY (company_id, job_no)
);
)sql");

  const std::string fields = R"toml(
[fields]
req_firstname = "first_name"
req_lastname = "last_name"
req_accountname = { template = "{last_name}, {first_name}" }
req_street = "street"
req_city = "city"
req_state = { column = "state", transform = ["state_code"] }
req_zip = { column = "zip", transform = ["zip5"] }
)toml";
  std::string roofing = R"toml([source]
name = "roofing"
table = "roofing_jobs"
key = "job_id"
)toml" + fields + R"toml(req_oppdate = { column = "opened_at", transform = ["mysql_datetime"] }
req_oppnum = "job_id"
)toml";
  std::string branch = R"toml([source]
name = "branch"
table = "public.branch_jobs"
key = ["company_id", "job_no"]
)toml" + fields + R"toml(req_oppdate = { column = "opened_on", transform = ["mysql_datetime"] }
req_oppnum = { template = "{company_id}-{job_no}" }
)toml";

  ConnectorOptions options;
  options.api_url = mock.url();
  options.api_key = api_key;
  ConnectorSetup setup(database, options, {{"roofing.toml", roofing}, {"branch.toml", branch}});
  ProcessResult init = setup.run({"init"});
  INFO(init.output);
  REQUIRE(init.exit_code == 0);

  std::string roofing_id = database.scalar(
      "INSERT INTO roofing_jobs (first_name, last_name, street, city, state, zip) "
      "VALUES ('Ana', 'Ortiz', '9 Elm St', 'Austin', 'TX', '78701') RETURNING job_id");
  database.exec("INSERT INTO branch_jobs (company_id, job_no, first_name, last_name, street, city, state, zip) VALUES "
                "(7, 'A-100', 'Lee', 'Park', '1 Bay Rd', 'Squamish', 'British Columbia', '98225'), "
                "(7, 'A-101', 'Kim', 'Park', '2 Bay Rd', 'Squamish', 'BC', '98225'), "
                "(8, 'A-100', 'Sam', 'Diaz', '3 Bay Rd', 'Squamish', 'bc', '98225')");

  ProcessResult run = setup.run({"run", "--once"});
  INFO(run.output);
  CHECK(run.exit_code == 0);
  CHECK(database.count("SELECT count(*) FROM cc_sync.import_status WHERE state = 'imported'") == 4);
  CHECK(state_of(database, R"({"job_id": ")" + roofing_id + R"("})") == "imported");
  CHECK(state_of(database, R"({"company_id": 8, "job_no": "A-100"})") == "imported");

  std::map<std::string, int> received = received_job_numbers(mock);
  CHECK(received[roofing_id] == 1);
  CHECK(received["7-A-100"] == 1);
  CHECK(received["7-A-101"] == 1);
  CHECK(received["8-A-100"] == 1);
  for (const nlohmann::json& entry : mock.records()) {
    if (entry["record"]["req_oppnum"] == "8-A-100") {
      CHECK(entry["record"]["req_state"] == "BC");
      CHECK(entry["record"]["req_oppdate"] == "2024-11-03 00:00:00");
    }
    if (entry["record"]["req_oppnum"] == roofing_id) {
      CHECK(entry["record"]["req_oppdate"] == "2024-03-10 08:30:00");
    }
  }
}

TEST_CASE("capture survives terminated listener") {
  TestDatabase database;
  MockApiProcess mock(api_key);
  ConnectorOptions options;
  options.api_url = mock.url();
  // A poll interval far longer than the test: rows can only arrive this fast through NOTIFY and
  // the catch-up that follows a reconnect.
  options.poll_interval = "10m";
  auto setup = prepared_jobs(database, options);

  std::unique_ptr<ChildProcess> connector = setup->start({"run"});
  auto listener_pid = [&]() {
    return database.scalar("SELECT pid FROM pg_stat_activity WHERE application_name = 'cc-connector listener' "
                           "AND datname = current_database()");
  };
  REQUIRE(wait_until([&] { return !listener_pid().empty(); }, 15s));
  std::string first_pid = listener_pid();

  auto imported = [&] { return database.count("SELECT count(*) FROM cc_sync.import_status WHERE state = 'imported'"); };
  auto insert_range = [&](long long from, long long to) {
    auto connection = database.connect();
    for (long long id = from; id <= to; ++id) {
      pqxx::work transaction(*connection);
      insert_job(transaction, id);
      transaction.commit();
    }
  };

  insert_range(1, 5);
  CHECK(wait_until([&] { return imported() == 5; }, 15s));

  // Rows committed right after the listener's backend is terminated must still arrive: the
  // connector re-LISTENs and catches up from the watermark.
  database.exec("SELECT pg_terminate_backend(" + first_pid + ")");
  insert_range(6, 10);
  CHECK(wait_until([&] { return imported() == 10; }, 20s));
  CHECK(wait_until([&] { return !listener_pid().empty() && listener_pid() != first_pid; }, 10s));

  insert_range(11, 12);
  CHECK(wait_until([&] { return imported() == 12; }, 15s));

  std::map<std::string, int> received = received_job_numbers(mock);
  CHECK(received.size() == 12);
  INFO(connector->log());
  connector->send_signal(SIGTERM);
  CHECK(connector->wait_for_exit(15s) == 0);
}

TEST_CASE("capture after SIGKILL loses no row") {
  TestDatabase database;
  MockApiProcess mock(api_key);
  mock.set_latency(100ms);
  ConnectorOptions options;
  options.api_url = mock.url();
  options.concurrency = 2;
  options.batch_size = 10;
  auto setup = prepared_jobs(database, options);

  constexpr long long total_rows = 80;
  {
    auto connection = database.connect();
    pqxx::work transaction(*connection);
    for (long long id = 1; id <= total_rows; ++id) {
      insert_job(transaction, id);
    }
    transaction.commit();
  }

  std::unique_ptr<ChildProcess> connector = setup->start({"run"});
  auto imported = [&] { return database.count("SELECT count(*) FROM cc_sync.import_status WHERE state = 'imported'"); };
  REQUIRE(wait_until([&] { return imported() >= 10; }, 30s));
  connector->send_signal(SIGKILL);
  CHECK(connector->wait_for_exit(10s) == 128 + SIGKILL);
  long long imported_before_kill = imported();
  CHECK(imported_before_kill < total_rows);

  mock.set_latency(0ms);
  ProcessResult restart = setup->run({"run", "--once"});
  INFO(restart.output);
  CHECK(restart.exit_code == 0);
  CHECK(imported() == total_rows);
  CHECK(database.count("SELECT count(*) FROM cc_sync.import_status WHERE state <> 'imported'") == 0);

  // At-least-once: every job arrived; a row whose request was in flight at the kill may arrive twice
  // and is then flagged in_doubt.
  std::map<std::string, int> received = received_job_numbers(mock);
  CHECK(received.size() == total_rows);
  int duplicates = 0;
  for (const auto& [job, count] : received) {
    duplicates += count - 1;
  }
  CHECK(duplicates <= database.count("SELECT count(*) FROM cc_sync.import_status WHERE in_doubt"));
}

TEST_CASE("capture wide row with large note") {
  TestDatabase database;
  MockApiProcess mock(api_key);
  ConnectorOptions options;
  options.api_url = mock.url();
  auto setup = prepared_jobs(database, options);

  // 9,000 bytes is more than a NOTIFY payload may carry, so the trigger must not put row data in it.
  std::string note(9000, 'n');
  note.replace(0, 22, "Tear-off and re-roof: ");
  {
    auto connection = database.connect();
    pqxx::work transaction(*connection);
    insert_job(transaction, 42, note);
    transaction.commit();
  }

  ProcessResult run = setup->run({"run", "--once"});
  INFO(run.output);
  CHECK(run.exit_code == 0);
  nlohmann::json records = mock.records();
  REQUIRE(records.size() == 1);
  CHECK(records[0]["record"]["opt_note1"].get<std::string>() == note);
}

TEST_CASE("capture ignores connector's own writes") {
  TestDatabase database;
  MockApiProcess mock(api_key);
  ConnectorOptions options;
  options.api_url = mock.url();
  auto setup = prepared_jobs(database, options);

  {
    auto connection = database.connect();
    pqxx::work transaction(*connection);
    insert_job(transaction, 1);
    transaction.commit();
  }
  CHECK(setup->run({"run", "--once"}).exit_code == 0);
  CHECK(database.count("SELECT count(*) FROM cc_sync.change_log") == 0);

  // A session marked as the connector's own, as every connector session is, captures nothing.
  auto connection = database.connect();
  {
    pqxx::work transaction(*connection);
    transaction.exec0("SET LOCAL cc_connector.origin = 'connector'");
    transaction.exec0("UPDATE public.jobs SET note = 'written back by the connector' WHERE id = 1");
    transaction.commit();
  }
  CHECK(database.count("SELECT count(*) FROM cc_sync.change_log") == 0);

  // An UPDATE that changes nothing is no change either.
  database.exec("UPDATE public.jobs SET note = note WHERE id = 1");
  CHECK(database.count("SELECT count(*) FROM cc_sync.change_log") == 0);

  // A second run sends nothing new.
  CHECK(setup->run({"run", "--once"}).exit_code == 0);
  CHECK(mock.records().size() == 1);

  // The shop's own edit of an imported row is captured but not sent again, since Contractors
  // Cloud would create a duplicate lead.
  database.exec("UPDATE public.jobs SET note = 'customer called back' WHERE id = 1");
  CHECK(database.count("SELECT count(*) FROM cc_sync.change_log") == 1);
  CHECK(setup->run({"run", "--once"}).exit_code == 0);
  CHECK(mock.records().size() == 1);
  CHECK(state_of(database, R"({"id": 1})") == "imported");

  // A mapping that opts in with resend_updates sends the edited row again.
  std::string resending = jobs_mapping_toml;
  resending.replace(resending.find("key = \"id\"\n"), 11, "key = \"id\"\nresend_updates = true\n");
  setup->write_file("jobs.toml", resending);
  database.exec("UPDATE public.jobs SET note = 'second visit booked' WHERE id = 1");
  CHECK(setup->run({"run", "--once"}).exit_code == 0);
  CHECK(mock.records().size() == 2);
  CHECK(mock.records()[1]["record"]["opt_note1"] == "second visit booked");
}
