#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "support/process.h"
#include "support/test_env.h"

namespace cc::test {

// Settings a test may change in the generated connector.toml. The defaults make delivery fast
// and retries short so that tests finish in seconds.
struct ConnectorOptions {
  std::string api_url;
  std::string api_key = "test-key-1234";
  std::string poll_interval = "1s";
  int concurrency = 4;
  int max_attempts = 5;
  std::string timeout = "5s";
  std::string retry_initial = "50ms";
  std::string retry_max = "400ms";
  std::string auth_retry = "500ms";
  std::string format = "form";
  std::string auth = "basic";
  std::string invalid_records = "hold";
  int batch_size = 200;
  // When set, the key is read from this file in the setup's folder instead of an environment variable.
  std::string key_file;
};

// A connector.toml plus mapping files in a temporary folder, and a way to run cc-connector on them.
class ConnectorSetup {
 public:
  // `mappings` maps a file name such as "jobs.toml" to its TOML text.
  ConnectorSetup(TestDatabase& database, ConnectorOptions options, const std::map<std::string, std::string>& mappings);

  const std::string& config_path() const { return config_path_; }
  const std::string& folder() const { return folder_.path(); }

  // The environment cc-connector runs with: CC_DATABASE_URL and the key variable.
  std::map<std::string, std::string> environment() const;

  // Runs `cc-connector --config PATH args...` to completion.
  ProcessResult run(const std::vector<std::string>& args,
                    std::chrono::milliseconds timeout = std::chrono::seconds(120)) const;

  // Starts `cc-connector --config PATH args...` in the background; its output goes to a log file.
  std::unique_ptr<ChildProcess> start(const std::vector<std::string>& args) const;

  // Overwrites a file in the setup's folder, such as a mapping.
  void write_file(const std::string& name, const std::string& text) const;

 private:
  TestDatabase& database_;
  ConnectorOptions options_;
  TempDir folder_;
  std::string config_path_;
  mutable int started_ = 0;
};

// The jobs table most tests use, and a mapping for it that sets every required field.
extern const char* const jobs_table_sql;
extern const char* const jobs_mapping_toml;

// Inserts a job with valid values for every mapped column.
void insert_job(pqxx::transaction_base& transaction, long long id, const std::string& note = "");

}  // namespace cc::test
