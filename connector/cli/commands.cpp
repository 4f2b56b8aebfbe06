#include "cli/commands.h"

#include <iostream>

#include <spdlog/spdlog.h>

#include "capture/schema_installer.h"
#include "cli/run_loop.h"
#include "common/database.h"
#include "common/errors.h"
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

  std::string before = report.version_before ? std::to_string(*report.version_before) : "not installed";
  std::cout << "schema " << loaded.config.database.schema << ": version " << before << " -> "
            << report.version_after;
  if (report.applied_files.empty()) {
    std::cout << " (already up to date)";
  }
  std::cout << "\n";
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
  Loaded loaded = load_all(global);
  auto connection = open_connection(loaded.config.database.url, "cc-connector status");
  pqxx::read_transaction transaction(*connection);
  if (!capture::installed_schema_version(transaction, loaded.config.database.schema)) {
    throw RuntimeFailure("schema " + loaded.config.database.schema +
                         " is not installed in this database; run `cc-connector init` first");
  }
  constexpr int errors_per_source = 5;
  std::vector<status::SourceStatus> sources =
      status::read_status(transaction, loaded.config.database.schema, errors_per_source);
  if (json) {
    std::cout << status::render_status_json(sources).dump(2) << "\n";
  } else {
    std::cout << status::render_status_text(sources);
  }
  return exit_ok;
}

int command_uninstall(const GlobalOptions& global, bool drop_data) {
  Loaded loaded = load_all(global);
  auto connection = open_connection(loaded.config.database.url, "cc-connector uninstall");
  capture::uninstall_schema(*connection, loaded.config.database.schema, drop_data);
  std::cout << "capture triggers removed" << (drop_data ? "; schema " + loaded.config.database.schema + " dropped" : "")
            << "\n";
  return exit_ok;
}

}  // namespace cc::cli
