#pragma once

#include <filesystem>
#include <string>

#include "config/connector_config.h"

namespace cc::delivery {

// The Contractors Cloud API key. It is read from an environment variable or a file, never from
// the command line, and this class never formats it into text other than the Authorization header.
class ApiKey {
 public:
  // Reads the key from the source the [api] section names. Throws cc::RuntimeFailure naming the variable or
  // file (never the key) when it is missing or empty.
  static ApiKey load(const config::ApiConfig& api);

  // Re-reads a key file whose modification time changed, so a rotated key takes effect without a
  // restart. Returns true when the key changed.
  bool reload_if_changed();

  const std::string& value() const { return value_; }
  // Where the key came from, for messages: "environment variable CC_API_KEY" or "file /run/...".
  const std::string& origin() const { return origin_; }

 private:
  std::string value_;
  std::string origin_;
  std::string file_;
  std::filesystem::file_time_type file_time_{};
};

// The Authorization header value for a key, in the configured encoding.
std::string authorization_header(const std::string& key, config::AuthEncoding encoding);

}  // namespace cc::delivery
