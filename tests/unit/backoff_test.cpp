// Tests of the delivery helpers that need no server: backoff, response classification, the API
// key and request bodies.
#include "delivery/api_key.h"
#include "delivery/backoff.h"
#include "delivery/http_sender.h"
#include "delivery/outcome.h"

#include <doctest/doctest.h>

#include <stdlib.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "common/errors.h"

namespace {

namespace fs = std::filesystem;

using cc::RuntimeFailure;
using cc::config::ApiConfig;
using cc::config::AuthEncoding;
using cc::config::BodyFormat;
using cc::delivery::ApiKey;
using cc::delivery::authorization_header;
using cc::delivery::Backoff;
using cc::delivery::classify;
using cc::delivery::encode_body;
using cc::delivery::HttpResult;
using cc::delivery::Outcome;
using cc::delivery::OutcomeKind;
using cc::delivery::parse_retry_after;
using std::chrono::milliseconds;

// A folder under /tmp for one test's files, removed with everything in it when the test ends.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "cc-delivery-test-XXXXXX").string();
    REQUIRE(mkdtemp(pattern.data()) != nullptr);
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  // Writes a file below the folder and returns its full path.
  std::string write(const std::string& name, const std::string& content) const {
    const fs::path full = path_ / name;
    std::ofstream stream(full, std::ios::binary);
    stream << content;
    REQUIRE(stream.good());
    return full.string();
  }

  std::string path(const std::string& name) const { return (path_ / name).string(); }

 private:
  fs::path path_;
};

// Sets or unsets an environment variable for one test and restores the old value afterwards.
class EnvironmentVariable {
 public:
  EnvironmentVariable(std::string name, const char* value) : name_(std::move(name)) {
    if (const char* old = std::getenv(name_.c_str())) {
      old_value_ = old;
    }
    if (value == nullptr) {
      unsetenv(name_.c_str());
    } else {
      setenv(name_.c_str(), value, 1);
    }
  }
  ~EnvironmentVariable() {
    if (old_value_) {
      setenv(name_.c_str(), old_value_->c_str(), 1);
    } else {
      unsetenv(name_.c_str());
    }
  }
  EnvironmentVariable(const EnvironmentVariable&) = delete;
  EnvironmentVariable& operator=(const EnvironmentVariable&) = delete;

 private:
  std::string name_;
  std::optional<std::string> old_value_;
};

// 2026-10-21 07:27:00 UTC, one minute before the HTTP dates used below.
std::chrono::system_clock::time_point fixed_now() {
  using namespace std::chrono;
  return sys_days{year{2026} / October / 21} + hours(7) + minutes(27);
}

HttpResult response(long status, std::string body = "") {
  HttpResult result;
  result.status = status;
  result.body = std::move(body);
  return result;
}

HttpResult transport_failure(CURLcode code, std::string message) {
  HttpResult result;
  result.transport = code;
  result.transport_error = std::move(message);
  return result;
}

// The text of the RuntimeFailure that ApiKey::load throws, or a marker when it throws nothing.
std::string load_failure(const ApiConfig& api) {
  try {
    ApiKey::load(api);
  } catch (const RuntimeFailure& failure) {
    return failure.what();
  }
  return "(no exception)";
}

const char* const test_key_variable = "CC_UNIT_TEST_API_KEY";

}  // namespace

TEST_CASE("backoff ceiling doubles up to maximum") {
  const Backoff backoff(milliseconds(1'000), milliseconds(300'000));

  CHECK(backoff.ceiling(1) == milliseconds(1'000));
  CHECK(backoff.ceiling(2) == milliseconds(2'000));
  CHECK(backoff.ceiling(3) == milliseconds(4'000));
  CHECK(backoff.ceiling(8) == milliseconds(128'000));
  CHECK(backoff.ceiling(9) == milliseconds(256'000));
  CHECK(backoff.ceiling(10) == milliseconds(300'000));
  CHECK(backoff.ceiling(11) == milliseconds(300'000));
  CHECK(backoff.ceiling(1'000'000) == milliseconds(300'000));
}

TEST_CASE("backoff ceiling never decreases") {
  const Backoff backoff(milliseconds(250), milliseconds(90'000));
  milliseconds previous = backoff.ceiling(1);
  for (int attempts = 2; attempts <= 100; ++attempts) {
    CAPTURE(attempts);
    const milliseconds current = backoff.ceiling(attempts);
    CHECK(current >= previous);
    CHECK(current <= milliseconds(90'000));
    previous = current;
  }
}

TEST_CASE("backoff maximum below initial") {
  const Backoff backoff(milliseconds(5'000), milliseconds(1'000));

  // The maximum is raised to the initial wait, so the first wait is never cut.
  CHECK(backoff.ceiling(1) == milliseconds(5'000));
  CHECK(backoff.ceiling(5) == milliseconds(5'000));
}

TEST_CASE("backoff delay stays within ceiling") {
  Backoff backoff(milliseconds(1'000), milliseconds(8'000));
  for (int attempts = 1; attempts <= 6; ++attempts) {
    CAPTURE(attempts);
    const milliseconds ceiling = backoff.ceiling(attempts);
    milliseconds smallest = ceiling;
    milliseconds largest = milliseconds(0);
    for (int draw = 0; draw < 2'000; ++draw) {
      const milliseconds delay = backoff.next_delay(attempts);
      smallest = std::min(smallest, delay);
      largest = std::max(largest, delay);
    }
    CHECK(smallest >= milliseconds(0));
    CHECK(largest <= ceiling);
    // With full jitter, 2000 uniform draws fall in both halves of the range. Missing one half by
    // chance has a probability of about 2^-2000.
    CHECK(smallest < ceiling / 2);
    CHECK(largest > ceiling / 2);
  }
}

TEST_CASE("backoff with zero initial wait") {
  Backoff backoff(milliseconds(0), milliseconds(0));

  CHECK(backoff.ceiling(1) == milliseconds(0));
  CHECK(backoff.ceiling(20) == milliseconds(0));
  CHECK(backoff.next_delay(3) == milliseconds(0));
}

TEST_CASE("classify 2xx as imported") {
  for (long status : {200L, 201L, 202L, 204L, 299L}) {
    CAPTURE(status);
    const Outcome outcome = classify(response(status), fixed_now());
    CHECK(outcome.kind == OutcomeKind::imported);
    CHECK(outcome.error.empty());
  }
}

TEST_CASE("classify reads response id") {
  const Outcome numeric = classify(response(201, R"({"data":{"id":48213,"status":"queued"}})"), fixed_now());
  REQUIRE(numeric.response_id.has_value());
  CHECK(*numeric.response_id == "48213");

  const Outcome text = classify(response(200, R"({"data": {"id": "rec_9f2"}})"), fixed_now());
  REQUIRE(text.response_id.has_value());
  CHECK(*text.response_id == "rec_9f2");

  const Outcome top_level = classify(response(200, R"({"id": 7})"), fixed_now());
  REQUIRE(top_level.response_id.has_value());
  CHECK(*top_level.response_id == "7");
}

TEST_CASE("classify imported without response id") {
  const std::vector<std::string> bodies = {
      "",
      "OK",
      "[1, 2]",
      R"({"data": []})",
      R"({"data": {"record": 5}})",
      R"({"data": {"id": null}})",
      R"({"data": {"id": {"value": 5}}})",
      R"({"data": {"id": 5)",
  };
  for (const std::string& body : bodies) {
    CAPTURE(body);
    const Outcome outcome = classify(response(200, body), fixed_now());
    CHECK(outcome.kind == OutcomeKind::imported);
    CHECK_FALSE(outcome.response_id.has_value());
  }
}

TEST_CASE("classify 401 and 403") {
  const Outcome unauthorized = classify(response(401, R"({"message":"Unauthenticated."})"), fixed_now());
  CHECK(unauthorized.kind == OutcomeKind::auth_rejected);
  CHECK(unauthorized.error == R"(HTTP 401: {"message":"Unauthenticated."})");

  const Outcome forbidden = classify(response(403), fixed_now());
  CHECK(forbidden.kind == OutcomeKind::auth_rejected);
  CHECK(forbidden.error == "HTTP 403");
}

TEST_CASE("classify retryable statuses") {
  for (long status : {408L, 425L, 429L, 500L, 502L, 503L, 504L, 599L}) {
    CAPTURE(status);
    const Outcome outcome = classify(response(status, "busy"), fixed_now());
    CHECK(outcome.kind == OutcomeKind::retry);
    CHECK(outcome.error == "HTTP " + std::to_string(status) + ": busy");
    CHECK_FALSE(outcome.response_id.has_value());
  }
}

TEST_CASE("classify other 4xx as failed") {
  for (long status : {400L, 404L, 405L, 409L, 413L, 422L, 451L}) {
    CAPTURE(status);
    const Outcome outcome = classify(response(status, R"({"errors":{"req_zip":["invalid"]}})"), fixed_now());
    CHECK(outcome.kind == OutcomeKind::failed);
    CHECK(outcome.error == "HTTP " + std::to_string(status) + R"(: {"errors":{"req_zip":["invalid"]}})");
  }
}

TEST_CASE("classify transport errors as retry") {
  const Outcome refused =
      classify(transport_failure(CURLE_COULDNT_CONNECT, "Failed to connect to api port 443"), fixed_now());
  CHECK(refused.kind == OutcomeKind::retry);
  CHECK(refused.error == "request failed: Failed to connect to api port 443");

  const Outcome timed_out =
      classify(transport_failure(CURLE_OPERATION_TIMEDOUT, "Operation timed out after 30000 milliseconds"),
               fixed_now());
  CHECK(timed_out.kind == OutcomeKind::retry);
  CHECK(timed_out.error == "request timed out: Operation timed out after 30000 milliseconds");

  HttpResult partial = transport_failure(CURLE_RECV_ERROR, "Connection reset by peer");
  partial.status = 200;
  const Outcome reset = classify(partial, fixed_now());
  CHECK(reset.kind == OutcomeKind::retry);
  CHECK(reset.error == "request failed: Connection reset by peer");
}

TEST_CASE("classify error body excerpt") {
  const Outcome multi_line = classify(response(500, "<html>\r\n<body>Bad gateway</body>\n</html>"), fixed_now());
  CHECK(multi_line.error == "HTTP 500: <html>  <body>Bad gateway</body> </html>");

  const Outcome long_body = classify(response(502, std::string(1'000, 'x')), fixed_now());
  CHECK(long_body.error == "HTTP 502: " + std::string(300, 'x') + "...");
}

TEST_CASE("classify keeps Retry-After") {
  HttpResult seconds = response(429, "slow down");
  seconds.retry_after = "120";
  const Outcome outcome = classify(seconds, fixed_now());
  CHECK(outcome.kind == OutcomeKind::retry);
  REQUIRE(outcome.retry_after.has_value());
  CHECK(*outcome.retry_after == milliseconds(120'000));

  HttpResult date = response(503);
  date.retry_after = "Wed, 21 Oct 2026 07:28:00 GMT";
  const Outcome dated = classify(date, fixed_now());
  REQUIRE(dated.retry_after.has_value());
  CHECK(*dated.retry_after == milliseconds(60'000));

  HttpResult invalid = response(503);
  invalid.retry_after = "soon";
  CHECK_FALSE(classify(invalid, fixed_now()).retry_after.has_value());

  CHECK_FALSE(classify(response(503), fixed_now()).retry_after.has_value());
}

TEST_CASE("parse_retry_after reads seconds") {
  const std::optional<milliseconds> zero = parse_retry_after("0", fixed_now());
  REQUIRE(zero.has_value());
  CHECK(*zero == milliseconds(0));

  const std::optional<milliseconds> two_minutes = parse_retry_after("120", fixed_now());
  REQUIRE(two_minutes.has_value());
  CHECK(*two_minutes == milliseconds(120'000));

  const std::optional<milliseconds> largest = parse_retry_after("999999999", fixed_now());
  REQUIRE(largest.has_value());
  CHECK(*largest == milliseconds(999'999'999'000));
}

TEST_CASE("parse_retry_after reads HTTP date") {
  const std::optional<milliseconds> future = parse_retry_after("Wed, 21 Oct 2026 07:28:00 GMT", fixed_now());
  REQUIRE(future.has_value());
  CHECK(*future == milliseconds(60'000));

  const std::optional<milliseconds> next_day = parse_retry_after("Thu, 22 Oct 2026 07:27:00 GMT", fixed_now());
  REQUIRE(next_day.has_value());
  CHECK(*next_day == milliseconds(86'400'000));

  const std::optional<milliseconds> now = parse_retry_after("Wed, 21 Oct 2026 07:27:00 GMT", fixed_now());
  REQUIRE(now.has_value());
  CHECK(*now == milliseconds(0));

  const std::optional<milliseconds> past = parse_retry_after("Tue, 20 Oct 2026 07:28:00 GMT", fixed_now());
  REQUIRE(past.has_value());
  CHECK(*past == milliseconds(0));
}

TEST_CASE("parse_retry_after rejects invalid values") {
  const std::vector<std::string> rejected = {
      "",
      " ",
      "-5",
      "+5",
      "1.5",
      "12s",
      " 120",
      "1234567890",
      "soon",
      "Wed, 21 Oct 2026 07:28:00",
      "Wed, 21 Oct 2026 07:28:00 GMT trailing",
      "Wed, 21 Foo 2026 07:28:00 GMT",
      "2026-10-21T07:28:00Z",
  };
  for (const std::string& value : rejected) {
    CAPTURE(value);
    CHECK_FALSE(parse_retry_after(value, fixed_now()).has_value());
  }
}

TEST_CASE("api key from environment is trimmed") {
  EnvironmentVariable variable(test_key_variable, "  ck_live_8f3a91d2 \n");
  ApiConfig api;
  api.key_env = test_key_variable;

  const ApiKey key = ApiKey::load(api);

  CHECK(key.value() == "ck_live_8f3a91d2");
  CHECK(key.origin() == std::string("environment variable ") + test_key_variable);
}

TEST_CASE("api key missing from environment") {
  EnvironmentVariable variable(test_key_variable, nullptr);
  ApiConfig api;
  api.key_env = test_key_variable;

  CHECK(load_failure(api) == std::string("no API key: the environment variable ") + test_key_variable +
                                 " is not set or empty; set it, or set api.key_file to a file that contains the key");
}

TEST_CASE("api key blank in environment") {
  EnvironmentVariable variable(test_key_variable, " \t\n");
  ApiConfig api;
  api.key_env = test_key_variable;

  CHECK(load_failure(api) == std::string("no API key: the environment variable ") + test_key_variable +
                                 " is not set or empty; set it, or set api.key_file to a file that contains the key");
}

TEST_CASE("api key from file is trimmed") {
  TempDir folder;
  const std::string path = folder.write("cc_api_key", "ck_live_8f3a91d2\r\n");
  EnvironmentVariable variable(test_key_variable, "from-environment");
  ApiConfig api;
  api.key_env = test_key_variable;
  api.key_file = path;

  const ApiKey key = ApiKey::load(api);

  // The file wins over the environment variable.
  CHECK(key.value() == "ck_live_8f3a91d2");
  CHECK(key.origin() == "file " + path);
}

TEST_CASE("api key file missing") {
  TempDir folder;
  ApiConfig api;
  api.key_file = folder.path("cc_api_key");

  CHECK(load_failure(api) == "cannot read the API key file " + api.key_file +
                                 "; check that it exists and that this user can read it");
}

TEST_CASE("api key file empty") {
  TempDir folder;
  ApiConfig api;
  api.key_file = folder.write("cc_api_key", "\n  \n");

  CHECK(load_failure(api) == "the API key file " + api.key_file +
                                 " is empty; write the key from Contractors Cloud into it");
}

TEST_CASE("api key file reloads after change") {
  TempDir folder;
  ApiConfig api;
  api.key_file = folder.write("cc_api_key", "first-key\n");
  ApiKey key = ApiKey::load(api);
  const fs::file_time_type loaded_at = fs::last_write_time(api.key_file);

  CHECK_FALSE(key.reload_if_changed());

  folder.write("cc_api_key", "second-key\n");
  fs::last_write_time(api.key_file, loaded_at + std::chrono::seconds(2));
  CHECK(key.reload_if_changed());
  CHECK(key.value() == "second-key");

  // A newer file with the same key, or an empty one while it is rewritten, changes nothing.
  folder.write("cc_api_key", "second-key");
  fs::last_write_time(api.key_file, loaded_at + std::chrono::seconds(4));
  CHECK_FALSE(key.reload_if_changed());
  folder.write("cc_api_key", "");
  fs::last_write_time(api.key_file, loaded_at + std::chrono::seconds(6));
  CHECK_FALSE(key.reload_if_changed());
  CHECK(key.value() == "second-key");
}

TEST_CASE("api key from environment never reloads") {
  EnvironmentVariable variable(test_key_variable, "first-key");
  ApiConfig api;
  api.key_env = test_key_variable;
  ApiKey key = ApiKey::load(api);

  setenv(test_key_variable, "second-key", 1);

  CHECK_FALSE(key.reload_if_changed());
  CHECK(key.value() == "first-key");
}

TEST_CASE("authorization header basic encoding") {
  CHECK(authorization_header("secret", AuthEncoding::basic) == "Authorization: Basic YXBpOnNlY3JldA==");
  CHECK(authorization_header("a", AuthEncoding::basic) == "Authorization: Basic YXBpOmE=");
  CHECK(authorization_header("ab", AuthEncoding::basic) == "Authorization: Basic YXBpOmFi");
  CHECK(authorization_header("abc", AuthEncoding::basic) == "Authorization: Basic YXBpOmFiYw==");
  CHECK(authorization_header("k3y-with-sym/+=", AuthEncoding::basic) ==
        "Authorization: Basic YXBpOmszeS13aXRoLXN5bS8rPQ==");
}

TEST_CASE("authorization header double encoding") {
  // base64(base64("api:secret") + ":")
  CHECK(authorization_header("secret", AuthEncoding::double_encoded) ==
        "Authorization: Basic WVhCcE9uTmxZM0psZEE9PTo=");
  CHECK(authorization_header("a", AuthEncoding::double_encoded) == "Authorization: Basic WVhCcE9tRT06");
  CHECK(authorization_header("ab", AuthEncoding::double_encoded) == "Authorization: Basic WVhCcE9tRmk6");
  CHECK(authorization_header("abc", AuthEncoding::double_encoded) ==
        "Authorization: Basic WVhCcE9tRmlZdz09Og==");
}

TEST_CASE("encode_body form in field order") {
  const cc::mapping::ImportRecord record = {
      {"req_zip", "60630"},
      {"opt_note1", "Gate code 4411 & dog"},
      {"req_city", "Chicago"},
  };

  CHECK(encode_body(record, BodyFormat::form) == "opt_note1=Gate%20code%204411%20%26%20dog&req_city=Chicago&req_zip=60630");
}

TEST_CASE("encode_body form percent-encodes") {
  const cc::mapping::ImportRecord record = {
      {"opt_note1", "a=b&c+d/e?f%g#h"},
      {"opt_note2", "Québec"},
      {"opt_note3", "line one\nline two"},
      {"opt_note4", ""},
      {"opt_emailPrimary", "maria.lopez@example.com"},
      {"source", "cc-connector_1.0~rc"},
  };

  CHECK(encode_body(record, BodyFormat::form) ==
        "opt_emailPrimary=maria.lopez%40example.com&opt_note1=a%3Db%26c%2Bd%2Fe%3Ff%25g%23h"
        "&opt_note2=Qu%C3%A9bec&opt_note3=line%20one%0Aline%20two&opt_note4=&source=cc-connector_1.0~rc");
}

TEST_CASE("encode_body json object") {
  const cc::mapping::ImportRecord record = {
      {"req_zip", "60630"},
      {"opt_note1", "say \"hi\"\n"},
      {"opt_note2", "Québec"},
  };

  CHECK(encode_body(record, BodyFormat::json) ==
        R"({"opt_note1":"say \"hi\"\n","opt_note2":"Québec","req_zip":"60630"})");
}

TEST_CASE("encode_body json replaces invalid UTF-8") {
  const cc::mapping::ImportRecord record = {{"opt_note1", "bad \xff byte"}};

  CHECK(encode_body(record, BodyFormat::json) == "{\"opt_note1\":\"bad \xEF\xBF\xBD byte\"}");
}

TEST_CASE("encode_body empty record") {
  CHECK(encode_body({}, BodyFormat::form) == "");
  CHECK(encode_body({}, BodyFormat::json) == "{}");
}
