// The command line as an operator uses it: init and upgrades, check, preview, help, exit codes,
// and secrets kept out of the output.

#include <doctest/doctest.h>

#include "capture/schema_installer.h"
#include "support/connector_setup.h"
#include "support/mock_api_process.h"

using namespace cc::test;
using namespace std::chrono_literals;

namespace {

std::unique_ptr<ConnectorSetup> jobs_setup(TestDatabase& database, const std::string& mapping = jobs_mapping_toml) {
  ConnectorOptions options;
  options.api_url = "http://127.0.0.1:9/api/v2/import/record";
  return std::make_unique<ConnectorSetup>(database, options,
                                          std::map<std::string, std::string>{{"jobs.toml", mapping}});
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace

TEST_CASE("init is idempotent") {
  TestDatabase database;
  database.exec(jobs_table_sql);
  auto setup = jobs_setup(database);

  ProcessResult first = setup->run({"init"});
  INFO(first.output);
  CHECK(first.exit_code == 0);
  CHECK(contains(first.output, "schema cc_sync installed at version 5"));
  CHECK(contains(first.output, "capture installed: jobs"));

  ProcessResult second = setup->run({"init"});
  INFO(second.output);
  CHECK(second.exit_code == 0);
  CHECK(contains(second.output, "schema cc_sync is already at version 5"));
  CHECK(database.count("SELECT count(*) FROM pg_trigger WHERE tgrelid = 'public.jobs'::regclass "
                       "AND NOT tgisinternal") == 2);
  CHECK(database.count("SELECT count(*) FROM cc_sync.watermark") == 1);
}

TEST_CASE("init upgrades version 1 in place") {
  TestDatabase database;
  database.exec(jobs_table_sql);
  {
    auto connection = database.connect();
    cc::capture::InstallReport report = cc::capture::apply_migrations(*connection, "cc_sync", 1);
    CHECK(report.version_after == 1);
  }
  database.exec("INSERT INTO cc_sync.import_status (source, row_key, state, queue_seq) "
                "VALUES ('jobs', '{\"id\": 7}', 'imported', 1)");
  CHECK(database.scalar("SELECT version FROM cc_sync.schema_version") == "1");

  auto setup = jobs_setup(database);
  ProcessResult init = setup->run({"init"});
  INFO(init.output);
  CHECK(init.exit_code == 0);
  CHECK(contains(init.output, "schema cc_sync upgraded from version 1 to 5"));
  CHECK(database.scalar("SELECT version FROM cc_sync.schema_version") == "5");
  CHECK(database.scalar("SELECT state FROM cc_sync.import_status WHERE row_key = '{\"id\": 7}'") == "imported");
  CHECK(database.scalar("SELECT in_doubt FROM cc_sync.import_status WHERE row_key = '{\"id\": 7}'") == "f");
}

TEST_CASE("init reports missing table") {
  TestDatabase database;
  auto setup = jobs_setup(database);
  ProcessResult init = setup->run({"init"});
  CHECK(init.exit_code == 1);
  CHECK(contains(init.output, "table 'public.jobs' does not exist"));
  CHECK(contains(init.output, "source 'jobs'"));
}

TEST_CASE("init with custom schema name") {
  TestDatabase database;
  database.exec(jobs_table_sql);
  auto setup = jobs_setup(database);
  // Rewrite the schema line of the generated configuration.
  std::string config = "mappings = [\"jobs.toml\"]\n[database]\nschema = \"shop_sync\"\n"
                       "[api]\nurl = \"http://127.0.0.1:9/api/v2/import/record\"\n";
  setup->write_file("connector.toml", config);
  ProcessResult init = setup->run({"init"});
  INFO(init.output);
  CHECK(init.exit_code == 0);
  CHECK(database.scalar("SELECT version FROM shop_sync.schema_version") == "5");
  CHECK(database.count("SELECT count(*) FROM pg_namespace WHERE nspname = 'cc_sync'") == 0);

  database.exec("INSERT INTO jobs (id) VALUES (1)");
  CHECK(database.count("SELECT count(*) FROM shop_sync.change_log") == 1);
}

TEST_CASE("check reports unknown column location") {
  TestDatabase database;
  database.exec(jobs_table_sql);
  std::string mapping = jobs_mapping_toml;
  // Line 16 of the mapping: opt_phonePrimary = { column = "phone", ... }
  mapping.replace(mapping.find("column = \"phone\""), 16, "column = \"phnoe\"");
  auto setup = jobs_setup(database, mapping);

  ProcessResult check = setup->run({"check"});
  INFO(check.output);
  CHECK(check.exit_code == 2);
  CHECK(contains(check.output, "jobs.toml:16:"));
  CHECK(contains(check.output, "column 'phnoe', which does not exist in table jobs"));
  CHECK(contains(check.output, "did you mean 'phone'?"));
}

TEST_CASE("check accepts valid configuration") {
  TestDatabase database;
  database.exec(jobs_table_sql);
  auto setup = jobs_setup(database);
  ProcessResult check = setup->run({"check"});
  INFO(check.output);
  CHECK(check.exit_code == 0);
  CHECK(contains(check.output, "valid (1 mapping)"));
  CHECK(contains(check.output, "not installed yet"));
}

TEST_CASE("check reports config errors offline") {
  TestDatabase database;
  auto setup = jobs_setup(database);
  setup->write_file("connector.toml",
                    "mappings = [\"jobs.toml\"]\n[api]\nurl = \"http://127.0.0.1:9/x\"\ntimeuot = \"5s\"\n"
                    "concurrency = 0\n");
  ProcessResult check = setup->run({"check"});
  INFO(check.output);
  CHECK(check.exit_code == 2);
  CHECK(contains(check.output, "connector.toml:4:1: error: unknown key 'api.timeuot'; did you mean 'timeout'?"));
  CHECK(contains(check.output, "connector.toml:5:15: error: 'concurrency' is 0"));
}

TEST_CASE("check reports bad mapping without database") {
  TestDatabase database;
  std::string mapping = jobs_mapping_toml;
  mapping.replace(mapping.find("\"zip5\""), 6, "\"zip\"");
  auto setup = jobs_setup(database, mapping);
  std::map<std::string, std::string> environment = setup->environment();
  environment["CC_DATABASE_URL"] = "postgresql:///nowhere?host=/nonexistent&port=1";
  ProcessResult check = run_process({CC_CONNECTOR_BIN, "--config", setup->config_path(), "check"}, environment);
  INFO(check.output);
  CHECK(check.exit_code == 2);
  CHECK(contains(check.output, "jobs.toml:13:"));
  CHECK(contains(check.output, "unknown transform 'zip' in fields.req_zip; did you mean 'zip5'?"));
}

TEST_CASE("preview shows records without sending") {
  TestDatabase database;
  database.exec(jobs_table_sql);
  database.exec("INSERT INTO jobs (id, customer_first, customer_last, street, city, state, zip, created_at) VALUES "
                "(1, 'Ana', 'Ortiz', '9 Elm St', 'Cary', 'nc', '27513', '2024-07-04 16:00:00+00'), "
                "(2, 'Bo', 'Lind', '1 Oak St', 'Cary', 'Nowhere', '27513', '2024-07-04 16:00:00+00')");
  auto setup = jobs_setup(database);

  ProcessResult json = setup->run({"preview", "--format", "json"});
  INFO(json.output);
  REQUIRE(json.exit_code == 0);
  nlohmann::json rows = nlohmann::json::parse(json.output);
  REQUIRE(rows.size() == 2);
  CHECK(rows[0]["valid"] == true);
  CHECK(rows[0]["record"]["req_state"] == "NC");
  // 16:00 UTC is 11:00 in Chicago during daylight saving time.
  CHECK(rows[0]["record"]["req_oppdate"] == "2024-07-04 11:00:00");
  CHECK(rows[1]["valid"] == false);
  CHECK(rows[1]["problems"][0]["field"] == "req_state");

  ProcessResult table = setup->run({"preview", "--key", "2"});
  INFO(table.output);
  CHECK(table.exit_code == 0);
  CHECK(contains(table.output, "INVALID"));
  CHECK(contains(table.output, "column state | state_code"));

  ProcessResult missing = setup->run({"preview", "--key", "99"});
  CHECK(missing.exit_code == 1);
  CHECK(contains(missing.output, "no row of jobs has key 99"));
  CHECK(database.count("SELECT count(*) FROM pg_namespace WHERE nspname = 'cc_sync'") == 0);
}

TEST_CASE("commands print help") {
  for (std::string command : {"init", "check", "preview", "run", "status", "retry", "backfill", "uninstall"}) {
    CAPTURE(command);
    ProcessResult help = run_process({CC_CONNECTOR_BIN, command, "--help"});
    CHECK(help.exit_code == 0);
    CHECK(contains(help.output, "Usage"));
  }
  ProcessResult unknown = run_process({CC_CONNECTOR_BIN, "launch"});
  CHECK(unknown.exit_code == 2);
  ProcessResult none = run_process({CC_CONNECTOR_BIN});
  CHECK(none.exit_code == 2);
}

TEST_CASE("run before init explains") {
  TestDatabase database;
  database.exec(jobs_table_sql);
  auto setup = jobs_setup(database);
  ProcessResult run = setup->run({"run", "--once"});
  CHECK(run.exit_code == 1);
  CHECK(contains(run.output, "run `cc-connector init` first"));
}

TEST_CASE("run keeps secrets out of output") {
  TestDatabase database;
  database.exec(jobs_table_sql);
  MockApiProcess mock("secret-key-5f2a9c");
  ConnectorOptions options;
  options.api_url = mock.url();
  options.api_key = "secret-key-5f2a9c";
  ConnectorSetup setup(database, options, {{"jobs.toml", jobs_mapping_toml}});
  REQUIRE(setup.run({"init"}).exit_code == 0);
  database.exec("INSERT INTO jobs (id) VALUES (1)");

  // The fixture cluster trusts every local connection, so a password in the URL is ignored by the
  // server but still present in what the connector reads.
  std::map<std::string, std::string> environment = setup.environment();
  environment["CC_DATABASE_URL"] = database.url() + "&password=db-pass-77e1";
  ProcessResult run = run_process({CC_CONNECTOR_BIN, "--config", setup.config_path(), "--log-level", "debug", "run",
                                   "--once"},
                                  environment);
  INFO(run.output);
  CHECK(run.exit_code == 0);
  CHECK(contains(run.output, "password=***"));
  CHECK_FALSE(contains(run.output, "db-pass-77e1"));
  CHECK_FALSE(contains(run.output, "secret-key-5f2a9c"));
}

TEST_CASE("run rejects second connector") {
  TestDatabase database;
  database.exec(jobs_table_sql);
  MockApiProcess mock("key");
  ConnectorOptions options;
  options.api_url = mock.url();
  options.api_key = "key";
  ConnectorSetup setup(database, options, {{"jobs.toml", jobs_mapping_toml}});
  REQUIRE(setup.run({"init"}).exit_code == 0);

  std::unique_ptr<ChildProcess> first = setup.start({"run"});
  REQUIRE(wait_until([&] { return database.count("SELECT count(*) FROM pg_stat_activity WHERE application_name = "
                                                 "'cc-connector listener' AND datname = current_database()") == 1; },
                     15s));
  ProcessResult second = setup.run({"run", "--once"});
  CHECK(second.exit_code == 1);
  CHECK(contains(second.output, "another cc-connector is already running"));
}

TEST_CASE("backfill queues existing rows") {
  TestDatabase database;
  database.exec(jobs_table_sql);
  {
    auto connection = database.connect();
    pqxx::work transaction(*connection);
    for (long long id = 1; id <= 4; ++id) {
      insert_job(transaction, id);
    }
    transaction.commit();
  }
  MockApiProcess mock("backfill-key");
  ConnectorOptions options;
  options.api_url = mock.url();
  options.api_key = "backfill-key";
  ConnectorSetup setup(database, options, {{"jobs.toml", jobs_mapping_toml}});
  REQUIRE(setup.run({"init"}).exit_code == 0);

  // Rows written before init have no captured change, so run alone sends nothing.
  CHECK(setup.run({"run", "--once"}).exit_code == 0);
  CHECK(mock.records().empty());

  ProcessResult some = setup.run({"backfill", "--where", "id <= 2"});
  INFO(some.output);
  CHECK(some.exit_code == 0);
  CHECK(contains(some.output, "2 rows of jobs queued"));
  CHECK(setup.run({"run", "--once"}).exit_code == 0);
  CHECK(mock.records().size() == 2);

  // A second, unfiltered backfill queues all four; the two already imported are not sent again.
  ProcessResult all = setup.run({"backfill"});
  CHECK(all.exit_code == 0);
  CHECK(contains(all.output, "4 rows of jobs queued; `cc-connector run` sends 2 of them, since 2 were already imported"));
  CHECK(setup.run({"run", "--once"}).exit_code == 0);
  CHECK(mock.records().size() == 4);
  CHECK(database.count("SELECT count(*) FROM cc_sync.import_status WHERE state = 'imported'") == 4);

  ProcessResult bad = setup.run({"backfill", "--where", "no_such_column = 1"});
  CHECK(bad.exit_code == 2);
  CHECK(contains(bad.output, "--where \"no_such_column = 1\" is not a valid condition on jobs"));
}

TEST_CASE("retry sends failed rows again") {
  TestDatabase database;
  database.exec(jobs_table_sql);
  MockApiProcess mock("retry-key");
  ConnectorOptions options;
  options.api_url = mock.url();
  options.api_key = "retry-key";
  options.max_attempts = 1;
  ConnectorSetup setup(database, options, {{"jobs.toml", jobs_mapping_toml}});
  REQUIRE(setup.run({"init"}).exit_code == 0);
  {
    auto connection = database.connect();
    pqxx::work transaction(*connection);
    insert_job(transaction, 1);
    insert_job(transaction, 2);
    transaction.commit();
  }
  mock.fail_next(503, 2);
  CHECK(setup.run({"run", "--once"}).exit_code == 0);
  CHECK(database.count("SELECT count(*) FROM cc_sync.import_status WHERE state = 'failed'") == 2);

  ProcessResult one = setup.run({"retry", "--source", "jobs", "--key", "2"});
  INFO(one.output);
  CHECK(one.exit_code == 0);
  CHECK(contains(one.output, "1 row queued"));
  CHECK(setup.run({"run", "--once"}).exit_code == 0);
  CHECK(database.scalar("SELECT state FROM cc_sync.import_status WHERE row_key = '{\"id\": 2}'") == "imported");
  CHECK(database.scalar("SELECT state FROM cc_sync.import_status WHERE row_key = '{\"id\": 1}'") == "failed");

  ProcessResult unknown = setup.run({"retry", "--key", "99"});
  CHECK(unknown.exit_code == 2);
  CHECK(contains(unknown.output, "no row with key 99 is in state failed"));
  ProcessResult wrong_type = setup.run({"retry", "--key", "abc"});
  CHECK(wrong_type.exit_code == 2);
  CHECK(contains(wrong_type.output, "--key abc does not fit the key of source 'jobs'"));

  CHECK(setup.run({"retry"}).exit_code == 0);
  CHECK(setup.run({"run", "--once"}).exit_code == 0);
  CHECK(database.count("SELECT count(*) FROM cc_sync.import_status WHERE state = 'imported'") == 2);
  CHECK(mock.records().size() == 2);
}
