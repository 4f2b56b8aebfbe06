#include "delivery/api_key.h"

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "common/errors.h"

namespace cc::delivery {

namespace {

std::string trimmed(std::string text) {
  const char* space = " \t\r\n";
  std::size_t begin = text.find_first_not_of(space);
  if (begin == std::string::npos) {
    return "";
  }
  std::size_t end = text.find_last_not_of(space);
  return text.substr(begin, end - begin + 1);
}

std::string read_key_file(const std::string& path) {
  std::ifstream stream(path, std::ios::binary);
  if (!stream) {
    throw RuntimeFailure("cannot read the API key file " + path + "; check that it exists and that this user can read it");
  }
  std::stringstream content;
  content << stream.rdbuf();
  return trimmed(content.str());
}

std::string base64(const std::string& input) {
  static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < input.size(); i += 3) {
    unsigned n = (static_cast<unsigned char>(input[i]) << 16) | (static_cast<unsigned char>(input[i + 1]) << 8) |
                 static_cast<unsigned char>(input[i + 2]);
    out += alphabet[(n >> 18) & 63];
    out += alphabet[(n >> 12) & 63];
    out += alphabet[(n >> 6) & 63];
    out += alphabet[n & 63];
  }
  if (i + 1 == input.size()) {
    unsigned n = static_cast<unsigned char>(input[i]) << 16;
    out += alphabet[(n >> 18) & 63];
    out += alphabet[(n >> 12) & 63];
    out += "==";
  } else if (i + 2 == input.size()) {
    unsigned n = (static_cast<unsigned char>(input[i]) << 16) | (static_cast<unsigned char>(input[i + 1]) << 8);
    out += alphabet[(n >> 18) & 63];
    out += alphabet[(n >> 12) & 63];
    out += alphabet[(n >> 6) & 63];
    out += '=';
  }
  return out;
}

}  // namespace

ApiKey ApiKey::load(const config::ApiConfig& api) {
  ApiKey key;
  if (!api.key_file.empty()) {
    key.file_ = api.key_file;
    key.origin_ = "file " + api.key_file;
    std::error_code error;
    key.file_time_ = std::filesystem::last_write_time(api.key_file, error);
    key.value_ = read_key_file(api.key_file);
    if (key.value_.empty()) {
      throw RuntimeFailure("the API key file " + api.key_file + " is empty; write the key from Contractors Cloud into it");
    }
    return key;
  }

  key.origin_ = "environment variable " + api.key_env;
  const char* value = std::getenv(api.key_env.c_str());
  if (value == nullptr || trimmed(value).empty()) {
    throw RuntimeFailure("no API key: the environment variable " + api.key_env +
                         " is not set or empty; set it, or set api.key_file to a file that contains the key");
  }
  key.value_ = trimmed(value);
  return key;
}

bool ApiKey::reload_if_changed() {
  if (file_.empty()) {
    return false;
  }
  std::error_code error;
  auto time = std::filesystem::last_write_time(file_, error);
  if (error || time == file_time_) {
    return false;
  }
  file_time_ = time;
  std::string fresh;
  try {
    fresh = read_key_file(file_);
  } catch (const RuntimeFailure&) {
    return false;  // a file being replaced can be missing for a moment; the next check reads it
  }
  if (fresh.empty() || fresh == value_) {
    return false;
  }
  value_ = std::move(fresh);
  return true;
}

std::string authorization_header(const std::string& key, config::AuthEncoding encoding) {
  std::string credentials = "api:" + key;
  if (encoding == config::AuthEncoding::double_encoded) {
    // The API document's PHP example hands base64("api:KEY") to curl's user:password option,
    // which treats it as a user name with an empty password and encodes it again.
    credentials = base64(credentials) + ":";
  }
  return "Authorization: Basic " + base64(credentials);
}

}  // namespace cc::delivery
