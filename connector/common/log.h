#pragma once

#include <string_view>

#include <spdlog/spdlog.h>

namespace cc::log {

// Sends every log line to standard error with a UTC timestamp, so a service manager or
// `docker logs` keeps them in order with the connector's other output.
void setup(std::string_view level);

// Returns true for the level names spdlog accepts: trace, debug, info, warn, error, critical, off.
bool is_valid_level(std::string_view level);

}  // namespace cc::log
