// Tests of cc-mock-api as a separate process, through HTTP and its command line.

#include <signal.h>

#include <cctype>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <optional>
#include <regex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <doctest/doctest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include "support/mock_api_process.h"
#include "support/process.h"

namespace {

using cc::test::ChildProcess;
using cc::test::MockApiProcess;
using cc::test::run_process;
using cc::test::TempDir;
using nlohmann::json;
using namespace std::chrono_literals;

const std::string kKey = "mock-test-key-5f3a9c";
const std::string kImportPath = "/api/v2/import/record";

std::string base64_encode(const std::string& data) {
  static const char* kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string encoded;
  std::size_t i = 0;
  for (; i + 2 < data.size(); i += 3) {
    unsigned value = (static_cast<unsigned char>(data[i]) << 16) | (static_cast<unsigned char>(data[i + 1]) << 8) |
                     static_cast<unsigned char>(data[i + 2]);
    encoded += kAlphabet[(value >> 18) & 63];
    encoded += kAlphabet[(value >> 12) & 63];
    encoded += kAlphabet[(value >> 6) & 63];
    encoded += kAlphabet[value & 63];
  }
  std::size_t rest = data.size() - i;
  if (rest == 1) {
    unsigned value = static_cast<unsigned char>(data[i]) << 16;
    encoded += kAlphabet[(value >> 18) & 63];
    encoded += kAlphabet[(value >> 12) & 63];
    encoded += "==";
  } else if (rest == 2) {
    unsigned value = (static_cast<unsigned char>(data[i]) << 16) | (static_cast<unsigned char>(data[i + 1]) << 8);
    encoded += kAlphabet[(value >> 18) & 63];
    encoded += kAlphabet[(value >> 12) & 63];
    encoded += kAlphabet[(value >> 6) & 63];
    encoded += '=';
  }
  return encoded;
}

std::string standard_auth(const std::string& key) { return "Basic " + base64_encode("api:" + key); }

// The header that the vendor's PHP example produces: base64("api:" + KEY) is the user name.
std::string double_encoded_auth(const std::string& key) {
  return "Basic " + base64_encode(base64_encode("api:" + key) + ":");
}

// Encodes like an HTML form: space becomes '+', everything but unreserved characters becomes %XX.
std::string form_encode(const std::vector<std::pair<std::string, std::string>>& fields) {
  static const char* kHex = "0123456789ABCDEF";
  auto encode = [](const std::string& text) {
    std::string encoded;
    for (unsigned char c : text) {
      if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
        encoded += static_cast<char>(c);
      } else if (c == ' ') {
        encoded += '+';
      } else {
        encoded += '%';
        encoded += kHex[c >> 4];
        encoded += kHex[c & 0x0F];
      }
    }
    return encoded;
  };
  std::string body;
  for (const auto& [name, value] : fields) {
    if (!body.empty()) {
      body += '&';
    }
    body += encode(name) + "=" + encode(value);
  }
  return body;
}

std::vector<std::pair<std::string, std::string>> complete_record() {
  return {{"req_firstname", "Anne"},      {"req_lastname", "Martin"},    {"req_accountname", "Martin Roofing"},
          {"req_street", "12 Rue Laval"}, {"req_city", "Montréal"},      {"req_state", "QC"},
          {"req_zip", "H2X 1Y5"},         {"req_oppdate", "2026-12-04"}, {"req_oppnum", "OPP-1001"}};
}

httplib::Client client_for(const MockApiProcess& mock) {
  httplib::Client client("127.0.0.1", mock.port());
  client.set_connection_timeout(2s);
  client.set_read_timeout(10s);
  client.set_write_timeout(10s);
  return client;
}

// Sends one import request; fails the test if no HTTP response arrives.
httplib::Response post_import(const MockApiProcess& mock, const std::string& body, const std::string& content_type,
                              const std::optional<std::string>& authorization) {
  httplib::Headers headers;
  if (authorization) {
    headers.emplace("Authorization", *authorization);
  }
  auto client = client_for(mock);
  auto result = client.Post(kImportPath, headers, body, content_type);
  if (!result) {
    FAIL("POST " << kImportPath << " failed: " << httplib::to_string(result.error()) << "; mock log:\n" << mock.log());
  }
  return *result;
}

httplib::Response post_form(const MockApiProcess& mock, const std::string& key = kKey) {
  return post_import(mock, form_encode(complete_record()), "application/x-www-form-urlencoded", standard_auth(key));
}

json body_of(const httplib::Response& response) { return json::parse(response.body, nullptr, false); }

std::string join_statuses(const std::vector<int>& statuses) {
  std::string text;
  for (int status : statuses) {
    text += (text.empty() ? "" : " ") + std::to_string(status);
  }
  return text;
}

std::string read_file(const std::string& path) {
  std::ifstream input(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(input), std::istreambuf_iterator<char>());
}

}  // namespace

TEST_CASE("mock api accepts standard basic auth") {
  MockApiProcess mock(kKey);

  auto response = post_form(mock);

  CHECK(response.status == 200);
  json body = body_of(response);
  CHECK(body["status"] == "success");
  CHECK(body["data"]["id"] == "1");
  CHECK(body["data"]["result"] == "created");
  json records = mock.records();
  REQUIRE(records.size() == 1);
  CHECK(records[0]["auth"] == "standard");
}

TEST_CASE("mock api accepts double-encoded basic auth") {
  MockApiProcess mock(kKey);

  auto response =
      post_import(mock, form_encode(complete_record()), "application/x-www-form-urlencoded", double_encoded_auth(kKey));

  CHECK(response.status == 200);
  CHECK(body_of(response)["data"]["result"] == "created");
  json records = mock.records();
  REQUIRE(records.size() == 1);
  CHECK(records[0]["auth"] == "double");
}

TEST_CASE("mock api rejects wrong key") {
  MockApiProcess mock(kKey);

  auto standard = post_form(mock, "wrong-key");
  auto double_encoded = post_import(mock, form_encode(complete_record()), "application/x-www-form-urlencoded",
                                    double_encoded_auth("wrong-key"));

  CHECK(standard.status == 401);
  CHECK(standard.get_header_value("WWW-Authenticate") == "Basic realm=\"Contractors Cloud\"");
  CHECK(body_of(standard) == json{{"status", "error"}, {"message", "Invalid API key"}});
  CHECK(double_encoded.status == 401);
  CHECK(mock.records().empty());
  CHECK(mock.stored_lines().empty());
  CHECK(mock.stats()["unauthorized"] == 2);
}

TEST_CASE("mock api rejects missing authorization") {
  MockApiProcess mock(kKey);

  auto response = post_import(mock, form_encode(complete_record()), "application/x-www-form-urlencoded", std::nullopt);
  auto not_basic =
      post_import(mock, form_encode(complete_record()), "application/x-www-form-urlencoded", "Bearer " + kKey);

  CHECK(response.status == 401);
  CHECK(response.get_header_value("WWW-Authenticate") == "Basic realm=\"Contractors Cloud\"");
  CHECK(body_of(response) == json{{"status", "error"}, {"message", "Invalid API key"}});
  CHECK(not_basic.status == 401);
  CHECK(mock.records().empty());
  CHECK(mock.stored_lines().empty());
}

TEST_CASE("mock api stores form fields verbatim") {
  MockApiProcess mock(kKey);
  std::string long_value;
  for (int i = 0; long_value.size() < 9000; i++) {
    long_value += "line " + std::to_string(i) + " & more = text + ";
  }
  long_value.resize(9000);
  auto fields = complete_record();
  fields.emplace_back("opt_notes", "Smith & Sons = best + cheapest");
  fields.emplace_back("opt_city", "Québec");
  fields.emplace_back("opt_spaces", "  two  spaces  ");
  fields.emplace_back("opt_long", long_value);
  fields.emplace_back("opt_empty", "");

  auto response = post_import(mock, form_encode(fields), "application/x-www-form-urlencoded", standard_auth(kKey));

  REQUIRE(response.status == 200);
  json records = mock.records();
  REQUIRE(records.size() == 1);
  const json& entry = records[0];
  CHECK(entry["id"] == "1");
  CHECK(entry["content_type"] == "form");
  CHECK(std::regex_match(entry["received_at"].get<std::string>(),
                         std::regex(R"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z)")));
  for (const auto& [name, value] : fields) {
    CAPTURE(name);
    CHECK(entry["record"][name] == value);
  }
  CHECK(entry["record"].size() == fields.size());
  CHECK(entry["record"]["opt_long"].get<std::string>().size() == 9000);
}

TEST_CASE("mock api accepts form content type with charset") {
  MockApiProcess mock(kKey);

  auto response = post_import(mock, form_encode(complete_record()), "application/x-www-form-urlencoded; charset=UTF-8",
                              standard_auth(kKey));

  CHECK(response.status == 200);
  CHECK(mock.records().size() == 1);
}

TEST_CASE("mock api stores json body as strings") {
  MockApiProcess mock(kKey);
  json request = json::object();
  for (const auto& [name, value] : complete_record()) {
    request[name] = value;
  }
  request["req_zip"] = 12345;
  request["opt_amount"] = 12.5;
  request["opt_active"] = true;
  request["opt_city"] = "Québec";

  auto response = post_import(mock, request.dump(), "application/json; charset=utf-8", standard_auth(kKey));

  REQUIRE(response.status == 200);
  CHECK(body_of(response)["data"]["result"] == "created");
  json records = mock.records();
  REQUIRE(records.size() == 1);
  CHECK(records[0]["content_type"] == "json");
  CHECK(records[0]["record"]["req_zip"] == "12345");
  CHECK(records[0]["record"]["opt_amount"] == "12.5");
  CHECK(records[0]["record"]["opt_active"] == "true");
  CHECK(records[0]["record"]["opt_city"] == "Québec");
  CHECK(records[0]["record"]["req_firstname"] == "Anne");
}

TEST_CASE("mock api rejects malformed json") {
  MockApiProcess mock(kKey);

  auto response = post_import(mock, R"({"req_firstname": "Anne",)", "application/json", standard_auth(kKey));

  CHECK(response.status == 400);
  json body = body_of(response);
  CHECK(body["status"] == "error");
  CHECK(body["message"].is_string());
  CHECK(mock.records().empty());
  CHECK(mock.stats()["bad_requests"] == 1);
}

TEST_CASE("mock api rejects json that is not an object") {
  MockApiProcess mock(kKey);

  auto array = post_import(mock, R"([{"req_firstname": "Anne"}])", "application/json", standard_auth(kKey));
  auto nested = post_import(mock, R"({"req_firstname": ["Anne"]})", "application/json", standard_auth(kKey));

  CHECK(array.status == 400);
  CHECK(body_of(array)["status"] == "error");
  CHECK(nested.status == 400);
  CHECK(body_of(nested)["message"].get<std::string>().find("req_firstname") != std::string::npos);
  CHECK(mock.records().empty());
}

TEST_CASE("mock api rejects text/plain body") {
  MockApiProcess mock(kKey);

  auto response = post_import(mock, "req_firstname=Anne", "text/plain", standard_auth(kKey));

  CHECK(response.status == 415);
  CHECK(body_of(response)["status"] == "error");
  CHECK(mock.records().empty());
}

TEST_CASE("mock api queues record missing required field") {
  MockApiProcess mock(kKey);
  auto without_zip = complete_record();
  std::erase_if(without_zip, [](const auto& field) { return field.first == "req_zip"; });
  auto empty_city = complete_record();
  for (auto& field : empty_city) {
    if (field.first == "req_city") {
      field.second = "";
    }
  }

  auto missing = post_import(mock, form_encode(without_zip), "application/x-www-form-urlencoded", standard_auth(kKey));
  auto empty = post_import(mock, form_encode(empty_city), "application/x-www-form-urlencoded", standard_auth(kKey));

  CHECK(missing.status == 200);
  CHECK(body_of(missing)["data"]["result"] == "queued");
  CHECK(empty.status == 200);
  CHECK(body_of(empty)["data"]["result"] == "queued");
  CHECK(mock.records().size() == 2);
}

TEST_CASE("mock api fails next requests on demand") {
  MockApiProcess mock(kKey);
  mock.fail_next(503, 2);

  auto first = post_form(mock);
  auto second = post_form(mock);
  auto third = post_form(mock);

  CHECK(first.status == 503);
  CHECK(body_of(first)["status"] == "error");
  CHECK(second.status == 503);
  CHECK(third.status == 200);
  CHECK(body_of(third)["data"]["id"] == "1");
  CHECK(mock.records().size() == 1);
  CHECK(mock.stats()["injected_failures"] == 2);
}

TEST_CASE("mock api injects failures before auth") {
  MockApiProcess mock(kKey);
  mock.fail_next(503, 1);

  auto response = post_form(mock, "wrong-key");

  CHECK(response.status == 503);
  CHECK(mock.stats()["unauthorized"] == 0);
}

TEST_CASE("mock api sends retry-after on injected 429") {
  MockApiProcess mock(kKey);

  mock.fail_next(429, 1, "7");
  auto seconds = post_form(mock);
  mock.fail_next(429, 1, "Wed, 21 Oct 2026 07:28:00 GMT");
  auto date = post_form(mock);
  auto accepted = post_form(mock);

  CHECK(seconds.status == 429);
  CHECK(seconds.get_header_value("Retry-After") == "7");
  CHECK(body_of(seconds)["status"] == "error");
  CHECK(date.status == 429);
  CHECK(date.get_header_value("Retry-After") == "Wed, 21 Oct 2026 07:28:00 GMT");
  CHECK(accepted.status == 200);
  CHECK_FALSE(accepted.has_header("Retry-After"));
}

TEST_CASE("mock api fails every k-th request") {
  MockApiProcess mock(kKey);
  mock.admin_post("/_mock/fail?status=429&every=3&retry_after=2");

  std::vector<int> statuses;
  for (int i = 0; i < 9; i++) {
    statuses.push_back(post_form(mock).status);
  }

  CHECK(join_statuses(statuses) == "200 200 429 200 200 429 200 200 429");
  CHECK(mock.records().size() == 6);
  mock.admin_post("/_mock/reset");
  CHECK(post_form(mock).status == 200);
}

TEST_CASE("mock api caps every-k failures with count") {
  MockApiProcess mock(kKey);
  mock.admin_post("/_mock/fail?status=429&every=2&count=2");

  std::vector<int> statuses;
  for (int i = 0; i < 8; i++) {
    statuses.push_back(post_form(mock).status);
  }

  CHECK(join_statuses(statuses) == "200 429 200 429 200 200 200 200");
  CHECK(mock.stats()["injected_failures"] == 2);
}

TEST_CASE("mock api fails requests for a duration") {
  MockApiProcess mock(kKey);
  auto start = std::chrono::steady_clock::now();
  mock.admin_post("/_mock/fail?status=503&duration_ms=1500");

  auto during = post_form(mock);
  bool recovered = cc::test::wait_until([&] { return post_form(mock).status == 200; }, 6s);
  auto elapsed = std::chrono::steady_clock::now() - start;

  CHECK(during.status == 503);
  CHECK(recovered);
  CHECK(elapsed >= 1500ms);
}

TEST_CASE("mock api drops connection on demand") {
  MockApiProcess mock(kKey);
  mock.admin_post("/_mock/fail?drop=1&count=1");

  auto client = client_for(mock);
  httplib::Headers headers{{"Authorization", standard_auth(kKey)}};
  auto dropped = client.Post(kImportPath, headers, form_encode(complete_record()), "application/x-www-form-urlencoded");
  auto next = post_form(mock);

  CHECK_FALSE(static_cast<bool>(dropped));
  CHECK(next.status == 200);
  CHECK(mock.records().size() == 1);
  CHECK(mock.stats()["injected_failures"] == 1);
}

TEST_CASE("mock api applies injected latency") {
  MockApiProcess mock(kKey);
  mock.set_latency(200ms);

  auto start = std::chrono::steady_clock::now();
  auto response = post_form(mock);
  auto elapsed = std::chrono::steady_clock::now() - start;

  CHECK(response.status == 200);
  CHECK(elapsed >= 200ms);
}

TEST_CASE("mock api applies startup failure and latency options") {
  MockApiProcess mock(kKey, {"--fail-status", "503", "--fail-count", "1", "--latency-ms", "150"});

  auto start = std::chrono::steady_clock::now();
  auto first = post_form(mock);
  auto elapsed = std::chrono::steady_clock::now() - start;
  auto second = post_form(mock);

  CHECK(first.status == 503);
  CHECK(elapsed >= 150ms);
  CHECK(second.status == 200);
}

TEST_CASE("mock api serves concurrent requests") {
  MockApiProcess mock(kKey);
  mock.set_latency(300ms);
  constexpr int kClients = 16;

  std::vector<int> statuses(kClients, 0);
  std::vector<std::jthread> clients;
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < kClients; i++) {
    clients.emplace_back([&, i] {
      httplib::Client client("127.0.0.1", mock.port());
      client.set_connection_timeout(5s);
      client.set_read_timeout(10s);
      httplib::Headers headers{{"Authorization", standard_auth(kKey)}};
      auto result =
          client.Post(kImportPath, headers, form_encode(complete_record()), "application/x-www-form-urlencoded");
      statuses[i] = result ? result->status : -1;
    });
  }
  for (auto& thread : clients) {
    thread.join();
  }
  auto elapsed = std::chrono::steady_clock::now() - start;

  CHECK(join_statuses(statuses) == join_statuses(std::vector<int>(kClients, 200)));
  // Served one at a time, the requests would take 16 x 300 ms = 4.8 s.
  CHECK(elapsed < 2400ms);
  json stats = mock.stats();
  CHECK(stats["max_in_flight"].get<int>() >= 8);
  CHECK(stats["in_flight"] == 0);
  CHECK(stats["accepted"] == kClients);
}

TEST_CASE("mock api accepts rotated key") {
  MockApiProcess mock(kKey);
  mock.admin_post("/_mock/key?value=rotated-key-1");

  CHECK(post_form(mock, kKey).status == 401);
  CHECK(post_form(mock, "rotated-key-1").status == 200);

  auto client = client_for(mock);
  auto result = client.Post("/_mock/key", R"({"key": "rotated-key-2"})", "application/json");
  REQUIRE(static_cast<bool>(result));
  CHECK(result->status == 200);
  CHECK(post_form(mock, "rotated-key-1").status == 401);
  CHECK(post_form(mock, "rotated-key-2").status == 200);
}

TEST_CASE("mock api store file matches records") {
  MockApiProcess mock(kKey);
  post_form(mock);
  json request = {{"req_firstname", "Zoé"}, {"req_zip", 98101}};
  post_import(mock, request.dump(), "application/json", double_encoded_auth(kKey));
  post_form(mock, "wrong-key");
  post_form(mock);

  json records = mock.records();
  std::vector<json> lines = mock.stored_lines();

  REQUIRE(records.size() == 3);
  REQUIRE(lines.size() == 3);
  for (std::size_t i = 0; i < lines.size(); i++) {
    CAPTURE(i);
    CHECK(lines[i] == records[i]);
    CHECK(lines[i]["id"] == std::to_string(i + 1));
  }
}

TEST_CASE("mock api reset keeps records") {
  MockApiProcess mock(kKey);
  post_form(mock);
  mock.set_latency(100ms);
  mock.fail_next(503, 5);

  mock.admin_post("/_mock/reset");

  CHECK(post_form(mock).status == 200);
  CHECK(mock.records().size() == 2);
}

TEST_CASE("mock api continues ids from existing store") {
  MockApiProcess first(kKey);
  post_form(first);
  post_form(first);
  first.process().send_signal(SIGTERM);
  REQUIRE(first.process().wait_for_exit(10s) == 0);

  TempDir directory;
  std::string port_file = directory.path() + "/port";
  ChildProcess second({CC_MOCK_API_BIN, "--port", "0", "--port-file", port_file, "--store", first.store_path()},
                      {{"CC_API_KEY", kKey}}, directory.path() + "/log");
  REQUIRE(cc::test::wait_until([&] { return read_file(port_file).find('\n') != std::string::npos; }, 10s));
  httplib::Client client("127.0.0.1", std::stoi(read_file(port_file)));
  client.set_connection_timeout(2s);
  client.set_read_timeout(10s);
  httplib::Headers headers{{"Authorization", standard_auth(kKey)}};

  auto result = client.Post(kImportPath, headers, form_encode(complete_record()), "application/x-www-form-urlencoded");
  auto records = client.Get("/_mock/records");

  REQUIRE(static_cast<bool>(result));
  CHECK(body_of(*result)["data"]["id"] == "3");
  REQUIRE(static_cast<bool>(records));
  CHECK(json::parse(records->body).size() == 3);
  CHECK(first.stored_lines().size() == 3);
}

TEST_CASE("mock api writes port file") {
  TempDir directory;
  std::string port_file = directory.path() + "/port";
  ChildProcess process({CC_MOCK_API_BIN, "--port", "0", "--port-file", port_file}, {{"CC_API_KEY", kKey}},
                       directory.path() + "/log");

  bool written = cc::test::wait_until([&] { return std::filesystem::exists(port_file); }, 10s);

  REQUIRE(written);
  std::string text = read_file(port_file);
  CHECK(std::regex_match(text, std::regex("[0-9]+\n")));
  CHECK_FALSE(std::filesystem::exists(port_file + ".tmp"));
  int port = std::stoi(text);
  CHECK(port > 0);
  httplib::Client client("127.0.0.1", port);
  client.set_connection_timeout(2s);
  auto health = client.Get("/_mock/health");
  REQUIRE(static_cast<bool>(health));
  CHECK(health->status == 200);
  CHECK(health->body == "ok");
  CHECK(process.log().find("listening on http://127.0.0.1:" + std::to_string(port)) != std::string::npos);
}

TEST_CASE("mock api rejects port in use") {
  MockApiProcess mock(kKey);

  auto second = run_process({CC_MOCK_API_BIN, "--port", std::to_string(mock.port())}, {{"CC_API_KEY", kKey}}, 10s);

  CHECK(second.exit_code == 1);
  CHECK(second.output.find(std::to_string(mock.port())) != std::string::npos);
  CHECK(post_form(mock).status == 200);
}

TEST_CASE("mock api exits 0 on sigterm") {
  MockApiProcess mock(kKey);
  post_form(mock);

  mock.process().send_signal(SIGTERM);
  auto exit_code = mock.process().wait_for_exit(10s);

  REQUIRE(exit_code.has_value());
  CHECK(*exit_code == 0);
}

TEST_CASE("mock api exits 0 on sigint during latency") {
  MockApiProcess mock(kKey);
  mock.set_latency(30s);
  std::jthread client([&] {
    auto c = client_for(mock);
    httplib::Headers headers{{"Authorization", standard_auth(kKey)}};
    c.Post(kImportPath, headers, form_encode(complete_record()), "application/x-www-form-urlencoded");
  });
  cc::test::wait_until([&] { return mock.stats()["in_flight"] == 1; }, 5s);

  auto start = std::chrono::steady_clock::now();
  mock.process().send_signal(SIGINT);
  auto exit_code = mock.process().wait_for_exit(10s);
  auto elapsed = std::chrono::steady_clock::now() - start;
  client.join();

  REQUIRE(exit_code.has_value());
  CHECK(*exit_code == 0);
  CHECK(elapsed < 5s);
}

TEST_CASE("mock api without key exits 2") {
  const std::string secret = "secret-that-must-not-be-printed";

  auto missing = run_process({CC_MOCK_API_BIN, "--port", "0", "--key-env", "CC_MOCK_TEST_UNSET_KEY"},
                             {{"CC_API_KEY", secret}, {"CC_MOCK_TEST_UNSET_KEY", ""}}, 10s);

  CHECK(missing.exit_code == 2);
  CHECK(missing.output.find("CC_MOCK_TEST_UNSET_KEY") != std::string::npos);
  CHECK(missing.output.find(secret) == std::string::npos);
}

TEST_CASE("mock api with unreadable key file exits 2") {
  TempDir directory;
  std::string key_file = directory.path() + "/missing-key";

  auto result = run_process({CC_MOCK_API_BIN, "--port", "0", "--key-file", key_file}, {{"CC_API_KEY", kKey}}, 10s);

  CHECK(result.exit_code == 2);
  CHECK(result.output.find(key_file) != std::string::npos);
  CHECK(result.output.find(kKey) == std::string::npos);
}

TEST_CASE("mock api rejects bad usage") {
  const std::vector<std::vector<std::string>> cases = {
      {"--port", "not-a-number"},
      {"--port", "70000"},
      {"--fail-status", "503"},
      {"--fail-count", "2"},
      {"--fail-status", "200", "--fail-count", "2"},
      {"--log-level", "loud"},
      {"--no-such-option"},
      {"--key-env", "CC_API_KEY", "--key-file", "/dev/null"},
  };
  for (const auto& arguments : cases) {
    std::vector<std::string> argv = {CC_MOCK_API_BIN};
    argv.insert(argv.end(), arguments.begin(), arguments.end());
    CAPTURE(arguments.front());

    auto result = run_process(argv, {{"CC_API_KEY", kKey}}, 10s);

    CHECK(result.exit_code == 2);
    CHECK_FALSE(result.output.empty());
  }
}

TEST_CASE("mock api reads key file") {
  TempDir directory;
  std::string key_file = directory.path() + "/key";
  std::ofstream(key_file) << "key-from-file \n";
  MockApiProcess mock("key-from-environment", {"--key-file", key_file});

  CHECK(post_form(mock, "key-from-file").status == 200);
  CHECK(post_form(mock, "key-from-environment").status == 401);
}

TEST_CASE("mock api never logs key") {
  MockApiProcess mock(kKey);
  post_form(mock);
  post_import(mock, form_encode(complete_record()), "application/x-www-form-urlencoded", double_encoded_auth(kKey));
  mock.admin_post("/_mock/key?value=rotated-secret-key");
  post_form(mock, "rotated-secret-key");

  std::string log = mock.log();

  CHECK(log.find("POST /api/v2/import/record 200") != std::string::npos);
  CHECK(log.find(kKey) == std::string::npos);
  CHECK(log.find(base64_encode("api:" + kKey)) == std::string::npos);
  CHECK(log.find("rotated-secret-key") == std::string::npos);
}

TEST_CASE("mock api rejects invalid admin parameters") {
  MockApiProcess mock(kKey);
  auto client = client_for(mock);
  const std::vector<std::string> requests = {
      "/_mock/fail?status=abc&count=1",
      "/_mock/fail?status=503",
      "/_mock/fail?status=503&every=2&duration_ms=100",
      "/_mock/fail?status=199&count=1",
      "/_mock/fail?status=503&count=-1",
      "/_mock/latency?ms=-5",
      "/_mock/latency",
      "/_mock/key",
  };

  for (const auto& request : requests) {
    CAPTURE(request);
    auto result = client.Post(request, "", "text/plain");
    REQUIRE(static_cast<bool>(result));
    CHECK(result->status == 400);
    CHECK(body_of(*result)["status"] == "error");
  }
  CHECK(post_form(mock).status == 200);
}
