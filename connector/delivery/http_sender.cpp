#include "delivery/http_sender.h"

#include <strings.h>

#include <algorithm>
#include <memory>
#include <stdexcept>

#include <nlohmann/json.hpp>

namespace cc::delivery {

namespace {

// libcurl must be initialised once per process before any handle is made.
struct CurlGlobal {
  CurlGlobal() { curl_global_init(CURL_GLOBAL_DEFAULT); }
  ~CurlGlobal() { curl_global_cleanup(); }
};

void ensure_curl_global() {
  static CurlGlobal global;
}

// Cap on a response body kept for import_status. The API's responses are small JSON documents,
// and an HTML error page from a proxy is only needed for its first part.
constexpr std::size_t max_response_body = 64 * 1024;

std::size_t on_body(char* data, std::size_t size, std::size_t count, void* user) {
  auto* body = static_cast<std::string*>(user);
  std::size_t bytes = size * count;
  if (body->size() < max_response_body) {
    body->append(data, std::min(bytes, max_response_body - body->size()));
  }
  return bytes;
}

std::size_t on_header(char* data, std::size_t size, std::size_t count, void* user) {
  auto* retry_after = static_cast<std::optional<std::string>*>(user);
  std::size_t bytes = size * count;
  std::string line(data, bytes);
  const std::string name = "retry-after:";
  if (line.size() > name.size() && strncasecmp(line.c_str(), name.c_str(), name.size()) == 0) {
    std::string value = line.substr(name.size());
    std::size_t begin = value.find_first_not_of(" \t");
    std::size_t end = value.find_last_not_of(" \t\r\n");
    if (begin != std::string::npos) {
      *retry_after = value.substr(begin, end - begin + 1);
    }
  }
  return bytes;
}

std::string url_encode(const std::string& text) {
  char* escaped = curl_easy_escape(nullptr, text.c_str(), static_cast<int>(text.size()));
  if (escaped == nullptr) {
    throw std::bad_alloc();
  }
  std::string out(escaped);
  curl_free(escaped);
  return out;
}

}  // namespace

struct HttpSender::Transfer {
  CURL* handle = nullptr;
  curl_slist* headers = nullptr;
  std::string body;
  HttpResult result;
};

std::string encode_body(const mapping::ImportRecord& record, config::BodyFormat format) {
  if (format == config::BodyFormat::json) {
    nlohmann::json object = nlohmann::json::object();
    for (const auto& [field, value] : record) {
      object[field] = value;
    }
    // Invalid UTF-8 in a shop's text becomes U+FFFD instead of failing the whole record.
    return object.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }
  std::string body;
  for (const auto& [field, value] : record) {
    if (!body.empty()) {
      body += '&';
    }
    body += url_encode(field) + '=' + url_encode(value);
  }
  return body;
}

HttpSender::HttpSender(const config::ApiConfig& api) : api_(api) {
  ensure_curl_global();
  multi_ = curl_multi_init();
  curl_multi_setopt(multi_, CURLMOPT_MAX_TOTAL_CONNECTIONS, static_cast<long>(api_.concurrency));
  curl_multi_setopt(multi_, CURLMOPT_MAXCONNECTS, static_cast<long>(api_.concurrency));
}

HttpSender::~HttpSender() {
  for (CURL* handle : idle_handles_) {
    curl_easy_cleanup(handle);
  }
  curl_multi_cleanup(multi_);
}

void HttpSender::configure(Transfer& transfer, const std::string& body, const std::string& authorization) {
  CURL* handle = transfer.handle;
  curl_easy_reset(handle);
  transfer.body = body;

  curl_easy_setopt(handle, CURLOPT_URL, api_.url.c_str());
  curl_easy_setopt(handle, CURLOPT_POST, 1L);
  curl_easy_setopt(handle, CURLOPT_POSTFIELDS, transfer.body.c_str());
  curl_easy_setopt(handle, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(transfer.body.size()));
  curl_easy_setopt(handle, CURLOPT_TIMEOUT_MS, static_cast<long>(api_.timeout.count()));
  curl_easy_setopt(handle, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(api_.connect_timeout.count()));
  curl_easy_setopt(handle, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(handle, CURLOPT_TCP_NODELAY, 1L);
  curl_easy_setopt(handle, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(handle, CURLOPT_SSL_VERIFYHOST, 2L);
  if (!api_.ca_file.empty()) {
    curl_easy_setopt(handle, CURLOPT_CAINFO, api_.ca_file.c_str());
  }
  // A redirect of a POST could resend the record to another host; the API does not redirect.
  curl_easy_setopt(handle, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(handle, CURLOPT_USERAGENT, "cc-connector/0.1");
  curl_easy_setopt(handle, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(handle, CURLOPT_WRITEDATA, &transfer.result.body);
  curl_easy_setopt(handle, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(handle, CURLOPT_HEADERDATA, &transfer.result.retry_after);
  curl_easy_setopt(handle, CURLOPT_PRIVATE, &transfer);

  transfer.headers = curl_slist_append(nullptr, authorization.c_str());
  transfer.headers = curl_slist_append(transfer.headers, api_.format == config::BodyFormat::json
                                                             ? "Content-Type: application/json"
                                                             : "Content-Type: application/x-www-form-urlencoded");
  transfer.headers = curl_slist_append(transfer.headers, "Accept: application/json");
  // An empty Expect header stops libcurl from waiting for "100 Continue" before a large body,
  // which the API never sends.
  transfer.headers = curl_slist_append(transfer.headers, "Expect:");
  curl_easy_setopt(handle, CURLOPT_HTTPHEADER, transfer.headers);
}

std::vector<HttpResult> HttpSender::send_all(const std::vector<std::string>& bodies, const std::string& authorization) {
  std::vector<std::unique_ptr<Transfer>> transfers(bodies.size());
  std::size_t next = 0;
  int running = 0;
  std::size_t in_flight = 0;

  auto start_next = [&]() {
    auto transfer = std::make_unique<Transfer>();
    if (!idle_handles_.empty()) {
      transfer->handle = idle_handles_.back();
      idle_handles_.pop_back();
    } else {
      transfer->handle = curl_easy_init();
    }
    configure(*transfer, bodies[next], authorization);
    curl_multi_add_handle(multi_, transfer->handle);
    transfers[next] = std::move(transfer);
    ++next;
    ++in_flight;
  };

  // Requests start at most max_requests_per_second apart, spread evenly rather than in bursts.
  const auto spacing = api_.max_requests_per_second > 0
                           ? std::chrono::microseconds(1'000'000 / api_.max_requests_per_second)
                           : std::chrono::microseconds(0);
  while (next < bodies.size() || in_flight > 0) {
    while (next < bodies.size() && in_flight < static_cast<std::size_t>(api_.concurrency) &&
           std::chrono::steady_clock::now() >= next_start_) {
      start_next();
      if (spacing.count() > 0) {
        next_start_ = std::max(next_start_, std::chrono::steady_clock::now()) + spacing;
      }
    }

    curl_multi_perform(multi_, &running);

    int queued = 0;
    while (CURLMsg* message = curl_multi_info_read(multi_, &queued)) {
      if (message->msg != CURLMSG_DONE) {
        continue;
      }
      CURL* handle = message->easy_handle;
      Transfer* transfer = nullptr;
      curl_easy_getinfo(handle, CURLINFO_PRIVATE, reinterpret_cast<char**>(&transfer));
      transfer->result.transport = message->data.result;
      if (message->data.result != CURLE_OK) {
        transfer->result.transport_error = curl_easy_strerror(message->data.result);
      }
      curl_easy_getinfo(handle, CURLINFO_RESPONSE_CODE, &transfer->result.status);
      curl_off_t total_us = 0;
      curl_easy_getinfo(handle, CURLINFO_TOTAL_TIME_T, &total_us);
      transfer->result.elapsed = std::chrono::milliseconds(total_us / 1000);

      curl_multi_remove_handle(multi_, handle);
      curl_slist_free_all(transfer->headers);
      transfer->headers = nullptr;
      idle_handles_.push_back(handle);
      --in_flight;
    }

    // A request that may start now starts at the top of the loop without waiting. Otherwise wait
    // for transfer progress, or for the next start the rate limit allows, whichever comes first.
    bool can_start = next < bodies.size() && in_flight < static_cast<std::size_t>(api_.concurrency) &&
                     std::chrono::steady_clock::now() >= next_start_;
    if (!can_start && (in_flight > 0 || next < bodies.size())) {
      int timeout_ms = 100;
      if (next < bodies.size() && spacing.count() > 0) {
        auto until_start = std::chrono::duration_cast<std::chrono::milliseconds>(next_start_ - std::chrono::steady_clock::now());
        timeout_ms = static_cast<int>(std::clamp<long long>(until_start.count() + 1, 0, 100));
      }
      curl_multi_poll(multi_, nullptr, 0, timeout_ms, nullptr);
    }
  }

  std::vector<HttpResult> results;
  results.reserve(transfers.size());
  for (auto& transfer : transfers) {
    results.push_back(std::move(transfer->result));
  }
  return results;
}

}  // namespace cc::delivery
