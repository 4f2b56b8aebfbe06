#include "common/secret.h"

#include <regex>

namespace cc {

std::string redact_connection_string(std::string_view connection_string) {
  std::string text(connection_string);

  // userinfo of a URI: scheme://user:password@host
  static const std::regex uri_password(R"(^(\s*[a-zA-Z][a-zA-Z0-9+.-]*://[^:/@?#]*):[^@/?#]*@)");
  text = std::regex_replace(text, uri_password, "$1:***@");

  // password=... as a URI query parameter or a keyword/value pair, quoted or not.
  static const std::regex query_password(R"(([?&]password=)[^&#]*)");
  text = std::regex_replace(text, query_password, "$1***");
  static const std::regex keyword_password(R"((^|\s)password\s*=\s*('(\\.|[^'])*'|\S+))");
  text = std::regex_replace(text, keyword_password, "$1password=***");
  return text;
}

std::string one_line_error(std::string_view text) {
  std::string line = redact_connection_string(text);
  for (char& c : line) {
    if (c == '\n' || c == '\r' || c == '\t') {
      c = ' ';
    }
  }
  std::size_t end = line.find_last_not_of(' ');
  line.erase(end == std::string::npos ? 0 : end + 1);
  std::string collapsed;
  for (char c : line) {
    if (!(c == ' ' && !collapsed.empty() && collapsed.back() == ' ')) {
      collapsed += c;
    }
  }
  return collapsed;
}

std::string redact_secret(std::string text, std::string_view secret) {
  if (secret.empty()) {
    return text;
  }
  for (std::size_t at = text.find(secret); at != std::string::npos; at = text.find(secret, at)) {
    text.replace(at, secret.size(), "***");
    at += 3;
  }
  return text;
}

}  // namespace cc
