#pragma once

#include <stdexcept>
#include <string>
#include <vector>

#include <toml++/toml.h>

namespace cc::config {

// One finding about a configuration or mapping file, printed as "file:line:column: severity: message"
// so that editors and terminals can jump to it.
struct Diagnostic {
  enum class Severity { error, warning };

  Severity severity = Severity::error;
  std::string file;
  int line = 0;    // 1-based; 0 when the finding concerns the whole file
  int column = 0;  // 1-based; 0 when unknown
  std::string message;

  std::string to_string() const;
};

// Builds a diagnostic located at a TOML node, using the source region toml++ recorded for it.
Diagnostic error_at(const std::string& file, const toml::node& node, std::string message);
Diagnostic warning_at(const std::string& file, const toml::node& node, std::string message);
Diagnostic warning_at(const std::string& file, const toml::source_region& region, std::string message);
Diagnostic error_in_file(const std::string& file, std::string message);

// Every error found in one pass over the configuration, so that the author can fix them all at once.
class ConfigError : public std::runtime_error {
 public:
  explicit ConfigError(std::vector<Diagnostic> diagnostics);
  const std::vector<Diagnostic>& diagnostics() const { return diagnostics_; }

 private:
  std::vector<Diagnostic> diagnostics_;
};

// Collects diagnostics while a file is validated; throws ConfigError at the end if any is an error.
class DiagnosticList {
 public:
  void add(Diagnostic diagnostic) { items_.push_back(std::move(diagnostic)); }
  bool has_errors() const;
  const std::vector<Diagnostic>& items() const { return items_; }
  std::vector<Diagnostic> warnings() const;
  void throw_if_errors() const;

 private:
  std::vector<Diagnostic> items_;
};

// Parses a TOML file, turning a syntax error into a located Diagnostic.
toml::table parse_toml_file(const std::string& path);

// Parses TOML text; `file` names it in diagnostics.
toml::table parse_toml_text(std::string_view text, const std::string& file);

// Reports every key of `table` that is not in `allowed`, with a did-you-mean when one is close.
// Keys in `reported_elsewhere` pass silently because the caller reports them with a better message.
void reject_unknown_keys(const std::string& file, const toml::table& table, const std::string& table_path,
                         const std::vector<std::string>& allowed, DiagnosticList& diagnostics,
                         const std::vector<std::string>& reported_elsewhere = {});

// Returns the allowed name closest to `name` by edit distance, or "" when none is close.
std::string closest_name(const std::string& name, const std::vector<std::string>& allowed);

}  // namespace cc::config
