#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "mock_api/failure_plan.h"
#include "mock_api/record_store.h"

namespace cc::mock_api {

// Counters served by GET /_mock/stats. The counts cover import requests only.
struct ServerStats {
  std::uint64_t requests = 0;
  std::uint64_t accepted = 0;
  std::uint64_t unauthorized = 0;
  std::uint64_t injected_failures = 0;
  std::uint64_t bad_requests = 0;  // requests rejected with 400, 413 or 415
  std::uint64_t in_flight = 0;
  std::uint64_t max_in_flight = 0;

  nlohmann::json to_json() const;
};

// Credential form of an accepted Basic Authorization header.
enum class AuthForm { standard, double_encoded };

// Checks an Authorization header against the accepted key. Accepts
// "Basic base64(api:KEY)" and the form produced by the vendor's PHP example,
// "Basic base64(base64(api:KEY) + ':')".
std::optional<AuthForm> check_authorization(const std::string& header_value, const std::string& api_key);

// Decodes application/x-www-form-urlencoded text. A malformed percent escape is kept as
// literal text, and a repeated name keeps its last value, as PHP does.
nlohmann::ordered_json parse_form_body(const std::string& body);

// The HTTP routes of cc-mock-api, a local stand-in for the Contractors Cloud import API.
class MockServer {
 public:
  MockServer(std::string api_key, RecordStore& store, FailurePlan& plan);
  MockServer(const MockServer&) = delete;
  MockServer& operator=(const MockServer&) = delete;

  // Binds the listening socket, so connections queue from now on. Port 0 picks a free port.
  // Returns the bound port, or nothing if the address cannot be bound.
  std::optional<int> bind(const std::string& address, int port);

  // Accepts and serves connections until stop(). Returns false if the listener failed.
  bool listen();

  // Whether listen() has started accepting connections.
  bool is_running() const { return server_.is_running(); }

  // Ends requests that wait for injected latency with 503 and stops the listener.
  // Thread-safe, and safe to call more than once.
  void stop();

  ServerStats stats() const;

 private:
  void install_routes();

  void handle_import(const httplib::Request& request, httplib::Response& response,
                     const httplib::ContentReader& content_reader);
  void answer_injected_failure(const httplib::Request& request, httplib::Response& response,
                               const InjectedFailure& failure);
  void answer_bad_request(httplib::Response& response, int status, const std::string& message);
  // Waits for the injected latency. Returns false if the server started stopping meanwhile.
  bool wait_latency();

  void handle_fail(const httplib::Request& request, httplib::Response& response);
  void handle_latency(const httplib::Request& request, httplib::Response& response);
  void handle_key(const httplib::Request& request, const std::string& body_text, httplib::Response& response);
  void handle_reset(httplib::Response& response);

  std::string api_key() const;

  RecordStore& store_;
  FailurePlan& plan_;
  httplib::Server server_;
  int listening_socket_ = -1;  // set when httplib creates the server socket

  mutable std::mutex key_mutex_;
  std::string api_key_;

  mutable std::mutex stats_mutex_;
  ServerStats stats_;

  std::mutex stop_mutex_;
  std::condition_variable stop_signal_;
  bool stopping_ = false;
};

}  // namespace cc::mock_api
