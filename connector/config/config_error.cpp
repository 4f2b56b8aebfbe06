#include "config/config_error.h"

#include <algorithm>
#include <fstream>
#include <optional>
#include <sstream>

namespace cc::config {

std::string Diagnostic::to_string() const {
  std::ostringstream out;
  out << file;
  if (line > 0) {
    out << ':' << line;
    if (column > 0) {
      out << ':' << column;
    }
  }
  out << ": " << (severity == Severity::error ? "error" : "warning") << ": " << message;
  return out.str();
}

namespace {

Diagnostic located(Diagnostic::Severity severity, const std::string& file, const toml::source_region& region,
                   std::string message) {
  return Diagnostic{severity, file, static_cast<int>(region.begin.line), static_cast<int>(region.begin.column),
                    std::move(message)};
}

std::string join_messages(const std::vector<Diagnostic>& diagnostics) {
  std::string text;
  for (const Diagnostic& diagnostic : diagnostics) {
    if (!text.empty()) {
      text += '\n';
    }
    text += diagnostic.to_string();
  }
  return text;
}

}  // namespace

Diagnostic error_at(const std::string& file, const toml::node& node, std::string message) {
  return located(Diagnostic::Severity::error, file, node.source(), std::move(message));
}

Diagnostic warning_at(const std::string& file, const toml::node& node, std::string message) {
  return located(Diagnostic::Severity::warning, file, node.source(), std::move(message));
}

Diagnostic warning_at(const std::string& file, const toml::source_region& region, std::string message) {
  return located(Diagnostic::Severity::warning, file, region, std::move(message));
}

Diagnostic error_in_file(const std::string& file, std::string message) {
  return Diagnostic{Diagnostic::Severity::error, file, 0, 0, std::move(message)};
}

ConfigError::ConfigError(std::vector<Diagnostic> diagnostics)
    : std::runtime_error(join_messages(diagnostics)), diagnostics_(std::move(diagnostics)) {}

bool DiagnosticList::has_errors() const {
  return std::any_of(items_.begin(), items_.end(),
                     [](const Diagnostic& d) { return d.severity == Diagnostic::Severity::error; });
}

std::vector<Diagnostic> DiagnosticList::warnings() const {
  std::vector<Diagnostic> found;
  for (const Diagnostic& diagnostic : items_) {
    if (diagnostic.severity == Diagnostic::Severity::warning) {
      found.push_back(diagnostic);
    }
  }
  return found;
}

void DiagnosticList::throw_if_errors() const {
  if (has_errors()) {
    throw ConfigError(items_);
  }
}

toml::table parse_toml_file(const std::string& path) {
  std::ifstream stream(path, std::ios::binary);
  if (!stream) {
    throw ConfigError({error_in_file(path, "cannot read the file: check that it exists and is readable")});
  }
  std::stringstream content;
  content << stream.rdbuf();
  return parse_toml_text(content.str(), path);
}

namespace {

struct StrayCharacter {
  int line = 1;
  int column = 1;
  std::string character;  // its UTF-8 bytes
};

// Finds the first non-ASCII character outside strings and comments, where TOML allows none.
// toml++ 3.3 must not parse one there, because for many such characters (U+00A1 to U+0499, for example)
// its check for Unicode whitespace reaches a branch marked unreachable, which is undefined
// behaviour, before it reports the error. A mapping author writing `city = Québec` without quotes hits it.
std::optional<StrayCharacter> find_stray_non_ascii(std::string_view text) {
  enum class State { normal, comment, basic, literal, multiline_basic, multiline_literal };
  State state = State::normal;
  auto starts = [&](std::size_t at, std::string_view token) { return text.substr(at, token.size()) == token; };

  // A UTF-8 byte order mark, which some Windows editors write, is allowed at the start.
  std::size_t first = starts(0, "\xEF\xBB\xBF") ? 3 : 0;
  for (std::size_t at = first; at < text.size(); ++at) {
    unsigned char byte = static_cast<unsigned char>(text[at]);
    switch (state) {
      case State::normal:
        if (byte >= 0x80) {
          std::size_t length = 1;
          while (at + length < text.size() && (static_cast<unsigned char>(text[at + length]) & 0xC0) == 0x80) {
            ++length;
          }
          // Columns count characters, not UTF-8 bytes.
          StrayCharacter stray;
          std::size_t line_start = 0;
          if (std::size_t newline = text.rfind('\n', at); newline != std::string_view::npos) {
            line_start = newline + 1;
          }
          stray.line = 1 + static_cast<int>(std::count(text.begin(), text.begin() + line_start, '\n'));
          for (std::size_t i = std::max(line_start, first); i < at; ++i) {
            stray.column += (static_cast<unsigned char>(text[i]) & 0xC0) != 0x80 ? 1 : 0;
          }
          stray.character = std::string(text.substr(at, length));
          return stray;
        }
        if (byte == '#') {
          state = State::comment;
        } else if (starts(at, "\"\"\"")) {
          state = State::multiline_basic;
          at += 2;
        } else if (starts(at, "'''")) {
          state = State::multiline_literal;
          at += 2;
        } else if (byte == '"') {
          state = State::basic;
        } else if (byte == '\'') {
          state = State::literal;
        }
        break;
      case State::comment:
        if (byte == '\n') {
          state = State::normal;
        }
        break;
      case State::basic:
      case State::multiline_basic:
        if (byte == '\\') {
          ++at;  // the escaped character cannot end the string
        } else if (state == State::basic && (byte == '"' || byte == '\n')) {
          state = State::normal;
        } else if (state == State::multiline_basic && starts(at, "\"\"\"")) {
          state = State::normal;
          at += 2;
        }
        break;
      case State::literal:
        if (byte == '\'' || byte == '\n') {
          state = State::normal;
        }
        break;
      case State::multiline_literal:
        if (starts(at, "'''")) {
          state = State::normal;
          at += 2;
        }
        break;
    }
  }
  return std::nullopt;
}

}  // namespace

toml::table parse_toml_text(std::string_view text, const std::string& path) {
  if (std::optional<StrayCharacter> stray = find_stray_non_ascii(text)) {
    throw ConfigError({Diagnostic{Diagnostic::Severity::error, path, stray->line, stray->column,
                                  "invalid TOML: the character '" + stray->character +
                                      "' is outside quotes, where TOML allows only ASCII; put the value in "
                                      "quotes (\"...\") or the text in a comment"}});
  }
  try {
    return toml::parse(text, path);
  } catch (const toml::parse_error& error) {
    const toml::source_region& region = error.source();
    throw ConfigError({Diagnostic{Diagnostic::Severity::error, path, static_cast<int>(region.begin.line),
                                  static_cast<int>(region.begin.column),
                                  "invalid TOML: " + std::string(error.description())}});
  }
}

std::string closest_name(const std::string& name, const std::vector<std::string>& allowed) {
  // Levenshtein distance; names here are short, so the quadratic table is cheap.
  auto distance = [](const std::string& a, const std::string& b) {
    std::vector<std::size_t> previous(b.size() + 1), current(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) {
      previous[j] = j;
    }
    for (std::size_t i = 1; i <= a.size(); ++i) {
      current[0] = i;
      for (std::size_t j = 1; j <= b.size(); ++j) {
        std::size_t substitution = previous[j - 1] + (std::tolower(a[i - 1]) == std::tolower(b[j - 1]) ? 0 : 1);
        current[j] = std::min({previous[j] + 1, current[j - 1] + 1, substitution});
      }
      std::swap(previous, current);
    }
    return previous[b.size()];
  };

  // "id" for "job_id": a name that is one underscore-separated part of a candidate is a better
  // hint than a short candidate a few edits away.
  for (const std::string& candidate : allowed) {
    bool suffix = candidate.size() > name.size() + 1 && candidate.compare(candidate.size() - name.size() - 1,
                                                                           name.size() + 1, "_" + name) == 0;
    bool prefix = candidate.size() > name.size() + 1 && candidate.compare(0, name.size() + 1, name + "_") == 0;
    if (suffix || prefix) {
      return candidate;
    }
  }

  std::string best;
  std::size_t best_distance = std::max<std::size_t>(2, name.size() / 3) + 1;
  for (const std::string& candidate : allowed) {
    std::size_t d = distance(name, candidate);
    if (d < best_distance) {
      best_distance = d;
      best = candidate;
    }
  }
  return best;
}

void reject_unknown_keys(const std::string& file, const toml::table& table, const std::string& table_path,
                         const std::vector<std::string>& allowed, DiagnosticList& diagnostics,
                         const std::vector<std::string>& reported_elsewhere) {
  for (const auto& [key, node] : table) {
    std::string name(key.str());
    if (std::find(allowed.begin(), allowed.end(), name) != allowed.end() ||
        std::find(reported_elsewhere.begin(), reported_elsewhere.end(), name) != reported_elsewhere.end()) {
      continue;
    }
    std::string message = "unknown key '" + (table_path.empty() ? name : table_path + "." + name) + "'";
    std::string suggestion = closest_name(name, allowed);
    if (!suggestion.empty()) {
      message += "; did you mean '" + suggestion + "'?";
    } else {
      std::string list;
      for (const std::string& option : allowed) {
        list += (list.empty() ? "" : ", ") + option;
      }
      message += "; the keys allowed here are: " + list;
    }
    const toml::source_region& region = key.source();
    diagnostics.add(Diagnostic{Diagnostic::Severity::error, file, static_cast<int>(region.begin.line),
                               static_cast<int>(region.begin.column), message});
  }
}

}  // namespace cc::config
