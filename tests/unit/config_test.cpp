#include "config/config_error.h"
#include "config/connector_config.h"

#include <doctest/doctest.h>

#include <stdlib.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;

using cc::config::AuthEncoding;
using cc::config::BodyFormat;
using cc::config::ConfigError;
using cc::config::ConnectorConfig;
using cc::config::Diagnostic;
using cc::config::InvalidRecords;
using cc::config::load_connector_config;
using std::chrono::milliseconds;

// A folder under /tmp for one test's files, removed with everything in it when the test ends.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "cc-config-test-XXXXXX").string();
    REQUIRE(mkdtemp(pattern.data()) != nullptr);
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  // Writes a file below the folder, creating its parent folders, and returns its full path.
  std::string write(const std::string& relative_path, const std::string& content) const {
    const fs::path full = path_ / relative_path;
    fs::create_directories(full.parent_path());
    std::ofstream stream(full, std::ios::binary);
    stream << content;
    REQUIRE(stream.good());
    return full.string();
  }

  std::string path(const std::string& relative_path) const { return (path_ / relative_path).string(); }

 private:
  fs::path path_;
};

// Sets or unsets an environment variable for one test and restores the old value afterwards.
class EnvironmentVariable {
 public:
  EnvironmentVariable(std::string name, const char* value) : name_(std::move(name)) {
    if (const char* old = std::getenv(name_.c_str())) {
      old_value_ = old;
    }
    if (value == nullptr) {
      unsetenv(name_.c_str());
    } else {
      setenv(name_.c_str(), value, 1);
    }
  }
  ~EnvironmentVariable() {
    if (old_value_) {
      setenv(name_.c_str(), old_value_->c_str(), 1);
    } else {
      unsetenv(name_.c_str());
    }
  }
  EnvironmentVariable(const EnvironmentVariable&) = delete;
  EnvironmentVariable& operator=(const EnvironmentVariable&) = delete;

 private:
  std::string name_;
  std::optional<std::string> old_value_;
};

// Loads a configuration that must be rejected and returns each diagnostic as
// "file:line:column: severity: message".
std::vector<std::string> load_errors(const std::string& path) {
  try {
    load_connector_config(path);
  } catch (const ConfigError& error) {
    std::vector<std::string> lines;
    for (const Diagnostic& diagnostic : error.diagnostics()) {
      lines.push_back(diagnostic.to_string());
    }
    return lines;
  }
  FAIL("load_connector_config accepted " << path);
  return {};
}

// A folder with connector.toml and one mapping file that its default pattern matches.
std::string write_config(const TempDir& folder, const std::string& content) {
  folder.write("mappings/jobs.toml", "# not read by load_connector_config\n");
  return folder.write("connector.toml", content);
}

const std::string database_and_mappings = R"(mappings = ["mappings/*.toml"]

[database]
url = "postgresql://localhost/shop"
)";

}  // namespace

TEST_CASE("config minimal file uses defaults") {
  EnvironmentVariable database_url("CC_DATABASE_URL", nullptr);
  TempDir folder;
  const std::string path = write_config(folder, database_and_mappings);

  const ConnectorConfig config = load_connector_config(path);

  CHECK(config.path == path);
  CHECK(config.database.url == "postgresql://localhost/shop");
  CHECK(config.database.schema == "cc_sync");
  CHECK(config.api.url == "https://app.contractorscloud.com/api/v2/import/record");
  CHECK(config.api.key_env == "CC_API_KEY");
  CHECK(config.api.key_file.empty());
  CHECK(config.api.format == BodyFormat::form);
  CHECK(config.api.auth == AuthEncoding::basic);
  CHECK(config.api.timeout == milliseconds(30'000));
  CHECK(config.api.connect_timeout == milliseconds(10'000));
  CHECK(config.api.concurrency == 4);
  CHECK(config.api.ca_file.empty());
  CHECK(config.delivery.max_attempts == 12);
  CHECK(config.delivery.invalid_records == InvalidRecords::hold);
  CHECK(config.delivery.retry_initial == milliseconds(1'000));
  CHECK(config.delivery.retry_max == milliseconds(300'000));
  CHECK(config.delivery.auth_retry == milliseconds(60'000));
  CHECK(config.delivery.batch_size == 200);
  CHECK(config.capture.poll_interval == milliseconds(5'000));
  CHECK(config.log_level == "info");
  CHECK(config.mapping_files == std::vector<std::string>{folder.path("mappings/jobs.toml")});
  CHECK(config.warnings.empty());
}

TEST_CASE("config reads every setting") {
  EnvironmentVariable database_url("CC_DATABASE_URL", nullptr);
  TempDir folder;
  const std::string path = write_config(folder, R"(mappings = ["mappings/*.toml"]

[database]
url = "host=db dbname=shop"
schema = "sync_2"

[api]
url = "http://127.0.0.1:8080/import"
key_file = "/run/secrets/cc_api_key"
format = "json"
auth = "double-encoded"
timeout = "45s"
connect_timeout = "500ms"
concurrency = 16
ca_file = "/etc/ssl/extra.pem"

[delivery]
max_attempts = 3
invalid_records = "send"
retry_initial = "250ms"
retry_max = "1m30s"
auth_retry = "2m"
batch_size = 50

[capture]
poll_interval = "1s"

[log]
level = "debug"
)");

  const ConnectorConfig config = load_connector_config(path);

  CHECK(config.database.url == "host=db dbname=shop");
  CHECK(config.database.schema == "sync_2");
  CHECK(config.api.url == "http://127.0.0.1:8080/import");
  CHECK(config.api.key_file == "/run/secrets/cc_api_key");
  CHECK(config.api.format == BodyFormat::json);
  CHECK(config.api.auth == AuthEncoding::double_encoded);
  CHECK(config.api.timeout == milliseconds(45'000));
  CHECK(config.api.connect_timeout == milliseconds(500));
  CHECK(config.api.concurrency == 16);
  CHECK(config.api.ca_file == "/etc/ssl/extra.pem");
  CHECK(config.delivery.max_attempts == 3);
  CHECK(config.delivery.invalid_records == InvalidRecords::send);
  CHECK(config.delivery.retry_initial == milliseconds(250));
  CHECK(config.delivery.retry_max == milliseconds(90'000));
  CHECK(config.delivery.auth_retry == milliseconds(120'000));
  CHECK(config.delivery.batch_size == 50);
  CHECK(config.capture.poll_interval == milliseconds(1'000));
  CHECK(config.log_level == "debug");
}

TEST_CASE("config unknown key suggests name") {
  EnvironmentVariable database_url("CC_DATABASE_URL", nullptr);
  TempDir folder;
  const std::string path = write_config(folder, R"(mappings = ["mappings/*.toml"]

[database]
url = "postgresql://localhost/shop"
shema = "sync"

[api]
timout = "10s"
)");

  const std::vector<std::string> errors = load_errors(path);

  REQUIRE(errors.size() == 2);
  CHECK(errors[0] == path + ":5:1: error: unknown key 'database.shema'; did you mean 'schema'?");
  CHECK(errors[1] == path + ":8:1: error: unknown key 'api.timout'; did you mean 'timeout'?");
}

TEST_CASE("config unknown top-level key") {
  EnvironmentVariable database_url("CC_DATABASE_URL", nullptr);
  TempDir folder;
  const std::string path = write_config(folder, R"(mappings = ["mappings/*.toml"]

[databse]
url = "postgresql://localhost/shop"
)");

  const std::vector<std::string> errors = load_errors(path);

  REQUIRE(errors.size() == 2);
  CHECK(errors[0] == path + ":3:2: error: unknown key 'databse'; did you mean 'database'?");
  CHECK(errors[1] == path +
                         ": error: no database to connect to: set [database] url or the CC_DATABASE_URL environment "
                         "variable");
}

TEST_CASE("config unknown key lists allowed keys") {
  EnvironmentVariable database_url("CC_DATABASE_URL", nullptr);
  TempDir folder;
  const std::string path = write_config(folder, database_and_mappings + R"(
[capture]
interval_between_polls = "1s"
)");

  const std::vector<std::string> errors = load_errors(path);

  REQUIRE(errors.size() == 1);
  CHECK(errors[0] == path + ":7:1: error: unknown key 'capture.interval_between_polls'; the keys allowed here are: "
                            "poll_interval");
}

TEST_CASE("config mappings below table header") {
  EnvironmentVariable database_url("CC_DATABASE_URL", nullptr);
  TempDir folder;
  const std::string path = write_config(folder, R"([database]
url = "postgresql://localhost/shop"
mappings = ["mappings/*.toml"]
)");

  const std::vector<std::string> errors = load_errors(path);

  REQUIRE(errors.size() == 2);
  CHECK(errors[0] == path + ":3:12: error: 'mappings' is read as part of [database] because it comes after that "
                            "header; move it to the top of the file, above the first [table]");
  CHECK(errors[1] == path + ": error: missing 'mappings': list the mapping files, such as mappings = "
                            "[\"mappings/*.toml\"]");
}

TEST_CASE("config mappings below later header") {
  EnvironmentVariable database_url("CC_DATABASE_URL", nullptr);
  TempDir folder;
  const std::string path = write_config(folder, database_and_mappings + R"(
[delivery]
max_attempts = 5
mappings = ["more/*.toml"]
)");

  const std::vector<std::string> errors = load_errors(path);

  // The top-level `mappings` is valid, so the only error is the misplaced copy, not an unknown key.
  REQUIRE(errors.size() == 1);
  CHECK(errors[0] == path + ":8:12: error: 'mappings' is read as part of [delivery] because it comes after that "
                            "header; move it to the top of the file, above the first [table]");
}

TEST_CASE("config missing mappings") {
  EnvironmentVariable database_url("CC_DATABASE_URL", nullptr);
  TempDir folder;
  const std::string path = write_config(folder, R"([database]
url = "postgresql://localhost/shop"
)");

  const std::vector<std::string> errors = load_errors(path);

  REQUIRE(errors.size() == 1);
  CHECK(errors[0] == path + ": error: missing 'mappings': list the mapping files, such as mappings = "
                            "[\"mappings/*.toml\"]");
}

TEST_CASE("config durations need units") {
  EnvironmentVariable database_url("CC_DATABASE_URL", nullptr);
  TempDir folder;
  const std::string path = write_config(folder, database_and_mappings + R"(
[api]
timeout = 30
connect_timeout = "10"

[capture]
poll_interval = "5 s"
)");

  const std::vector<std::string> errors = load_errors(path);

  const std::string unit_hint = " must be a duration in quotes with a unit, such as \"30s\", \"500ms\" or \"5m\"";
  REQUIRE(errors.size() == 3);
  CHECK(errors[0] == path + ":7:11: error: 'timeout'" + unit_hint);
  CHECK(errors[1] == path + ":8:19: error: 'connect_timeout'" + unit_hint);
  CHECK(errors[2] == path + ":11:17: error: 'poll_interval'" + unit_hint);
}

TEST_CASE("config duration below minimum") {
  EnvironmentVariable database_url("CC_DATABASE_URL", nullptr);
  TempDir folder;
  const std::string path = write_config(folder, database_and_mappings + R"(
[delivery]
retry_initial = "5ms"
auth_retry = "0s"
)");

  const std::vector<std::string> errors = load_errors(path);

  REQUIRE(errors.size() == 2);
  CHECK(errors[0] == path + ":7:17: error: 'retry_initial' is 5ms; use at least 10ms");
  CHECK(errors[1] == path + ":8:14: error: 'auth_retry' is 0s; use at least 100ms");
}

TEST_CASE("config rejects API key in file") {
  EnvironmentVariable database_url("CC_DATABASE_URL", nullptr);
  TempDir folder;
  const std::string key = "ck_live_8f3a91d2";
  const std::string path = write_config(folder, database_and_mappings + R"(
[api]
key = ")" + key + R"("
)");

  std::string error_text;
  std::vector<std::string> errors;
  try {
    load_connector_config(path);
    FAIL("load_connector_config accepted api.key");
  } catch (const ConfigError& error) {
    error_text = error.what();
    for (const Diagnostic& diagnostic : error.diagnostics()) {
      errors.push_back(diagnostic.to_string());
    }
  }

  const std::string expected = path + ":7:7: error: the API key must not be written in the configuration file; put "
                                      "it in the environment variable named by api.key_env or in the file named by "
                                      "api.key_file";
  CHECK(std::find(errors.begin(), errors.end(), expected) != errors.end());
  CHECK(error_text.find(key) == std::string::npos);

  CHECK(errors.size() == 1);
}

TEST_CASE("config key_env and key_file conflict") {
  EnvironmentVariable database_url("CC_DATABASE_URL", nullptr);
  TempDir folder;
  const std::string path = write_config(folder, database_and_mappings + R"(
[api]
key_env = "SHOP_CC_KEY"
key_file = "/run/secrets/cc_api_key"
)");

  const std::vector<std::string> errors = load_errors(path);

  REQUIRE(errors.size() == 1);
  CHECK(errors[0] == path + ":8:12: error: set either api.key_env or api.key_file, not both: the key must have one "
                            "source");
}

TEST_CASE("config relative key_file uses config folder") {
  EnvironmentVariable database_url("CC_DATABASE_URL", nullptr);
  TempDir folder;
  const std::string path = write_config(folder, database_and_mappings + R"(
[api]
key_file = "secrets/../secrets/cc_api_key"
)");

  const ConnectorConfig config = load_connector_config(path);

  CHECK(config.api.key_file == folder.path("secrets/cc_api_key"));
}

TEST_CASE("config environment overrides database url") {
  EnvironmentVariable database_url("CC_DATABASE_URL", "postgresql://override@db/shop");
  TempDir folder;
  const std::string path = write_config(folder, database_and_mappings);

  const ConnectorConfig config = load_connector_config(path);

  CHECK(config.database.url == "postgresql://override@db/shop");
}

TEST_CASE("config environment supplies missing url") {
  EnvironmentVariable database_url("CC_DATABASE_URL", "host=db dbname=shop");
  TempDir folder;
  const std::string path = write_config(folder, R"(mappings = ["mappings/*.toml"]
)");

  const ConnectorConfig config = load_connector_config(path);

  CHECK(config.database.url == "host=db dbname=shop");
}

TEST_CASE("config empty environment url is ignored") {
  EnvironmentVariable database_url("CC_DATABASE_URL", "");
  TempDir folder;
  const std::string path = write_config(folder, database_and_mappings);

  const ConnectorConfig config = load_connector_config(path);

  CHECK(config.database.url == "postgresql://localhost/shop");
}

TEST_CASE("config without any database url") {
  EnvironmentVariable database_url("CC_DATABASE_URL", nullptr);
  TempDir folder;
  const std::string path = write_config(folder, R"(mappings = ["mappings/*.toml"]
)");

  const std::vector<std::string> errors = load_errors(path);

  REQUIRE(errors.size() == 1);
  CHECK(errors[0] == path + ": error: no database to connect to: set [database] url or the CC_DATABASE_URL "
                            "environment variable");
}

TEST_CASE("config mapping globs relative to folder") {
  EnvironmentVariable database_url("CC_DATABASE_URL", nullptr);
  TempDir folder;
  folder.write("conf/mappings/b.toml", "");
  folder.write("conf/mappings/a.toml", "");
  folder.write("conf/mappings/readme.txt", "");
  folder.write("conf/extra/c.toml", "");
  folder.write("elsewhere/d.toml", "");
  const std::string path = folder.write("conf/connector.toml", R"(mappings = ["mappings/*.toml", "./extra/c.toml", "mappings/a.toml", ")" +
                                                                   folder.path("elsewhere") + R"(/*.toml"]

[database]
url = "postgresql://localhost/shop"
)");

  const ConnectorConfig config = load_connector_config(path);

  // Sorted, without the duplicate a.toml, and with "./" removed.
  const std::vector<std::string> expected = {
      folder.path("conf/extra/c.toml"),
      folder.path("conf/mappings/a.toml"),
      folder.path("conf/mappings/b.toml"),
      folder.path("elsewhere/d.toml"),
  };
  CHECK(config.mapping_files == expected);
}

TEST_CASE("config mapping pattern without match") {
  EnvironmentVariable database_url("CC_DATABASE_URL", nullptr);
  TempDir folder;
  const std::string path = write_config(folder, R"(mappings = ["mappings/*.toml", "mappings/*.yaml", "mappings/none.toml"]

[database]
url = "postgresql://localhost/shop"
)");

  const std::vector<std::string> errors = load_errors(path);

  const std::string hint = "); check the path, which is relative to the folder of this file";
  REQUIRE(errors.size() == 2);
  CHECK(errors[0] == path + ":1:32: error: no mapping file matches 'mappings/*.yaml' (looked for " +
                         folder.path("mappings/*.yaml") + hint);
  CHECK(errors[1] == path + ":1:51: error: no mapping file matches 'mappings/none.toml' (looked for " +
                         folder.path("mappings/none.toml") + hint);
}

TEST_CASE("config mapping pattern in missing folder") {
  EnvironmentVariable database_url("CC_DATABASE_URL", nullptr);
  TempDir folder;
  const std::string path = write_config(folder, R"(mappings = ["mappings/*.toml", "mapping/*.toml"]

[database]
url = "postgresql://localhost/shop"
)");

  const std::vector<std::string> errors = load_errors(path);

  REQUIRE(errors.size() == 1);
  CHECK(errors[0].starts_with(path + ":1:32: error: "));
  CHECK(errors[0] == path + ":1:32: error: no mapping file matches 'mapping/*.toml' (looked for " +
                        folder.path("mapping/*.toml") +
                        "); check the path, which is relative to the folder of this file");
}

TEST_CASE("config empty mappings list") {
  EnvironmentVariable database_url("CC_DATABASE_URL", nullptr);
  TempDir folder;
  const std::string path = write_config(folder, R"(mappings = []

[database]
url = "postgresql://localhost/shop"
)");

  bool rejected = false;
  try {
    load_connector_config(path);
  } catch (const ConfigError& error) {
    rejected = true;
    REQUIRE(error.diagnostics().size() == 1);
    CHECK(error.diagnostics()[0].to_string().starts_with(path + ":1:12: error: "));
  }

  CHECK(rejected);
}

TEST_CASE("config mappings of wrong type") {
  EnvironmentVariable database_url("CC_DATABASE_URL", nullptr);
  TempDir folder;
  const std::string not_a_list = write_config(folder, R"(mappings = "mappings/*.toml"
database = { url = "postgresql://localhost/shop" }
)");

  std::vector<std::string> errors = load_errors(not_a_list);

  REQUIRE(errors.size() == 1);
  CHECK(errors[0] == not_a_list + ":1:12: error: 'mappings' must be a list of file patterns, such as mappings = "
                                  "[\"mappings/*.toml\"]");

  const std::string bad_entries = folder.write("entries.toml", R"(mappings = ["mappings/*.toml", 7, ""]
database = { url = "postgresql://localhost/shop" }
)");

  errors = load_errors(bad_entries);

  REQUIRE(errors.size() == 2);
  CHECK(errors[0] == bad_entries + ":1:32: error: each entry of 'mappings' must be a file path or pattern in quotes");
  CHECK(errors[1] == bad_entries + ":1:35: error: each entry of 'mappings' must be a file path or pattern in quotes");
}

TEST_CASE("config values out of range") {
  EnvironmentVariable database_url("CC_DATABASE_URL", nullptr);
  TempDir folder;
  const std::string path = write_config(folder, R"(mappings = ["mappings/*.toml"]

[database]
url = "postgresql://localhost/shop"
schema = "CC-Sync"

[api]
url = "ftp://example.com/import"
format = "xml"
auth = "Basic"
concurrency = 0

[delivery]
max_attempts = "12"
invalid_records = "drop"
batch_size = 10001

[log]
level = "verbose"
)");

  const std::vector<std::string> errors = load_errors(path);

  REQUIRE(errors.size() == 9);
  CHECK(errors[0] == path + ":5:10: error: schema 'CC-Sync' is not a plain lowercase identifier; use letters, "
                            "digits and underscores, such as \"cc_sync\"");
  CHECK(errors[1] == path + ":9:10: error: 'format' must be one of \"form\", \"json\"");
  CHECK(errors[2] == path + ":10:8: error: 'auth' must be one of \"basic\", \"double-encoded\"");
  CHECK(errors[3] == path + ":11:15: error: 'concurrency' is 0; use a value from 1 to 64");
  CHECK(errors[4] == path + ":8:7: error: api.url 'ftp://example.com/import' is not an http:// or https:// URL");
  CHECK(errors[5] == path + ":14:16: error: 'max_attempts' must be a whole number");
  CHECK(errors[6] == path + ":15:19: error: 'invalid_records' must be one of \"hold\", \"send\"");
  CHECK(errors[7] == path + ":16:14: error: 'batch_size' is 10001; use a value from 1 to 10000");
  CHECK(errors[8] == path + ":19:9: error: log.level 'verbose' is not a level; use trace, debug, info, warn, error, "
                            "critical or off");
}

TEST_CASE("config section of wrong type") {
  EnvironmentVariable database_url("CC_DATABASE_URL", nullptr);
  TempDir folder;
  const std::string path = write_config(folder, R"(mappings = ["mappings/*.toml"]
database = "postgresql://localhost/shop"
)");

  const std::vector<std::string> errors = load_errors(path);

  REQUIRE(errors.size() == 2);
  CHECK(errors[0] == path + ":2:12: error: 'database' must be a table, such as [database]");
  CHECK(errors[1] == path + ": error: no database to connect to: set [database] url or the CC_DATABASE_URL "
                            "environment variable");
}

TEST_CASE("config invalid TOML syntax") {
  EnvironmentVariable database_url("CC_DATABASE_URL", nullptr);
  TempDir folder;
  const std::string path = write_config(folder, R"(mappings = ["mappings/*.toml"]

[database]
url = "postgresql://localhost/shop
)");

  const std::vector<std::string> errors = load_errors(path);

  REQUIRE(errors.size() == 1);
  CHECK(errors[0].starts_with(path + ":4:"));
  CHECK(errors[0].find(": error: invalid TOML: ") != std::string::npos);
}

TEST_CASE("config file not found") {
  TempDir folder;
  const std::string path = folder.path("missing.toml");

  const std::vector<std::string> errors = load_errors(path);

  REQUIRE(errors.size() == 1);
  CHECK(errors[0] == path + ": error: cannot read the file: check that it exists and is readable");
}

TEST_CASE("config error text joins diagnostics") {
  EnvironmentVariable database_url("CC_DATABASE_URL", nullptr);
  TempDir folder;
  const std::string path = write_config(folder, R"(mappings = ["mappings/*.toml"]

[api]
concurrency = 65
)");

  try {
    load_connector_config(path);
    FAIL("load_connector_config accepted concurrency 65");
  } catch (const ConfigError& error) {
    CHECK(std::string(error.what()) ==
          path + ":4:15: error: 'concurrency' is 65; use a value from 1 to 64\n" + path +
              ": error: no database to connect to: set [database] url or the CC_DATABASE_URL environment variable");
  }
}

TEST_CASE("diagnostic text omits unknown position") {
  using Severity = Diagnostic::Severity;
  CHECK(Diagnostic{Severity::error, "a.toml", 3, 7, "bad"}.to_string() == "a.toml:3:7: error: bad");
  CHECK(Diagnostic{Severity::warning, "a.toml", 3, 0, "odd"}.to_string() == "a.toml:3: warning: odd");
  CHECK(Diagnostic{Severity::error, "a.toml", 0, 0, "bad"}.to_string() == "a.toml: error: bad");
  CHECK(Diagnostic{Severity::error, "a.toml", 0, 7, "bad"}.to_string() == "a.toml: error: bad");
}

TEST_CASE("closest_name finds near names only") {
  const std::vector<std::string> allowed = {"url", "schema", "poll_interval"};
  CHECK(cc::config::closest_name("shema", allowed) == "schema");
  CHECK(cc::config::closest_name("SCHEMA", allowed) == "schema");
  CHECK(cc::config::closest_name("uri", allowed) == "url");
  CHECK(cc::config::closest_name("pollinterval", allowed) == "poll_interval");
  CHECK(cc::config::closest_name("timeout", allowed) == "");
}

TEST_CASE("schema name validation") {
  CHECK(cc::config::is_valid_schema_name("cc_sync"));
  CHECK(cc::config::is_valid_schema_name("_sync2"));
  CHECK(cc::config::is_valid_schema_name(std::string(40, 'a')));
  CHECK_FALSE(cc::config::is_valid_schema_name(std::string(41, 'a')));
  CHECK_FALSE(cc::config::is_valid_schema_name(""));
  CHECK_FALSE(cc::config::is_valid_schema_name("2sync"));
  CHECK_FALSE(cc::config::is_valid_schema_name("CC_Sync"));
  CHECK_FALSE(cc::config::is_valid_schema_name("cc-sync"));
  CHECK_FALSE(cc::config::is_valid_schema_name("cc sync"));
}

TEST_CASE("toml text rejects unquoted non-ASCII") {
  try {
    cc::config::parse_toml_text("[source]\nname = \"jobs\"\ncity = Québec\n", "m.toml");
    FAIL("no error for an unquoted non-ASCII value");
  } catch (const cc::config::ConfigError& error) {
    REQUIRE(error.diagnostics().size() == 1);
    const cc::config::Diagnostic& diagnostic = error.diagnostics()[0];
    CHECK(diagnostic.line == 3);
    CHECK(diagnostic.column == 10);
    CHECK(diagnostic.message.find("'é' is outside quotes") != std::string::npos);
  }
}

TEST_CASE("toml text allows non-ASCII in strings") {
  std::string text =
      "\xEF\xBB\xBF# Québec, Montréal\n"
      "a = \"Québec \\\" «» 、\"\n"
      "b = 'Trois-Rivières'\n"
      "c = \"\"\"\nLévis \"\" Gatineau\n\"\"\"\n"
      "d = '''\nSaint-Jérôme\n'''\n"
      "\"clé\" = 1\n";
  toml::table table = cc::config::parse_toml_text(text, "m.toml");
  CHECK(table["b"].value<std::string>() == "Trois-Rivières");
  CHECK(table["clé"].value<long long>() == 1);
}
