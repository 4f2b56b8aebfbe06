#include "common/duration.h"

#include <cctype>
#include <cstdio>

namespace cc {

std::optional<std::chrono::milliseconds> parse_duration(std::string_view text) {
  using std::chrono::milliseconds;
  if (text.empty()) {
    return std::nullopt;
  }

  long long total_ms = 0;
  std::size_t at = 0;
  while (at < text.size()) {
    if (!std::isdigit(static_cast<unsigned char>(text[at]))) {
      return std::nullopt;
    }
    long long number = 0;
    while (at < text.size() && std::isdigit(static_cast<unsigned char>(text[at]))) {
      number = number * 10 + (text[at] - '0');
      if (number > 1'000'000'000LL) {
        return std::nullopt;
      }
      ++at;
    }

    std::size_t unit_start = at;
    while (at < text.size() && std::isalpha(static_cast<unsigned char>(text[at]))) {
      ++at;
    }
    std::string_view unit = text.substr(unit_start, at - unit_start);
    long long unit_ms = 0;
    if (unit == "ms") {
      unit_ms = 1;
    } else if (unit == "s") {
      unit_ms = 1000;
    } else if (unit == "m") {
      unit_ms = 60 * 1000;
    } else if (unit == "h") {
      unit_ms = 60 * 60 * 1000;
    } else if (unit == "d") {
      unit_ms = 24 * 60 * 60 * 1000;
    } else {
      return std::nullopt;
    }
    total_ms += number * unit_ms;
  }
  return milliseconds(total_ms);
}

std::string format_duration(std::chrono::milliseconds duration) {
  long long ms = duration.count();
  char buffer[64];
  if (ms < 0) {
    return "-" + format_duration(std::chrono::milliseconds(-ms));
  }
  if (ms < 1000) {
    std::snprintf(buffer, sizeof buffer, "%lldms", ms);
  } else if (ms < 60'000) {
    std::snprintf(buffer, sizeof buffer, "%llds", ms / 1000);
  } else if (ms < 3'600'000) {
    std::snprintf(buffer, sizeof buffer, "%lldm%02llds", ms / 60'000, (ms / 1000) % 60);
  } else if (ms < 86'400'000) {
    std::snprintf(buffer, sizeof buffer, "%lldh%02lldm", ms / 3'600'000, (ms / 60'000) % 60);
  } else {
    std::snprintf(buffer, sizeof buffer, "%lldd%lldh", ms / 86'400'000, (ms / 3'600'000) % 24);
  }
  return buffer;
}

}  // namespace cc
