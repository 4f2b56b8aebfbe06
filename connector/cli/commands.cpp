#include "cli/commands.h"

#include <iostream>

#include <spdlog/spdlog.h>

#include "capture/schema_installer.h"
#include "capture/source_reader.h"
#include "cli/run_loop.h"
#include "common/database.h"
#include "common/errors.h"
#include "common/secret.h"
#include "common/log.h"
#include "config/connector_config.h"
#include "delivery/api_key.h"
#include "mapping/mapping.h"
#include "status/status_report.h"

namespace cc::cli {

namespace {

struct Loaded {
  config::ConnectorConfig config;
  std::vector<mapping::Mapping> mappings;
};

// Loads and validates the configuration and every mapping before anything connects; warnings go
// to the log, errors throw config::ConfigError.
Loaded load_all(const GlobalOptions& global) {
  Loaded loaded{config::load_connector_config(global.config_path), {}};
  log::setup(global.log_level.empty() ? loaded.config.log_level : global.log_level);
  loaded.mappings = mapping::load_mappings(loaded.config.mapping_files);

  for (const config::Diagnostic& warning : loaded.config.warnings) {
    spdlog::warn("{}", warning.to_string());
  }
  for (const mapping::Mapping& mapping : loaded.mappings) {
    for (const config::Diagnostic& warning : mapping.warnings) {
      spdlog::debug("{}", warning.to_string());
    }
  }
  return loaded;
}

}  // namespace

int command_init(const GlobalOptions& global) {
  Loaded loaded = load_all(global);
  auto connection = open_connection(loaded.config.database.url, "cc-connector init");
  capture::InstallReport report =
      capture::install_schema(*connection, loaded.config.database.schema, loaded.mappings);

  const std::string& schema = loaded.config.database.schema;
  if (!report.version_before) {
    std::cout << "schema " << schema << " installed at version " << report.version_after << "\n";
  } else if (report.applied_files.empty()) {
    std::cout << "schema " << schema << " is already at version " << report.version_after << "\n";
  } else {
    std::cout << "schema " << schema << " upgraded from version " << *report.version_before << " to "
              << report.version_after << "\n";
  }
  for (const std::string& source : report.installed_sources) {
    std::cout << "capture installed: " << source << "\n";
  }
  return exit_ok;
}

int command_run(const GlobalOptions& global, bool once) {
  Loaded loaded = load_all(global);
  delivery::ApiKey key = delivery::ApiKey::load(loaded.config.api);
  install_stop_signal_handlers();
  return run_connector(loaded.config, loaded.mappings, std::move(key), RunOptions{once});
}

int command_status(const GlobalOptions& global, bool json) {
  // Only connector.toml is read: a mapping being edited must not hide the delivery state.
  Loaded loaded{config::load_connector_config(global.config_path), {}};
  log::setup(global.log_level.empty() ? loaded.config.log_level : global.log_level);
  auto connection = open_connection(loaded.config.database.url, "cc-connector status");
  pqxx::read_transaction transaction(*connection);
  if (!capture::installed_schema_version(transaction, loaded.config.database.schema)) {
    throw RuntimeFailure("schema " + loaded.config.database.schema +
                         " is not installed in this database; run `cc-connector init` first");
  }
  constexpr int errors_per_source = 5;
  status::StatusReport report = status::read_status(transaction, loaded.config.database.schema, errors_per_source);
  if (json) {
    std::cout << status::render_status_json(report).dump(2) << "\n";
  } else {
    std::cout << status::render_status_text(report);
  }
  return exit_ok;
}

int command_retry(const GlobalOptions& global, const RetryOptions& options) {
  if (options.state != "failed" && options.state != "held" && options.state != "all") {
    throw UsageError("--state must be failed, held or all, not '" + options.state + "'");
  }
  Loaded loaded = load_all(global);
  std::string schema = loaded.config.database.schema;
  auto connection = open_connection(loaded.config.database.url, "cc-connector retry");
  pqxx::work transaction(*connection);

  std::string states = options.state == "all" ? "'failed', 'held'" : transaction.quote(options.state);
  std::string sql = "UPDATE " + schema + ".import_status SET state = 'pending', attempts = 0, next_attempt_at = now(), "
                    "error = NULL, updated_at = now() WHERE state IN (" + states + ")";
  if (!options.source.empty()) {
    sql += " AND source = " + transaction.quote(options.source);
  }
  if (!options.key.empty()) {
    const mapping::Mapping* mapping = nullptr;
    for (const mapping::Mapping& candidate : loaded.mappings) {
      if (candidate.source.name == options.source || (options.source.empty() && loaded.mappings.size() == 1)) {
        mapping = &candidate;
      }
    }
    if (mapping == nullptr) {
      throw UsageError(options.source.empty() ? "there are several sources; name the key's source with --source NAME"
                                              : "no mapping defines source '" + options.source + "'");
    }
    sql += " AND source = " + transaction.quote(mapping->source.name);
    std::optional<std::string> table = resolve_table(transaction, mapping->source.table);
    if (!table) {
      throw RuntimeFailure("source '" + mapping->source.name + "': table '" + mapping->source.table +
                           "' does not exist");
    }
    std::string key = capture::stored_key(transaction, *mapping, *table, options.key);
    sql += " AND row_key = " + transaction.quote(key) + "::jsonb";
  }
  long long count = static_cast<long long>(transaction.exec(sql + " RETURNING 1").size());
  transaction.commit();
  spdlog::info("retry queued rows={} state={} source={}", count, options.state,
               options.source.empty() ? "all" : options.source);
  if (count == 0 && !options.key.empty()) {
    throw UsageError("no row with key " + options.key + " is in state " +
                     (options.state == "all" ? std::string("failed or held") : options.state) +
                     "; `cc-connector status` lists the recent failures");
  }
  std::cout << count << (count == 1 ? " row" : " rows") << " queued to be sent again by `cc-connector run`\n";
  return exit_ok;
}

int command_backfill(const GlobalOptions& global, const BackfillOptions& options) {
  Loaded loaded = load_all(global);
  const mapping::Mapping* mapping = nullptr;
  for (const mapping::Mapping& candidate : loaded.mappings) {
    if (candidate.source.name == options.source || (options.source.empty() && loaded.mappings.size() == 1)) {
      mapping = &candidate;
    }
  }
  if (mapping == nullptr) {
    throw UsageError(options.source.empty() ? "there are several sources; choose one with --source NAME"
                                            : "no mapping defines source '" + options.source + "'");
  }

  std::string schema = loaded.config.database.schema;
  auto connection = open_connection(loaded.config.database.url, "cc-connector backfill");
  pqxx::work transaction(*connection);
  if (!capture::installed_schema_version(transaction, schema)) {
    throw RuntimeFailure("schema " + schema + " is not installed in this database; run `cc-connector init` first");
  }
  std::optional<std::string> table = resolve_table(transaction, mapping->source.table);
  if (!table) {
    throw RuntimeFailure("source '" + mapping->source.name + "': table '" + mapping->source.table + "' does not exist");
  }

  // Existing rows enter the change log like captured changes, so `run` sends them with the same
  // rules; a row already imported stays imported.
  std::string key = "jsonb_build_object(";
  for (std::size_t i = 0; i < mapping->source.key_columns.size(); ++i) {
    const std::string& column = mapping->source.key_columns[i];
    key += (i == 0 ? "" : ", ") + transaction.quote(column) + ", t." + transaction.quote_name(column);
  }
  key += ")";
  std::string sql = "WITH queued AS (INSERT INTO " + schema + ".change_log (source, row_key) SELECT " +
                    transaction.quote(mapping->source.name) + ", " + key + " FROM " + *table + " AS t";
  if (!options.where.empty()) {
    sql += " WHERE (" + options.where + ")";
  }
  sql += " RETURNING row_key) SELECT count(*), count(s.row_key) FROM queued q LEFT JOIN " + schema +
         ".import_status s ON s.source = " + transaction.quote(mapping->source.name) +
         " AND s.row_key = q.row_key AND s.state = 'imported'";
  pqxx::result counts;
  try {
    counts = transaction.exec(sql);
  } catch (const pqxx::sql_error& error) {
    if (options.where.empty()) {
      throw;
    }
    throw UsageError("--where \"" + options.where + "\" is not a valid condition on " + *table + ": " +
                     one_line_error(error.what()));
  }
  transaction.commit();
  long long count = counts[0][0].as<long long>();
  long long imported = counts[0][1].as<long long>();
  spdlog::info("backfill queued source={} rows={} already_imported={}", mapping->source.name, count, imported);
  std::cout << count << (count == 1 ? " row" : " rows") << " of " << *table << " queued; `cc-connector run` sends "
            << (imported == 0 ? "them" : std::to_string(count - imported) + " of them, since " +
                                             std::to_string(imported) + " were already imported and are not sent again")
            << "\n";
  return exit_ok;
}

int command_uninstall(const GlobalOptions& global, bool drop_data) {
  Loaded loaded = load_all(global);
  auto connection = open_connection(loaded.config.database.url, "cc-connector uninstall");
  if (!capture::uninstall_schema(*connection, loaded.config.database.schema, drop_data)) {
    std::cout << "schema " << loaded.config.database.schema << " is not installed; nothing to remove\n";
    return exit_ok;
  }
  std::cout << "capture triggers removed" << (drop_data ? "; schema " + loaded.config.database.schema + " dropped" : "")
            << "\n";
  return exit_ok;
}

}  // namespace cc::cli
