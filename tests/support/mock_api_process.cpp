#include "support/mock_api_process.h"

#include <cctype>
#include <fstream>
#include <sstream>

#include <doctest/doctest.h>
#include <httplib.h>

#ifndef CC_MOCK_API_BIN
#error "CC_MOCK_API_BIN must be defined as the absolute path of the cc-mock-api binary"
#endif

namespace cc::test {

namespace {

constexpr std::chrono::seconds kStartTimeout{10};

std::string read_text_file(const std::string& path) {
  std::ifstream input(path, std::ios::binary);
  std::ostringstream content;
  content << input.rdbuf();
  return content.str();
}

std::optional<int> read_port_file(const std::string& path) {
  std::string text = read_text_file(path);
  // The server writes the number and a newline in one rename, so a newline means the file is complete.
  if (text.empty() || text.back() != '\n') {
    return std::nullopt;
  }
  try {
    return std::stoi(text);
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

std::string percent_encode(const std::string& text) {
  static const char* kHex = "0123456789ABCDEF";
  std::string encoded;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      encoded.push_back(static_cast<char>(c));
    } else {
      encoded.push_back('%');
      encoded.push_back(kHex[c >> 4]);
      encoded.push_back(kHex[c & 0x0F]);
    }
  }
  return encoded;
}

httplib::Client admin_client(int port) {
  httplib::Client client("127.0.0.1", port);
  client.set_connection_timeout(std::chrono::seconds(2));
  client.set_read_timeout(std::chrono::seconds(5));
  client.set_write_timeout(std::chrono::seconds(5));
  return client;
}

}  // namespace

MockApiProcess::MockApiProcess(std::string api_key, std::vector<std::string> extra_args)
    : api_key_(std::move(api_key)) {
  const std::string port_file = directory_.path() + "/port";
  std::vector<std::string> argv = {CC_MOCK_API_BIN, "--port",     "0",           "--port-file", port_file,
                                   "--store",       store_path(), "--log-level", "debug"};
  argv.insert(argv.end(), extra_args.begin(), extra_args.end());
  process_ = std::make_unique<ChildProcess>(argv, std::map<std::string, std::string>{{"CC_API_KEY", api_key_}},
                                            directory_.path() + "/mock-api.log");

  bool healthy = wait_until(
      [&] {
        if (!process_->running()) {
          return true;  // stop waiting; the check below reports the early exit
        }
        if (port_ == 0) {
          port_ = read_port_file(port_file).value_or(0);
          if (port_ == 0) {
            return false;
          }
        }
        auto client = admin_client(port_);
        auto result = client.Get("/_mock/health");
        return result && result->status == 200;
      },
      kStartTimeout);

  if (!process_->running()) {
    FAIL("cc-mock-api exited during start with status " << process_->wait_for_exit(std::chrono::seconds(0)).value_or(-1)
                                                        << "; its log:\n"
                                                        << log());
  }
  if (!healthy) {
    FAIL("cc-mock-api did not answer GET /_mock/health within " << kStartTimeout.count() << " s; its log:\n" << log());
  }
}

MockApiProcess::~MockApiProcess() = default;

int MockApiProcess::port() const { return port_; }

std::string MockApiProcess::url() const { return admin_url() + "/api/v2/import/record"; }

std::string MockApiProcess::admin_url() const { return "http://127.0.0.1:" + std::to_string(port_); }

std::string MockApiProcess::store_path() const { return directory_.path() + "/records.jsonl"; }

nlohmann::json MockApiProcess::admin_get(const std::string& path) const {
  auto client = admin_client(port_);
  auto result = client.Get(path);
  if (!result) {
    FAIL("GET " << path << " on cc-mock-api failed: " << httplib::to_string(result.error()) << "; its log:\n" << log());
  }
  if (result->status != 200) {
    FAIL("GET " << path << " on cc-mock-api returned HTTP " << result->status << ": " << result->body);
  }
  nlohmann::json body = nlohmann::json::parse(result->body, nullptr, false);
  if (body.is_discarded()) {
    FAIL("GET " << path << " on cc-mock-api returned invalid JSON: " << result->body);
  }
  return body;
}

nlohmann::json MockApiProcess::records() const { return admin_get("/_mock/records"); }

nlohmann::json MockApiProcess::stats() const { return admin_get("/_mock/stats"); }

std::vector<nlohmann::json> MockApiProcess::stored_lines() const {
  std::vector<nlohmann::json> lines;
  std::istringstream content(read_text_file(store_path()));
  std::string line;
  while (std::getline(content, line)) {
    if (line.empty()) {
      continue;
    }
    nlohmann::json entry = nlohmann::json::parse(line, nullptr, false);
    if (entry.is_discarded()) {
      FAIL("line " << lines.size() + 1 << " of " << store_path() << " is not valid JSON: " << line);
    }
    lines.push_back(std::move(entry));
  }
  return lines;
}

void MockApiProcess::fail_next(int status, int count, std::optional<std::string> retry_after) {
  std::string query = "/_mock/fail?status=" + std::to_string(status) + "&count=" + std::to_string(count);
  if (retry_after) {
    query += "&retry_after=" + percent_encode(*retry_after);
  }
  admin_post(query);
}

void MockApiProcess::admin_post(const std::string& path_and_query) {
  auto client = admin_client(port_);
  auto result = client.Post(path_and_query, "", "text/plain");
  if (!result) {
    FAIL("POST " << path_and_query << " on cc-mock-api failed: " << httplib::to_string(result.error()) << "; its log:\n"
                 << log());
  }
  if (result->status < 200 || result->status > 299) {
    FAIL("POST " << path_and_query << " on cc-mock-api returned HTTP " << result->status << ": " << result->body);
  }
}

void MockApiProcess::set_latency(std::chrono::milliseconds latency) {
  admin_post("/_mock/latency?ms=" + std::to_string(latency.count()));
}

std::string MockApiProcess::log() const { return process_ ? process_->log() : std::string{}; }

ChildProcess& MockApiProcess::process() { return *process_; }

}  // namespace cc::test
