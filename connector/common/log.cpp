#include "common/log.h"

#include <spdlog/sinks/stdout_sinks.h>

namespace cc::log {

bool is_valid_level(std::string_view level) {
  for (std::string_view name : {"trace", "debug", "info", "warn", "error", "critical", "off"}) {
    if (level == name) {
      return true;
    }
  }
  return false;
}

void setup(std::string_view level) {
  auto logger = spdlog::stderr_logger_mt("cc-connector");
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %l %v", spdlog::pattern_time_type::utc);
  logger->set_level(spdlog::level::from_str(std::string(level)));
  logger->flush_on(spdlog::level::trace);
  spdlog::set_default_logger(logger);
}

}  // namespace cc::log
