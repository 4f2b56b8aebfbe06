#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "config/config_error.h"

namespace cc::config {

struct DatabaseConfig {
  std::string url;                 // libpq connection string or URI; CC_DATABASE_URL overrides it
  std::string schema = "cc_sync";  // schema that holds the watermark, change log and import status
};

enum class BodyFormat { form, json };

// How the API key travels in the Authorization header.
enum class AuthEncoding {
  basic,           // standard HTTP Basic: base64("api:" + key)
  double_encoded,  // base64(base64("api:" + key) + ":"), what the API document's PHP example sends
};

struct ApiConfig {
  std::string url = "https://app.contractorscloud.com/api/v2/import/record";
  std::string key_env = "CC_API_KEY";
  std::string key_file;  // when set, the key is read from this file instead of key_env
  BodyFormat format = BodyFormat::form;
  AuthEncoding auth = AuthEncoding::basic;
  std::chrono::milliseconds timeout{30'000};
  std::chrono::milliseconds connect_timeout{10'000};
  int concurrency = 4;  // requests in flight
  int max_requests_per_second = 0;  // 0: no limit beyond concurrency
  std::string ca_file;  // extra CA bundle for TLS verification; empty uses the system store
};

enum class InvalidRecords { hold, send };

// What happens to a row whose request may have reached the API when the connector stopped.
enum class InDoubt {
  resend,  // send it again: at-least-once delivery, a duplicate lead is possible
  hold,    // hold it for a person to check Contractors Cloud and `retry` it: at-most-once
};

struct DeliveryConfig {
  int max_attempts = 12;
  InvalidRecords invalid_records = InvalidRecords::hold;
  InDoubt on_in_doubt = InDoubt::resend;
  std::chrono::milliseconds retry_initial{1'000};  // first backoff ceiling; doubles per attempt
  std::chrono::milliseconds retry_max{300'000};    // backoff ceiling
  std::chrono::milliseconds auth_retry{60'000};    // pause after the API rejects the key
  int batch_size = 200;                            // rows claimed per delivery round
};

struct CaptureConfig {
  std::chrono::milliseconds poll_interval{5'000};  // catch-up timer in case a NOTIFY is missed
};

struct ConnectorConfig {
  std::string path;  // the connector.toml this was read from
  DatabaseConfig database;
  ApiConfig api;
  DeliveryConfig delivery;
  CaptureConfig capture;
  std::string log_level = "info";
  std::vector<std::string> mapping_files;  // resolved paths, sorted, no duplicates
  std::vector<Diagnostic> warnings;
};

// Reads and validates connector.toml completely before anything connects. Applies CC_DATABASE_URL.
// Throws ConfigError listing every problem with file:line:column.
ConnectorConfig load_connector_config(const std::string& path);

// Returns true for names usable as the cc_sync schema: lowercase letters, digits and underscores,
// not starting with a digit, at most 40 characters (so generated trigger names stay under
// PostgreSQL's 63-byte identifier limit).
bool is_valid_schema_name(const std::string& name);

}  // namespace cc::config
