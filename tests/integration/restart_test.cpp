// A database restart under a running connector, on a cluster of the test's own so that the
// shared fixture cluster keeps serving the other tests.

#include <signal.h>
#include <unistd.h>

#include <doctest/doctest.h>

#include <thread>

#include "support/connector_setup.h"
#include "support/mock_api_process.h"

using namespace cc::test;
using namespace std::chrono_literals;

namespace {

// A second cluster: its own folder under /tmp (reachable by the postgres user) and its own port.
class PrivateCluster {
 public:
  PrivateCluster() : folder_("/tmp/cc-restart-test-" + std::to_string(::getpid())) {
    ProcessResult started = control("start");
    INFO(started.output);
    REQUIRE(started.exit_code == 0);
    pqxx::connection admin(url("postgres"));
    pqxx::nontransaction(admin).exec0("CREATE DATABASE jobs");
  }

  ~PrivateCluster() { control("stop"); }

  ProcessResult control(const std::string& action) {
    return run_process({std::string(CC_SOURCE_DIR) + "/tests/support/postgres_fixture.sh", action, folder_},
                       {{"CC_TEST_PG_PORT", port}}, 120s);
  }

  std::string url(const std::string& database) const {
    return "postgresql:///" + database + "?host=" + folder_ + "/socket&port=" + port + "&user=postgres";
  }

  static constexpr const char* port = "54331";

 private:
  std::string folder_;
};

long long count(const std::string& url, const std::string& sql) {
  pqxx::connection connection(url);
  return pqxx::nontransaction(connection).exec(sql)[0][0].as<long long>();
}

void insert_jobs(const std::string& url, long long from, long long to) {
  pqxx::connection connection(url);
  pqxx::work transaction(connection);
  for (long long id = from; id <= to; ++id) {
    insert_job(transaction, id);
  }
  transaction.commit();
}

}  // namespace

TEST_CASE("run survives database restart") {
  PrivateCluster cluster;
  const std::string url = cluster.url("jobs");
  {
    pqxx::connection connection(url);
    pqxx::nontransaction(connection).exec0(jobs_table_sql);
  }

  MockApiProcess mock("restart-key");
  ConnectorOptions options;
  options.api_url = mock.url();
  options.api_key = "restart-key";
  // TestDatabase is not used: the setup's environment is overridden with the private cluster's URL.
  TestDatabase unused;
  ConnectorSetup setup(unused, options, {{"jobs.toml", jobs_mapping_toml}});
  std::map<std::string, std::string> environment = setup.environment();
  environment["CC_DATABASE_URL"] = url;
  ProcessResult init = run_process({CC_CONNECTOR_BIN, "--config", setup.config_path(), "init"}, environment);
  INFO(init.output);
  REQUIRE(init.exit_code == 0);

  ChildProcess connector({CC_CONNECTOR_BIN, "--config", setup.config_path(), "run"}, environment,
                         setup.folder() + "/restart.log");
  auto imported = [&] { return count(url, "SELECT count(*) FROM cc_sync.import_status WHERE state = 'imported'"); };
  insert_jobs(url, 1, 5);
  REQUIRE(wait_until([&] { return imported() == 5; }, 15s));

  // The server goes away for a few seconds; the connector keeps running and reconnects.
  ProcessResult halted = cluster.control("halt");
  INFO(halted.output);
  REQUIRE(halted.exit_code == 0);
  std::this_thread::sleep_for(3s);
  CHECK(connector.running());
  ProcessResult resumed = cluster.control("resume");
  INFO(resumed.output);
  REQUIRE(resumed.exit_code == 0);

  insert_jobs(url, 6, 10);
  CHECK(wait_until([&] { return imported() == 10; }, 90s));
  CHECK(mock.records().size() == 10);

  INFO(connector.log());
  CHECK(connector.log().find("database connection lost") != std::string::npos);
  CHECK(connector.log().find("database connection restored") != std::string::npos);
  connector.send_signal(SIGTERM);
  CHECK(connector.wait_for_exit(15s) == 0);
}
