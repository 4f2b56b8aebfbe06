#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace cc {

// Parses a duration such as "250ms", "30s", "5m", "1h" or "1m30s". A bare number is rejected
// because its unit would be a guess. Returns nothing for invalid text.
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text);

// Formats a duration for humans: "850ms", "42s", "3m05s", "2h10m", "3d4h".
std::string format_duration(std::chrono::milliseconds duration);

}  // namespace cc
