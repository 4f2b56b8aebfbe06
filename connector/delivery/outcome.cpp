#include "delivery/outcome.h"

#include <ctime>

#include <nlohmann/json.hpp>

namespace cc::delivery {

namespace {

// Keeps an error line readable in logs and in the status table.
std::string excerpt(const std::string& body) {
  constexpr std::size_t limit = 300;
  std::string text = body.size() > limit ? body.substr(0, limit) + "..." : body;
  for (char& c : text) {
    if (c == '\n' || c == '\r') {
      c = ' ';
    }
  }
  return text;
}

std::optional<std::string> find_response_id(const std::string& body) {
  nlohmann::json parsed = nlohmann::json::parse(body, nullptr, false);
  if (!parsed.is_object()) {
    return std::nullopt;
  }
  for (const nlohmann::json* holder : {&parsed, parsed.contains("data") ? &parsed["data"] : nullptr}) {
    if (holder == nullptr || !holder->is_object() || !holder->contains("id")) {
      continue;
    }
    const nlohmann::json& id = (*holder)["id"];
    if (id.is_string()) {
      return id.get<std::string>();
    }
    if (id.is_number()) {
      return id.dump();
    }
  }
  return std::nullopt;
}

// True for a JSON body whose standard wrapper reports a failure: {"status": "error"} or
// {"success": false}. Any other body, JSON or not, counts as success with a 2xx status.
bool reports_error(const std::string& body) {
  nlohmann::json parsed = nlohmann::json::parse(body, nullptr, false);
  if (!parsed.is_object()) {
    return false;
  }
  if (parsed.contains("status") && parsed["status"].is_string()) {
    std::string status = parsed["status"].get<std::string>();
    if (status == "error" || status == "fail" || status == "failed" || status == "failure") {
      return true;
    }
  }
  return parsed.contains("success") && parsed["success"].is_boolean() && !parsed["success"].get<bool>();
}

}  // namespace

std::optional<std::chrono::milliseconds> parse_retry_after(const std::string& value,
                                                           std::chrono::system_clock::time_point now) {
  if (value.empty()) {
    return std::nullopt;
  }
  if (value.find_first_not_of("0123456789") == std::string::npos) {
    if (value.size() > 9) {
      return std::nullopt;
    }
    return std::chrono::seconds(std::stoll(value));
  }

  std::tm parts{};
  const char* end = strptime(value.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &parts);
  if (end == nullptr || *end != '\0') {
    return std::nullopt;
  }
  auto at = std::chrono::system_clock::from_time_t(timegm(&parts));
  if (at <= now) {
    return std::chrono::milliseconds(0);
  }
  return std::chrono::duration_cast<std::chrono::milliseconds>(at - now);
}

Outcome classify(const HttpResult& result, std::chrono::system_clock::time_point now) {
  Outcome outcome;
  if (result.transport != CURLE_OK) {
    outcome.kind = OutcomeKind::retry;
    outcome.error = result.transport == CURLE_OPERATION_TIMEDOUT
                        ? "request timed out: " + result.transport_error
                        : "request failed: " + result.transport_error;
    return outcome;
  }

  long status = result.status;
  if (result.retry_after) {
    outcome.retry_after = parse_retry_after(*result.retry_after, now);
  }
  if (status >= 200 && status < 300) {
    if (reports_error(result.body)) {
      outcome.kind = OutcomeKind::not_created;
      outcome.error = "the API answered HTTP " + std::to_string(status) + " but did not create the record: " +
                      excerpt(result.body);
      return outcome;
    }
    outcome.kind = OutcomeKind::imported;
    outcome.response_id = find_response_id(result.body);
    return outcome;
  }

  std::string described = "HTTP " + std::to_string(status) + (result.body.empty() ? "" : ": " + excerpt(result.body));
  if (status == 401 || status == 403) {
    outcome.kind = OutcomeKind::auth_rejected;
    outcome.error = described;
  } else if (status == 408 || status == 425 || status == 429 || status >= 500) {
    outcome.kind = OutcomeKind::retry;
    outcome.error = described;
  } else {
    outcome.kind = OutcomeKind::failed;
    outcome.error = described;
  }
  return outcome;
}

}  // namespace cc::delivery
