#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "support/process.h"

namespace cc::test {

// A cc-mock-api child process for one test, listening on a free port of 127.0.0.1.
class MockApiProcess {
 public:
  // Starts CC_MOCK_API_BIN with --port 0, --port-file and --store in a fresh TempDir, passing the
  // key in the CC_API_KEY environment variable and never on the command line. Waits until
  // /_mock/health responds, and fails the test if that takes more than 10 s.
  explicit MockApiProcess(std::string api_key, std::vector<std::string> extra_args = {});
  ~MockApiProcess();
  MockApiProcess(const MockApiProcess&) = delete;
  MockApiProcess& operator=(const MockApiProcess&) = delete;

  int port() const;
  std::string url() const;        // "http://127.0.0.1:PORT/api/v2/import/record"
  std::string admin_url() const;  // "http://127.0.0.1:PORT"

  nlohmann::json records() const;                    // GET /_mock/records
  nlohmann::json stats() const;                      // GET /_mock/stats
  std::vector<nlohmann::json> stored_lines() const;  // the parsed lines of the --store file
  std::string store_path() const;

  // Makes the next `count` import requests fail with `status`, with a Retry-After header if given.
  void fail_next(int status, int count, std::optional<std::string> retry_after = {});
  // Sends POST to an admin route such as "/_mock/fail?status=429&every=40". Fails the test
  // unless the response status is 2xx.
  void admin_post(const std::string& path_and_query);
  void set_latency(std::chrono::milliseconds latency);

  std::string log() const;
  ChildProcess& process();

 private:
  nlohmann::json admin_get(const std::string& path) const;

  TempDir directory_;  // declared first so that it is removed after the process has stopped
  std::string api_key_;
  std::unique_ptr<ChildProcess> process_;
  int port_ = 0;
};

}  // namespace cc::test
