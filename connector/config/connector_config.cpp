#include "config/connector_config.h"

#include <glob.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <regex>

#include "common/duration.h"
#include "common/log.h"

namespace cc::config {

namespace {

namespace fs = std::filesystem;

// Upper bound for `concurrency`: more requests in flight than this would look like abuse to a SaaS
// endpoint and gains nothing on one connector's backlog.
constexpr int max_concurrency = 64;

// A `mappings` line below a [table] header lands in that table; it is reported with its own
// message, so the unknown-key check lets it pass.
const std::string misplaced_mappings = "mappings";

class Reader {
 public:
  Reader(std::string file, DiagnosticList& diagnostics) : file_(std::move(file)), diagnostics_(diagnostics) {}

  const toml::table* table(const toml::table& parent, std::string_view key) {
    const toml::node* node = parent.get(key);
    if (node == nullptr) {
      return nullptr;
    }
    if (!node->is_table()) {
      diagnostics_.add(error_at(file_, *node, "'" + std::string(key) + "' must be a table, such as [" +
                                                  std::string(key) + "]"));
      return nullptr;
    }
    return node->as_table();
  }

  void string(const toml::table& table, std::string_view key, std::string& out) {
    if (const toml::node* node = table.get(key)) {
      if (auto value = node->value<std::string>(); value && node->is_string()) {
        out = *value;
      } else {
        diagnostics_.add(error_at(file_, *node, "'" + std::string(key) + "' must be a string in quotes"));
      }
    }
  }

  void integer(const toml::table& table, std::string_view key, int& out, int minimum, int maximum) {
    const toml::node* node = table.get(key);
    if (node == nullptr) {
      return;
    }
    if (!node->is_integer()) {
      diagnostics_.add(error_at(file_, *node, "'" + std::string(key) + "' must be a whole number"));
      return;
    }
    long long value = node->as_integer()->get();
    if (value < minimum || value > maximum) {
      diagnostics_.add(error_at(file_, *node,
                                "'" + std::string(key) + "' is " + std::to_string(value) + "; use a value from " +
                                    std::to_string(minimum) + " to " + std::to_string(maximum)));
      return;
    }
    out = static_cast<int>(value);
  }

  void duration(const toml::table& table, std::string_view key, std::chrono::milliseconds& out,
                std::chrono::milliseconds minimum) {
    const toml::node* node = table.get(key);
    if (node == nullptr) {
      return;
    }
    auto text = node->value<std::string>();
    std::optional<std::chrono::milliseconds> parsed;
    if (node->is_string() && text) {
      parsed = parse_duration(*text);
    }
    if (!parsed) {
      diagnostics_.add(error_at(file_, *node,
                                "'" + std::string(key) + "' must be a duration in quotes with a unit, such as \"30s\", "
                                "\"500ms\" or \"5m\""));
      return;
    }
    if (*parsed < minimum) {
      diagnostics_.add(error_at(file_, *node,
                                "'" + std::string(key) + "' is " + *text + "; use at least " + format_duration(minimum)));
      return;
    }
    out = *parsed;
  }

  template <typename Enum>
  void choice(const toml::table& table, std::string_view key, Enum& out,
              const std::vector<std::pair<std::string, Enum>>& options) {
    const toml::node* node = table.get(key);
    if (node == nullptr) {
      return;
    }
    auto text = node->value<std::string>();
    std::string list;
    for (const auto& [name, value] : options) {
      if (node->is_string() && text && *text == name) {
        out = value;
        return;
      }
      list += (list.empty() ? "\"" : ", \"") + name + "\"";
    }
    diagnostics_.add(error_at(file_, *node, "'" + std::string(key) + "' must be one of " + list));
  }

  void add(Diagnostic diagnostic) { diagnostics_.add(std::move(diagnostic)); }
  const std::string& file() const { return file_; }

 private:
  std::string file_;
  DiagnosticList& diagnostics_;
};

std::vector<std::string> resolve_mapping_patterns(Reader& reader, const toml::node& node, const fs::path& base) {
  std::vector<std::string> files;
  const toml::array* patterns = node.as_array();
  if (patterns == nullptr) {
    reader.add(error_at(reader.file(), node,
                        "'mappings' must be a list of file patterns, such as mappings = [\"mappings/*.toml\"]"));
    return files;
  }

  if (patterns->empty()) {
    reader.add(error_at(reader.file(), node,
                        "'mappings' is empty, so there is nothing to capture; list the mapping files, such as "
                        "mappings = [\"mappings/*.toml\"]"));
  }
  for (const toml::node& entry : *patterns) {
    auto pattern = entry.value<std::string>();
    if (!entry.is_string() || !pattern || pattern->empty()) {
      reader.add(error_at(reader.file(), entry, "each entry of 'mappings' must be a file path or pattern in quotes"));
      continue;
    }

    // Relative patterns are read from the folder of connector.toml, so the service can start anywhere.
    fs::path full = fs::path(*pattern).is_absolute() ? fs::path(*pattern) : base / *pattern;
    glob_t matches{};
    int rc = ::glob(full.c_str(), 0, nullptr, &matches);
    if (rc == GLOB_NOMATCH || (rc == 0 && matches.gl_pathc == 0)) {
      reader.add(error_at(reader.file(), entry,
                          "no mapping file matches '" + *pattern + "' (looked for " + full.string() +
                              "); check the path, which is relative to the folder of this file"));
    } else if (rc != 0) {
      reader.add(error_at(reader.file(), entry, "cannot list files for '" + *pattern + "'"));
    } else {
      for (std::size_t i = 0; i < matches.gl_pathc; ++i) {
        files.push_back(fs::path(matches.gl_pathv[i]).lexically_normal().string());
      }
    }
    globfree(&matches);
  }

  std::sort(files.begin(), files.end());
  files.erase(std::unique(files.begin(), files.end()), files.end());
  return files;
}

}  // namespace

bool is_valid_schema_name(const std::string& name) {
  static const std::regex pattern("[a-z_][a-z0-9_]{0,39}");
  return std::regex_match(name, pattern);
}

ConnectorConfig load_connector_config(const std::string& path) {
  ConnectorConfig config;
  config.path = path;
  toml::table root = parse_toml_file(path);

  DiagnosticList diagnostics;
  Reader reader(path, diagnostics);
  reject_unknown_keys(path, root, "", {"database", "api", "delivery", "capture", "log", "mappings"}, diagnostics);

  // TOML puts every key written after a [table] header into that table, so a `mappings` line placed
  // below [delivery] is read as delivery.mappings. Say so instead of calling it an unknown key.
  for (const auto& [key, node] : root) {
    if (const toml::table* section = node.as_table(); section != nullptr && section->contains("mappings")) {
      const toml::node& misplaced = *section->get("mappings");
      diagnostics.add(error_at(path, misplaced,
                               "'mappings' is read as part of [" + std::string(key.str()) +
                                   "] because it comes after that header; move it to the top of the file, "
                                   "above the first [table]"));
    }
  }

  if (const toml::table* database = reader.table(root, "database")) {
    reject_unknown_keys(path, *database, "database", {"url", "schema"}, diagnostics, {misplaced_mappings});
    reader.string(*database, "url", config.database.url);
    reader.string(*database, "schema", config.database.schema);
    if (!is_valid_schema_name(config.database.schema)) {
      diagnostics.add(error_at(path, *database->get("schema"),
                               "schema '" + config.database.schema +
                                   "' is not a plain lowercase identifier; use letters, digits and underscores, "
                                   "such as \"cc_sync\""));
    }
  }

  if (const toml::table* api = reader.table(root, "api")) {
    reject_unknown_keys(path, *api, "api",
                        {"url", "key_env", "key_file", "format", "auth", "timeout", "connect_timeout", "concurrency",
                         "max_requests_per_second", "ca_file"},
                        diagnostics, {misplaced_mappings, "key"});
    reader.string(*api, "url", config.api.url);
    reader.string(*api, "key_env", config.api.key_env);
    reader.string(*api, "key_file", config.api.key_file);
    reader.choice(*api, "format", config.api.format, {{"form", BodyFormat::form}, {"json", BodyFormat::json}});
    reader.choice(*api, "auth", config.api.auth,
                  {{"basic", AuthEncoding::basic}, {"double-encoded", AuthEncoding::double_encoded}});
    reader.duration(*api, "timeout", config.api.timeout, std::chrono::milliseconds(100));
    reader.duration(*api, "connect_timeout", config.api.connect_timeout, std::chrono::milliseconds(100));
    reader.integer(*api, "concurrency", config.api.concurrency, 1, max_concurrency);
    reader.integer(*api, "max_requests_per_second", config.api.max_requests_per_second, 0, 10'000);
    reader.string(*api, "ca_file", config.api.ca_file);

    static const std::regex http_url(R"(^https?://[^/\s]+(/\S*)?$)");
    if (!std::regex_match(config.api.url, http_url)) {
      diagnostics.add(error_at(path, *api->get("url"),
                               "api.url '" + config.api.url + "' is not an http:// or https:// URL"));
    }
    if (api->contains("key_env") && api->contains("key_file")) {
      diagnostics.add(error_at(path, *api->get("key_file"),
                               "set either api.key_env or api.key_file, not both: the key must have one source"));
    }
    if (api->contains("key")) {
      diagnostics.add(error_at(path, *api->get("key"),
                               "the API key must not be written in the configuration file; put it in the "
                               "environment variable named by api.key_env or in the file named by api.key_file"));
    }
  }
  if (!config.api.key_file.empty() && fs::path(config.api.key_file).is_relative()) {
    config.api.key_file = (fs::path(path).parent_path() / config.api.key_file).lexically_normal().string();
  }

  if (const toml::table* delivery = reader.table(root, "delivery")) {
    reject_unknown_keys(path, *delivery, "delivery",
                        {"max_attempts", "invalid_records", "on_in_doubt", "retry_initial", "retry_max", "auth_retry",
                         "batch_size"},
                        diagnostics, {misplaced_mappings});
    reader.integer(*delivery, "max_attempts", config.delivery.max_attempts, 1, 1000);
    reader.choice(*delivery, "invalid_records", config.delivery.invalid_records,
                  {{"hold", InvalidRecords::hold}, {"send", InvalidRecords::send}});
    reader.choice(*delivery, "on_in_doubt", config.delivery.on_in_doubt,
                  {{"resend", InDoubt::resend}, {"hold", InDoubt::hold}});
    reader.duration(*delivery, "retry_initial", config.delivery.retry_initial, std::chrono::milliseconds(10));
    reader.duration(*delivery, "retry_max", config.delivery.retry_max, std::chrono::milliseconds(10));
    reader.duration(*delivery, "auth_retry", config.delivery.auth_retry, std::chrono::milliseconds(100));
    reader.integer(*delivery, "batch_size", config.delivery.batch_size, 1, 10'000);
    if (config.delivery.retry_initial > config.delivery.retry_max && delivery->contains("retry_max")) {
      diagnostics.add(error_at(path, *delivery->get("retry_max"),
                               "retry_max (" + format_duration(config.delivery.retry_max) +
                                   ") is shorter than retry_initial (" + format_duration(config.delivery.retry_initial) +
                                   "); the backoff ceiling must be at least the first wait"));
    }
  }

  if (const toml::table* capture = reader.table(root, "capture")) {
    reject_unknown_keys(path, *capture, "capture", {"poll_interval"}, diagnostics, {misplaced_mappings});
    reader.duration(*capture, "poll_interval", config.capture.poll_interval, std::chrono::milliseconds(50));
  }

  if (const toml::table* log = reader.table(root, "log")) {
    reject_unknown_keys(path, *log, "log", {"level"}, diagnostics, {misplaced_mappings});
    reader.string(*log, "level", config.log_level);
    if (!log::is_valid_level(config.log_level)) {
      diagnostics.add(error_at(path, *log->get("level"),
                               "log.level '" + config.log_level +
                                   "' is not a level; use trace, debug, info, warn, error, critical or off"));
    }
  }

  fs::path base = fs::path(path).parent_path();
  if (const toml::node* mappings = root.get("mappings")) {
    config.mapping_files = resolve_mapping_patterns(reader, *mappings, base.empty() ? fs::path(".") : base);
  } else {
    diagnostics.add(error_in_file(path, "missing 'mappings': list the mapping files, such as "
                                        "mappings = [\"mappings/*.toml\"]"));
  }

  if (const char* url = std::getenv("CC_DATABASE_URL"); url != nullptr && *url != '\0') {
    config.database.url = url;
  }
  if (config.database.url.empty()) {
    diagnostics.add(error_in_file(path, "no database to connect to: set [database] url or the CC_DATABASE_URL "
                                        "environment variable"));
  }

  diagnostics.throw_if_errors();
  config.warnings = diagnostics.warnings();
  return config;
}

}  // namespace cc::config
