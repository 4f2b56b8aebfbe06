#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "delivery/http_sender.h"

namespace cc::delivery {

// Classification of one response, for its row and for the connector.
enum class OutcomeKind {
  imported,       // 2xx: the API took the record
  not_created,    // 2xx whose body reports an error: sending the same record again would not help
  retry,          // transport error, timeout, 408, 425, 429 or 5xx: may pass later
  failed,         // any other status (other 4xx, 1xx, 3xx): sending the same record again cannot help
  auth_rejected,  // 401 or 403: the key is wrong or revoked; no row is to blame
};

struct Outcome {
  OutcomeKind kind = OutcomeKind::retry;
  std::string error;                         // one line for import_status.error and the log
  std::optional<std::string> response_id;    // the API's record id, from {"data": {"id": ...}}
  std::optional<std::chrono::milliseconds> retry_after;  // from a Retry-After header
};

Outcome classify(const HttpResult& result, std::chrono::system_clock::time_point now);

// Parses a Retry-After value: delta-seconds ("120") or an HTTP date ("Wed, 21 Oct 2026 07:28:00 GMT").
// Returns the wait from `now`, zero for a date in the past, or nothing for an invalid value.
std::optional<std::chrono::milliseconds> parse_retry_after(const std::string& value,
                                                           std::chrono::system_clock::time_point now);

}  // namespace cc::delivery
