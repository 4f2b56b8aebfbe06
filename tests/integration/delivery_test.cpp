// Delivery against cc-mock-api over real HTTP: rejected keys, retries, permanent failures, held
// rows and their re-evaluation, body formats and a stop while requests are in flight.

#include <signal.h>

#include <doctest/doctest.h>

#include <algorithm>
#include <fstream>
#include <thread>
#include <sstream>

#include "support/connector_setup.h"
#include "support/mock_api_process.h"

using namespace cc::test;
using namespace std::chrono_literals;

namespace {

const std::string api_key = "delivery-test-key";

std::unique_ptr<ConnectorSetup> prepared_jobs(TestDatabase& database, ConnectorOptions options) {
  database.exec(jobs_table_sql);
  if (options.api_key == ConnectorOptions{}.api_key) {
    options.api_key = api_key;
  }
  auto setup = std::make_unique<ConnectorSetup>(database, options,
                                                std::map<std::string, std::string>{{"jobs.toml", jobs_mapping_toml}});
  ProcessResult init = setup->run({"init"});
  INFO(init.output);
  REQUIRE(init.exit_code == 0);
  return setup;
}

void insert_jobs(TestDatabase& database, long long from, long long to) {
  auto connection = database.connect();
  pqxx::work transaction(*connection);
  for (long long id = from; id <= to; ++id) {
    insert_job(transaction, id);
  }
  transaction.commit();
}

long long count_in_state(TestDatabase& database, const std::string& state) {
  return database.count("SELECT count(*) FROM cc_sync.import_status WHERE state = '" + state + "'");
}

}  // namespace

TEST_CASE("delivery wrong api key") {
  TestDatabase database;
  MockApiProcess mock(api_key);
  ConnectorOptions options;
  options.api_url = mock.url();
  options.api_key = "rotated-away-key-0000";
  auto setup = prepared_jobs(database, options);
  insert_jobs(database, 1, 3);

  ProcessResult run = setup->run({"run", "--once"});
  CHECK(run.exit_code == 1);
  CHECK(run.output.find("rejected the key") != std::string::npos);
  CHECK(run.output.find("CC_TEST_API_KEY") != std::string::npos);
  CHECK(run.output.find("rotated-away-key-0000") == std::string::npos);

  // No row is blamed for a rejected key: all stay pending with no attempt counted.
  CHECK(count_in_state(database, "pending") == 3);
  CHECK(count_in_state(database, "failed") == 0);
  CHECK(database.count("SELECT coalesce(sum(attempts), 0) FROM cc_sync.import_status") == 0);
  CHECK(mock.records().empty());
}

TEST_CASE("delivery retries 503 then imports") {
  TestDatabase database;
  MockApiProcess mock(api_key);
  ConnectorOptions options;
  options.api_url = mock.url();
  options.concurrency = 1;
  auto setup = prepared_jobs(database, options);
  insert_jobs(database, 1, 3);
  mock.fail_next(503, 2);

  ProcessResult run = setup->run({"run", "--once"});
  INFO(run.output);
  CHECK(run.exit_code == 0);
  CHECK(count_in_state(database, "imported") == 3);
  CHECK(count_in_state(database, "failed") == 0);
  // Three rows, two of them retried once each.
  CHECK(database.count("SELECT sum(attempts) FROM cc_sync.import_status") == 5);
  CHECK(mock.records().size() == 3);
  CHECK(run.output.find("retrying source=jobs") != std::string::npos);
}

TEST_CASE("delivery gives up after max attempts") {
  TestDatabase database;
  MockApiProcess mock(api_key);
  ConnectorOptions options;
  options.api_url = mock.url();
  options.max_attempts = 3;
  auto setup = prepared_jobs(database, options);
  insert_jobs(database, 1, 1);
  mock.fail_next(502, 100);

  ProcessResult run = setup->run({"run", "--once"});
  INFO(run.output);
  CHECK(run.exit_code == 0);
  CHECK(count_in_state(database, "failed") == 1);
  CHECK(database.scalar("SELECT attempts FROM cc_sync.import_status") == "3");
  CHECK(database.scalar("SELECT error FROM cc_sync.import_status").find("gave up after 3 attempts") !=
        std::string::npos);
  CHECK(database.scalar("SELECT http_status FROM cc_sync.import_status") == "502");
}

TEST_CASE("delivery 400 fails only that row") {
  TestDatabase database;
  MockApiProcess mock(api_key);
  ConnectorOptions options;
  options.api_url = mock.url();
  options.concurrency = 1;
  auto setup = prepared_jobs(database, options);
  insert_jobs(database, 1, 3);
  // Rows are sent in capture order with one request in flight, so job 1 gets the 400.
  mock.fail_next(400, 1);

  ProcessResult run = setup->run({"run", "--once"});
  INFO(run.output);
  CHECK(run.exit_code == 0);
  CHECK(database.scalar("SELECT state FROM cc_sync.import_status WHERE row_key = '{\"id\": 1}'") == "failed");
  CHECK(database.scalar("SELECT http_status FROM cc_sync.import_status WHERE row_key = '{\"id\": 1}'") == "400");
  CHECK(database.scalar("SELECT response_body FROM cc_sync.import_status WHERE row_key = '{\"id\": 1}'") != "");
  CHECK(database.scalar("SELECT attempts FROM cc_sync.import_status WHERE row_key = '{\"id\": 1}'") == "1");
  CHECK(count_in_state(database, "imported") == 2);
  CHECK(run.output.find("key={\"id\": 1}") != std::string::npos);
}

TEST_CASE("delivery holds invalid row until fixed") {
  TestDatabase database;
  MockApiProcess mock(api_key);
  ConnectorOptions options;
  options.api_url = mock.url();
  auto setup = prepared_jobs(database, options);
  insert_jobs(database, 1, 2);
  database.exec("UPDATE jobs SET state = 'Nowhere', zip = '2751' WHERE id = 2");

  ProcessResult first = setup->run({"run", "--once"});
  INFO(first.output);
  CHECK(first.exit_code == 0);
  CHECK(count_in_state(database, "imported") == 1);
  CHECK(count_in_state(database, "held") == 1);
  std::string reason = database.scalar("SELECT error FROM cc_sync.import_status WHERE row_key = '{\"id\": 2}'");
  CHECK(reason.find("req_state") != std::string::npos);
  CHECK(reason.find("Nowhere") != std::string::npos);
  CHECK(reason.find("req_zip") != std::string::npos);
  CHECK(database.scalar("SELECT attempts FROM cc_sync.import_status WHERE row_key = '{\"id\": 2}'") == "0");
  CHECK(mock.records().size() == 1);

  // The shop fixes the row; its UPDATE is captured and the held row is evaluated again.
  database.exec("UPDATE jobs SET state = 'NC', zip = '27513' WHERE id = 2");
  ProcessResult second = setup->run({"run", "--once"});
  INFO(second.output);
  CHECK(second.exit_code == 0);
  CHECK(count_in_state(database, "imported") == 2);
  CHECK(mock.records().size() == 2);
}

TEST_CASE("delivery sends invalid rows when configured") {
  TestDatabase database;
  MockApiProcess mock(api_key);
  ConnectorOptions options;
  options.api_url = mock.url();
  options.invalid_records = "send";
  auto setup = prepared_jobs(database, options);
  insert_jobs(database, 1, 1);
  database.exec("UPDATE jobs SET customer_first = NULL WHERE id = 1");

  ProcessResult run = setup->run({"run", "--once"});
  INFO(run.output);
  CHECK(run.exit_code == 0);
  CHECK(count_in_state(database, "imported") == 1);
  nlohmann::json records = mock.records();
  REQUIRE(records.size() == 1);
  CHECK_FALSE(records[0]["record"].contains("req_firstname"));
  // The API puts an incomplete record in its import queue for a person to finish.
  CHECK(database.scalar("SELECT response_body FROM cc_sync.import_status").find("queued") != std::string::npos);
}

TEST_CASE("delivery json body double-encoded auth") {
  TestDatabase database;
  MockApiProcess mock(api_key);
  ConnectorOptions options;
  options.api_url = mock.url();
  options.format = "json";
  options.auth = "double-encoded";
  auto setup = prepared_jobs(database, options);
  insert_jobs(database, 1, 1);

  ProcessResult run = setup->run({"run", "--once"});
  INFO(run.output);
  CHECK(run.exit_code == 0);
  nlohmann::json records = mock.records();
  REQUIRE(records.size() == 1);
  CHECK(records[0]["content_type"] == "json");
  CHECK(records[0]["auth"] == "double");
  CHECK(records[0]["record"]["req_state"] == "NC");
  CHECK(records[0]["record"]["req_zip"] == "27513");
  CHECK(records[0]["record"]["req_street"] == "118 Maple Ave");
  CHECK(records[0]["record"]["req_accountname"] == "Whitfield, Dana");
  CHECK(records[0]["record"]["opt_phonePrimary"] == "(919) 467-2210");
  CHECK(records[0]["record"]["source"] == "In-house job system");

  // The stored payload and the response id are written back for the shop to query.
  CHECK(database.scalar("SELECT payload->>'req_oppnum' FROM cc_sync.import_status") == "1");
  CHECK(database.scalar("SELECT response_id FROM cc_sync.import_status") == records[0]["id"].get<std::string>());
  CHECK(database.scalar("SELECT http_status FROM cc_sync.import_status") == "200");
}

TEST_CASE("delivery skips deleted source row") {
  TestDatabase database;
  MockApiProcess mock(api_key);
  ConnectorOptions options;
  options.api_url = mock.url();
  auto setup = prepared_jobs(database, options);
  insert_jobs(database, 1, 2);
  database.exec("DELETE FROM jobs WHERE id = 2");

  ProcessResult run = setup->run({"run", "--once"});
  INFO(run.output);
  CHECK(run.exit_code == 0);
  CHECK(count_in_state(database, "imported") == 1);
  CHECK(count_in_state(database, "skipped") == 1);
  CHECK(database.scalar("SELECT error FROM cc_sync.import_status WHERE state = 'skipped'").find("no longer exists") !=
        std::string::npos);
}

TEST_CASE("delivery stops cleanly on SIGTERM") {
  TestDatabase database;
  MockApiProcess mock(api_key);
  mock.set_latency(700ms);
  ConnectorOptions options;
  options.api_url = mock.url();
  options.concurrency = 4;
  options.batch_size = 4;
  auto setup = prepared_jobs(database, options);
  insert_jobs(database, 1, 20);

  std::unique_ptr<ChildProcess> connector = setup->start({"run"});
  REQUIRE(wait_until([&] { return count_in_state(database, "sending") > 0; }, 15s));
  connector->send_signal(SIGTERM);
  std::optional<int> exit_code = connector->wait_for_exit(15s);
  INFO(connector->log());
  CHECK(exit_code == 0);

  // The requests in flight finished and their outcomes were recorded: nothing is left in doubt.
  // A round claimed but not sent when the stop came was given back with its attempt.
  CHECK(count_in_state(database, "sending") == 0);
  CHECK(database.count("SELECT count(*) FROM cc_sync.import_status WHERE state = 'pending' AND attempts <> 0") == 0);
  CHECK(count_in_state(database, "imported") >= 4);
  CHECK(count_in_state(database, "imported") == static_cast<long long>(mock.records().size()));
}

TEST_CASE("status reports counts and errors") {
  TestDatabase database;
  MockApiProcess mock(api_key);
  ConnectorOptions options;
  options.api_url = mock.url();
  auto setup = prepared_jobs(database, options);
  insert_jobs(database, 1, 3);
  database.exec("UPDATE jobs SET zip = 'unknown' WHERE id = 3");
  REQUIRE(setup->run({"run", "--once"}).exit_code == 0);

  ProcessResult status = setup->run({"status", "--json"});
  INFO(status.output);
  REQUIRE(status.exit_code == 0);
  nlohmann::json report = nlohmann::json::parse(status.output);
  REQUIRE(report["sources"].size() == 1);
  const nlohmann::json& jobs = report["sources"][0];
  CHECK(jobs["source"] == "jobs");
  CHECK(jobs["counts"]["imported"] == 2);
  CHECK(jobs["counts"]["held"] == 1);
  CHECK(jobs["counts"]["pending"] == 0);
  REQUIRE(jobs["recent_errors"].size() == 1);
  CHECK(jobs["recent_errors"][0]["row_key"]["id"] == 3);
  CHECK(jobs["watermark_age_seconds"].is_number());

  ProcessResult text = setup->run({"status"});
  CHECK(text.exit_code == 0);
  CHECK(text.output.find("IMPORTED") != std::string::npos);
  CHECK(text.output.find("req_zip") != std::string::npos);
}

TEST_CASE("delivery retries timeouts and refused connections") {
  TestDatabase database;
  MockApiProcess mock(api_key);
  ConnectorOptions options;
  options.timeout = "300ms";
  options.max_attempts = 50;
  options.concurrency = 1;

  // Nothing listens on port 9 of the loopback address: every attempt is refused.
  options.api_url = "http://127.0.0.1:9/api/v2/import/record";
  {
    auto refused = prepared_jobs(database, options);
    insert_jobs(database, 1, 1);
    std::unique_ptr<ChildProcess> connector = refused->start({"run"});
    CHECK(wait_until([&] { return database.count("SELECT coalesce(max(attempts), 0) FROM cc_sync.import_status") >= 2; }, 15s));
    connector->send_signal(SIGTERM);
    CHECK(connector->wait_for_exit(15s) == 0);
    CHECK(count_in_state(database, "retrying") == 1);
    CHECK(database.scalar("SELECT error FROM cc_sync.import_status").find("request failed") != std::string::npos);
  }

  // Dropped connections: the mock closes the next two without an answer.
  database.exec("DROP SCHEMA cc_sync CASCADE; DROP TABLE jobs");
  options.api_url = mock.url();
  {
    auto dropping = prepared_jobs(database, options);
    insert_jobs(database, 1, 1);
    mock.admin_post("/_mock/fail?drop=1&count=2");
    ProcessResult run = dropping->run({"run", "--once"});
    INFO(run.output);
    CHECK(run.exit_code == 0);
    CHECK(count_in_state(database, "imported") == 1);
    CHECK(database.scalar("SELECT attempts FROM cc_sync.import_status") == "3");
  }

  // The mock answers more slowly than the timeout, then recovers.
  database.exec("DROP SCHEMA cc_sync CASCADE; DROP TABLE jobs");
  options.api_url = mock.url();
  auto slow = prepared_jobs(database, options);
  insert_jobs(database, 1, 1);
  mock.set_latency(1500ms);
  std::unique_ptr<ChildProcess> connector = slow->start({"run"});
  CHECK(wait_until([&] { return database.count("SELECT coalesce(max(attempts), 0) FROM cc_sync.import_status") >= 2; }, 15s));
  CHECK(database.scalar("SELECT error FROM cc_sync.import_status").find("timed out") != std::string::npos);
  mock.set_latency(0ms);
  CHECK(wait_until([&] { return count_in_state(database, "imported") == 1; }, 15s));
  connector->send_signal(SIGTERM);
  CHECK(connector->wait_for_exit(15s) == 0);
}

TEST_CASE("delivery slows down on Retry-After") {
  TestDatabase database;
  MockApiProcess mock(api_key);
  ConnectorOptions options;
  options.api_url = mock.url();
  options.concurrency = 2;
  options.batch_size = 20;
  auto setup = prepared_jobs(database, options);
  insert_jobs(database, 1, 120);
  // Every 40th request is turned away with a request to wait two seconds.
  mock.admin_post("/_mock/fail?status=429&every=40&retry_after=2");

  auto started = std::chrono::steady_clock::now();
  ProcessResult run = setup->run({"run", "--once"});
  auto elapsed = std::chrono::steady_clock::now() - started;
  INFO(run.output);
  CHECK(run.exit_code == 0);
  CHECK(count_in_state(database, "imported") == 120);
  CHECK(count_in_state(database, "failed") == 0);
  CHECK(mock.stats()["injected_failures"].get<int>() >= 2);
  CHECK(run.output.find("asked to slow down (HTTP 429 with Retry-After 2)") != std::string::npos);
  // Each 429 pauses every row for the two seconds it asked for, not only the row that got it.
  CHECK(elapsed >= std::chrono::seconds(4));
}

TEST_CASE("delivery resumes after key rotation") {
  TestDatabase database;
  MockApiProcess mock(api_key);
  ConnectorOptions options;
  options.api_url = mock.url();
  options.key_file = "api-key";
  options.auth_retry = "300ms";
  auto setup = prepared_jobs(database, options);
  setup->write_file("api-key", api_key + "\n");
  insert_jobs(database, 1, 5);

  std::unique_ptr<ChildProcess> connector = setup->start({"run"});
  REQUIRE(wait_until([&] { return count_in_state(database, "imported") == 5; }, 15s));

  // The account's key is rotated in Contractors Cloud before the shop updates the key file.
  mock.admin_post("/_mock/key?value=rotated-key-2");
  insert_jobs(database, 6, 10);
  CHECK(wait_until([&] { return mock.stats()["unauthorized"].get<int>() >= 3; }, 15s));
  // The attempts are read once the rejected round's outcomes are written, not while it is in flight.
  CHECK(wait_until(
      [&] {
        return database.count("SELECT count(*) FROM cc_sync.import_status WHERE error LIKE 'not sent: the API rejected%'") == 5;
      },
      15s));
  CHECK(count_in_state(database, "failed") == 0);
  // No attempt is counted against the rows that wait for a working key. A probe in flight holds
  // its claimed attempt until its outcome is written, so rows in `sending` are left out.
  CHECK(database.count("SELECT coalesce(sum(attempts), 0) FROM cc_sync.import_status "
                       "WHERE (row_key->>'id')::int > 5 AND state <> 'sending'") == 0);

  setup->write_file("api-key", "rotated-key-2\n");
  CHECK(wait_until([&] { return count_in_state(database, "imported") == 10; }, 15s));
  connector->send_signal(SIGTERM);
  CHECK(connector->wait_for_exit(15s) == 0);

  // The operator is told once, not once per row or per probe.
  std::string log = connector->log();
  std::size_t told = 0;
  for (std::size_t at = log.find("rejected the key"); at != std::string::npos; at = log.find("rejected the key", at + 1)) {
    ++told;
  }
  CHECK(told == 1);
  CHECK(log.find("changed; resuming delivery") != std::string::npos);
}

TEST_CASE("delivery records 200 without a record") {
  TestDatabase database;
  MockApiProcess mock(api_key);
  ConnectorOptions options;
  options.api_url = mock.url();
  options.concurrency = 1;
  auto setup = prepared_jobs(database, options);
  insert_jobs(database, 1, 2);
  // The first request gets "200 OK" with an error body, as an API does that reports failures in
  // its JSON wrapper.
  mock.fail_next(200, 1);

  ProcessResult run = setup->run({"run", "--once"});
  INFO(run.output);
  CHECK(run.exit_code == 0);
  CHECK(database.scalar("SELECT state FROM cc_sync.import_status WHERE row_key = '{\"id\": 1}'") == "failed");
  CHECK(database.scalar("SELECT http_status FROM cc_sync.import_status WHERE row_key = '{\"id\": 1}'") == "200");
  CHECK(database.scalar("SELECT error FROM cc_sync.import_status WHERE row_key = '{\"id\": 1}'")
            .find("answered HTTP 200 but did not create the record") != std::string::npos);
  CHECK(database.scalar("SELECT state FROM cc_sync.import_status WHERE row_key = '{\"id\": 2}'") == "imported");
  CHECK(mock.records().size() == 1);
}

TEST_CASE("delivery holds in-doubt rows when configured") {
  TestDatabase database;
  MockApiProcess mock(api_key);
  mock.set_latency(2000ms);
  ConnectorOptions options;
  options.api_url = mock.url();
  options.concurrency = 2;
  options.batch_size = 2;
  auto setup = prepared_jobs(database, options);
  insert_jobs(database, 1, 4);

  std::unique_ptr<ChildProcess> connector = setup->start({"run"});
  REQUIRE(wait_until([&] { return count_in_state(database, "sending") > 0; }, 15s));
  connector->send_signal(SIGKILL);
  CHECK(connector->wait_for_exit(10s) == 128 + SIGKILL);
  long long in_flight = count_in_state(database, "sending");
  CHECK(in_flight > 0);

  // At-most-once: the rows whose requests were in flight wait for a person instead of being resent.
  setup->write_file("connector.toml", [&] {
    std::ifstream file(setup->config_path());
    std::stringstream text;
    text << file.rdbuf();
    std::string config = text.str();
    return config.replace(config.find("[delivery]\n"), 11, "[delivery]\non_in_doubt = \"hold\"\n");
  }());
  mock.set_latency(0ms);
  ProcessResult restart = setup->run({"run", "--once"});
  INFO(restart.output);
  CHECK(restart.exit_code == 0);
  CHECK(count_in_state(database, "held") == in_flight);
  CHECK(database.count("SELECT count(*) FROM cc_sync.import_status WHERE state = 'held' AND in_doubt") == in_flight);
  CHECK(database.scalar("SELECT error FROM cc_sync.import_status WHERE state = 'held' LIMIT 1")
            .find("retry --state held") != std::string::npos);
  CHECK(count_in_state(database, "imported") == 4 - in_flight);

  ProcessResult status = setup->run({"status", "--json"});
  REQUIRE(status.exit_code == 0);
  CHECK(nlohmann::json::parse(status.output)["sources"][0]["in_doubt"] == in_flight);
}

TEST_CASE("status shows paused delivery") {
  TestDatabase database;
  MockApiProcess mock(api_key);
  ConnectorOptions options;
  options.api_url = mock.url();
  options.api_key = "not-the-right-key";
  options.auth_retry = "10m";
  auto setup = prepared_jobs(database, options);
  insert_jobs(database, 1, 1);

  std::unique_ptr<ChildProcess> connector = setup->start({"run"});
  REQUIRE(wait_until([&] { return mock.stats()["unauthorized"].get<int>() >= 1; }, 15s));
  nlohmann::json report;
  CHECK(wait_until(
      [&] {
        ProcessResult status = setup->run({"status", "--json"});
        report = nlohmann::json::parse(status.output, nullptr, false);
        return report.is_object() && report["delivery"]["paused"] == true;
      },
      10s));
  CHECK(report["delivery"]["reason"].get<std::string>().find("rejected the key") != std::string::npos);
  ProcessResult text = setup->run({"status"});
  CHECK(text.output.find("Delivery is paused until") != std::string::npos);
  connector->send_signal(SIGTERM);
  CHECK(connector->wait_for_exit(15s) == 0);
}

TEST_CASE("delivery rides out a one-minute outage") {
  TestDatabase database;
  MockApiProcess mock(api_key);
  ConnectorOptions options;
  options.api_url = mock.url();
  // The shipped backoff: 1 s doubling up to 5 minutes, 12 attempts.
  options.retry_initial = "1s";
  options.retry_max = "5m";
  options.max_attempts = 12;
  auto setup = prepared_jobs(database, options);

  std::unique_ptr<ChildProcess> connector = setup->start({"run"});
  mock.admin_post("/_mock/fail?status=503&duration_ms=60000");
  auto outage_started = std::chrono::steady_clock::now();

  // 200 jobs come in during the outage, 10 every 2.5 seconds.
  for (long long batch = 0; batch < 20; ++batch) {
    insert_jobs(database, batch * 10 + 1, batch * 10 + 10);
    std::this_thread::sleep_for(2500ms);
  }
  CHECK(count_in_state(database, "imported") == 0);

  CHECK(wait_until([&] { return count_in_state(database, "imported") == 200; }, 180s));
  auto recovered = std::chrono::steady_clock::now() - outage_started;
  INFO("all imported after " << std::chrono::duration_cast<std::chrono::seconds>(recovered).count() << " s");
  CHECK(count_in_state(database, "failed") == 0);
  connector->send_signal(SIGTERM);
  CHECK(connector->wait_for_exit(15s) == 0);

  // Each job reached the API exactly once: failed attempts were never stored.
  std::map<std::string, int> received;
  for (const nlohmann::json& entry : mock.records()) {
    received[entry["record"]["req_oppnum"].get<std::string>()]++;
  }
  CHECK(received.size() == 200);
  bool each_once = std::all_of(received.begin(), received.end(), [](const auto& job) { return job.second == 1; });
  CHECK(each_once);
  CHECK(connector->log().find("the API accepts requests again") != std::string::npos);
}

TEST_CASE("delivery keeps the request rate limit") {
  TestDatabase database;
  MockApiProcess mock(api_key);
  ConnectorOptions options;
  options.api_url = mock.url();
  options.concurrency = 4;
  auto setup = prepared_jobs(database, options);
  // The generated configuration gets the limit added to its [api] table.
  std::ifstream file(setup->config_path());
  std::stringstream text;
  text << file.rdbuf();
  std::string config = text.str();
  config.replace(config.find("[api]\n"), 6, "[api]\nmax_requests_per_second = 20\n");
  setup->write_file("connector.toml", config);
  insert_jobs(database, 1, 30);

  auto started = std::chrono::steady_clock::now();
  ProcessResult run = setup->run({"run", "--once"});
  auto elapsed = std::chrono::steady_clock::now() - started;
  INFO(run.output);
  CHECK(run.exit_code == 0);
  CHECK(count_in_state(database, "imported") == 30);
  // 30 requests at most 20 per second need at least 29 gaps of 50 ms.
  CHECK(elapsed >= 1400ms);
}

TEST_CASE("write-back fills the shop's columns") {
  TestDatabase database;
  MockApiProcess mock(api_key);
  database.exec(jobs_table_sql);
  database.exec("ALTER TABLE jobs ADD COLUMN cc_status text, ADD COLUMN cc_imported_at timestamptz, "
                "ADD COLUMN cc_record_id text");
  std::string mapping = std::string(jobs_mapping_toml) +
                        "\n[writeback]\nstate = \"cc_status\"\nimported_at = \"cc_imported_at\"\nresponse_id = "
                        "\"cc_record_id\"\n";
  ConnectorOptions options;
  options.api_url = mock.url();
  options.api_key = api_key;
  ConnectorSetup setup(database, options, {{"jobs.toml", mapping}});
  REQUIRE(setup.run({"init"}).exit_code == 0);
  ProcessResult check = setup.run({"check"});
  INFO(check.output);
  CHECK(check.exit_code == 0);
  insert_jobs(database, 1, 3);
  database.exec("UPDATE jobs SET state = 'Nowhere' WHERE id = 3");

  // The shop is editing job 2 in an open transaction while the connector writes back.
  auto editor_connection = database.connect();
  pqxx::work editor(*editor_connection);
  editor.exec("SELECT * FROM jobs WHERE id = 2 FOR UPDATE");

  ProcessResult run = setup.run({"run", "--once"});
  INFO(run.output);
  CHECK(run.exit_code == 0);
  CHECK(database.scalar("SELECT cc_status FROM jobs WHERE id = 1") == "imported");
  CHECK(database.scalar("SELECT cc_imported_at IS NOT NULL FROM jobs WHERE id = 1") == "t");
  CHECK(database.scalar("SELECT cc_record_id FROM jobs WHERE id = 1") ==
        database.scalar("SELECT response_id FROM cc_sync.import_status WHERE row_key = '{\"id\": 1}'"));
  CHECK(database.scalar("SELECT cc_status FROM jobs WHERE id = 3") == "held");
  // The locked row was left alone and stays marked for a later pass.
  CHECK(database.scalar("SELECT cc_status FROM jobs WHERE id = 2") == "");
  CHECK(database.scalar("SELECT writeback_pending FROM cc_sync.import_status WHERE row_key = '{\"id\": 2}'") == "t");

  // Write-back is the connector's own write: it is not captured as a change.
  CHECK(database.count("SELECT count(*) FROM cc_sync.change_log") == 0);

  editor.commit();
  CHECK(setup.run({"run", "--once"}).exit_code == 0);
  CHECK(database.scalar("SELECT cc_status FROM jobs WHERE id = 2") == "imported");
  CHECK(database.count("SELECT count(*) FROM cc_sync.import_status WHERE writeback_pending") == 0);
  CHECK(mock.records().size() == 2);
}

TEST_CASE("delivery resumes when a probe passes") {
  TestDatabase database;
  MockApiProcess mock(api_key);
  ConnectorOptions options;
  options.api_url = mock.url();
  options.auth_retry = "300ms";
  auto setup = prepared_jobs(database, options);

  // The key is revoked for a while and then restored in Contractors Cloud, with no change on the
  // shop's side: one row probes the key every auth_retry until it passes.
  mock.admin_post("/_mock/key?value=temporarily-different");
  std::unique_ptr<ChildProcess> connector = setup->start({"run"});
  insert_jobs(database, 1, 6);
  CHECK(wait_until([&] { return mock.stats()["unauthorized"].get<int>() >= 3; }, 15s));
  CHECK(count_in_state(database, "imported") == 0);
  CHECK(count_in_state(database, "failed") == 0);

  mock.admin_post("/_mock/key?value=" + api_key);
  CHECK(wait_until([&] { return count_in_state(database, "imported") == 6; }, 15s));
  connector->send_signal(SIGTERM);
  CHECK(connector->wait_for_exit(15s) == 0);
  INFO(connector->log());
  CHECK(connector->log().find("accepts the key from environment variable CC_TEST_API_KEY again") != std::string::npos);
}

TEST_CASE("overlapping rounds give back unsent rows") {
  TestDatabase database;
  MockApiProcess mock(api_key);
  ConnectorOptions options;
  options.api_url = mock.url();
  options.concurrency = 4;
  options.batch_size = 10;  // rounded down to 8, a multiple of the concurrency
  options.auth_retry = "300ms";
  auto setup = prepared_jobs(database, options);
  insert_jobs(database, 1, 48);
  // The 12th request, in the second round, gets a 401 while the third round is already claimed.
  mock.admin_post("/_mock/fail?status=401&every=12&count=1");

  std::unique_ptr<ChildProcess> connector = setup->start({"run"});
  CHECK(wait_until([&] { return count_in_state(database, "imported") == 48; }, 20s));
  connector->send_signal(SIGTERM);
  CHECK(connector->wait_for_exit(15s) == 0);
  std::string log = connector->log();
  INFO(log);

  CHECK(log.find("batch source=jobs sent=8 ") != std::string::npos);
  CHECK(log.find("batch source=jobs sent=10 ") == std::string::npos);

  // After the rejection, the claimed third round goes back unsent: the next request is the
  // one-row probe of the key, not a whole round.
  std::size_t rejection = log.find("the API rejected the key");
  REQUIRE(rejection != std::string::npos);
  std::size_t next_batch = log.find("batch source=jobs sent=", rejection);
  REQUIRE(next_batch != std::string::npos);
  CHECK(log.substr(next_batch, 26) == "batch source=jobs sent=1 i");

  // Every row went out once, and the rows given back carry no attempt for the round they missed.
  std::map<std::string, int> received;
  for (const nlohmann::json& entry : mock.records()) {
    received[entry["record"]["req_oppnum"].get<std::string>()]++;
  }
  CHECK(received.size() == 48);
  CHECK(std::all_of(received.begin(), received.end(), [](const auto& entry) { return entry.second == 1; }));
  CHECK(database.count("SELECT count(*) FROM cc_sync.import_status WHERE attempts <> 1") == 0);
  CHECK(database.count("SELECT count(*) FROM cc_sync.import_status WHERE in_doubt") == 0);
}
