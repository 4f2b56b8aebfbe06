#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include <curl/curl.h>

#include "config/connector_config.h"
#include "mapping/field_catalog.h"

namespace cc::delivery {

// Result of one request: a transport error, or an HTTP status with its body.
struct HttpResult {
  CURLcode transport = CURLE_OK;
  std::string transport_error;  // curl's message when transport != CURLE_OK
  long status = 0;              // 0 when no response arrived
  std::string body;
  std::optional<std::string> retry_after;  // the Retry-After header, as sent
  std::chrono::milliseconds elapsed{0};
};

// Encodes a record as the request body in the configured format.
std::string encode_body(const mapping::ImportRecord& record, config::BodyFormat format);

// POSTs import records to the API with libcurl's multi interface: up to `concurrency` requests in
// flight, connections kept alive and reused between calls, TLS certificates verified.
class HttpSender {
 public:
  explicit HttpSender(const config::ApiConfig& api);
  ~HttpSender();
  HttpSender(const HttpSender&) = delete;
  HttpSender& operator=(const HttpSender&) = delete;

  // Sends every body and returns one result per body, in the same order. Returns when all are
  // done; each request is bounded by the configured timeout.
  std::vector<HttpResult> send_all(const std::vector<std::string>& bodies, const std::string& authorization);

 private:
  struct Transfer;

  void configure(Transfer& transfer, const std::string& body, const std::string& authorization);

  config::ApiConfig api_;
  CURLM* multi_ = nullptr;
  std::chrono::steady_clock::time_point next_start_{};  // earliest start of the next request under the rate limit
  std::vector<CURL*> idle_handles_;  // reused so each keeps its connection and TLS session
};

}  // namespace cc::delivery
