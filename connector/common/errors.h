#pragma once

#include <stdexcept>
#include <string>

namespace cc {

// Exit codes of every command: 0 success, 1 runtime failure, 2 invalid usage or configuration.
inline constexpr int exit_ok = 0;
inline constexpr int exit_runtime_failure = 1;
inline constexpr int exit_invalid_configuration = 2;

// A failure at run time that the operator must fix before the command can succeed, such as a
// schema that `init` has not installed or an API key that the API rejected. Exits with 1.
class RuntimeFailure : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Invalid usage detected after the configuration was loaded, such as a source name that no
// mapping defines. Exits with 2. Configuration file errors use config::ConfigError instead.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace cc
