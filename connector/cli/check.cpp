#include <cstdlib>
#include <iostream>
#include <map>

#include "capture/schema_installer.h"
#include "cli/commands.h"
#include "common/database.h"
#include "common/errors.h"
#include "common/log.h"
#include "common/secret.h"
#include "config/connector_config.h"
#include "mapping/mapping.h"

namespace cc::cli {

namespace {

using config::Diagnostic;

// How long `check` waits for the database before it reports it unreachable and skips the live checks.
constexpr const char* check_connect_timeout_seconds = "5";

Diagnostic located(const mapping::Mapping& mapping, mapping::SourcePosition position, Diagnostic::Severity severity,
                   std::string message) {
  return Diagnostic{severity, mapping.file, position.line, position.column, std::move(message)};
}

// Columns of a table with their type names, or an empty map when it has none.
std::map<std::string, std::string> table_columns(pqxx::transaction_base& transaction, const std::string& table) {
  pqxx::result rows = transaction.exec_params(
      "SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute "
      "WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum",
      table);
  std::map<std::string, std::string> columns;
  for (const pqxx::row& row : rows) {
    columns[row[0].as<std::string>()] = row[1].as<std::string>();
  }
  return columns;
}

void check_column(const mapping::Mapping& mapping, const std::string& table,
                  const std::map<std::string, std::string>& columns, const std::string& column,
                  mapping::SourcePosition position, const std::string& used_by, std::vector<Diagnostic>& found) {
  if (columns.count(column) != 0) {
    return;
  }
  std::vector<std::string> names;
  for (const auto& [name, type] : columns) {
    names.push_back(name);
  }
  std::string message = used_by + " names column '" + column + "', which does not exist in table " + table;
  std::string suggestion = config::closest_name(column, names);
  if (!suggestion.empty()) {
    message += "; did you mean '" + suggestion + "'?";
  } else {
    std::string list;
    for (const std::string& name : names) {
      list += (list.empty() ? "" : ", ") + name;
    }
    message += "; its columns are: " + list;
  }
  found.push_back(located(mapping, position, Diagnostic::Severity::error, message));
}

// Checks every mapping against the live database: tables, key columns and field columns exist.
std::vector<Diagnostic> check_against_database(const config::ConnectorConfig& config,
                                               const std::vector<mapping::Mapping>& mappings) {
  std::vector<Diagnostic> found;
  auto connection = open_connection(config.database.url, "cc-connector check");
  pqxx::read_transaction transaction(*connection);

  std::optional<int> version = capture::installed_schema_version(transaction, config.database.schema);
  if (!version) {
    found.push_back(Diagnostic{Diagnostic::Severity::warning, config.path, 0, 0,
                               "schema " + config.database.schema + " is not installed yet; run `cc-connector init`"});
  } else if (*version != capture::expected_schema_version()) {
    found.push_back(Diagnostic{Diagnostic::Severity::warning, config.path, 0, 0,
                               "schema " + config.database.schema + " is at version " + std::to_string(*version) +
                                   "; run `cc-connector init` to upgrade it to version " +
                                   std::to_string(capture::expected_schema_version())});
  }

  for (const mapping::Mapping& mapping : mappings) {
    std::optional<std::string> table = resolve_table(transaction, mapping.source.table);
    if (!table) {
      found.push_back(located(mapping, mapping.source.table_position, Diagnostic::Severity::error,
                              "table '" + mapping.source.table +
                                  "' does not exist in the database (or this role cannot see it); check "
                                  "source.table and the search_path"));
      continue;
    }
    std::map<std::string, std::string> columns = table_columns(transaction, *table);
    for (const std::string& key : mapping.source.key_columns) {
      check_column(mapping, *table, columns, key, mapping.source.key_position, "source.key", found);
    }
    for (const mapping::FieldSpec& field : mapping.fields) {
      if (field.kind == mapping::FieldSpec::Kind::column) {
        check_column(mapping, *table, columns, field.column, field.column_position, "fields." + field.target, found);
      }
      for (const mapping::TemplatePart& part : field.template_parts) {
        if (part.is_column) {
          check_column(mapping, *table, columns, part.text, part.position, "fields." + field.target + ".template",
                       found);
        }
      }
    }
  }
  return found;
}

}  // namespace

int command_check(const GlobalOptions& global) {
  log::setup(global.log_level.empty() ? "warn" : global.log_level);
  std::vector<Diagnostic> diagnostics;
  config::ConnectorConfig config;
  try {
    config = config::load_connector_config(global.config_path);
  } catch (const config::ConfigError& error) {
    for (const Diagnostic& diagnostic : error.diagnostics()) {
      std::cerr << diagnostic.to_string() << "\n";
    }
    return exit_invalid_configuration;
  }
  diagnostics.insert(diagnostics.end(), config.warnings.begin(), config.warnings.end());

  std::vector<mapping::Mapping> mappings;
  bool mappings_valid = true;
  try {
    mappings = mapping::load_mappings(config.mapping_files);
    for (const mapping::Mapping& mapping : mappings) {
      diagnostics.insert(diagnostics.end(), mapping.warnings.begin(), mapping.warnings.end());
    }
  } catch (const config::ConfigError& error) {
    diagnostics.insert(diagnostics.end(), error.diagnostics().begin(), error.diagnostics().end());
    mappings_valid = false;
  }

  if (mappings_valid) {
    // A short connect timeout: check is run by people at a terminal, who should not wait minutes.
    ::setenv("PGCONNECT_TIMEOUT", check_connect_timeout_seconds, 0);
    try {
      std::vector<Diagnostic> live = check_against_database(config, mappings);
      diagnostics.insert(diagnostics.end(), live.begin(), live.end());
    } catch (const pqxx::broken_connection& error) {
      diagnostics.push_back(Diagnostic{Diagnostic::Severity::warning, config.path, 0, 0,
                                       "database not reachable, so tables and columns were not checked: " +
                                           redact_connection_string(error.what())});
    }
  }

  int errors = 0;
  for (const Diagnostic& diagnostic : diagnostics) {
    std::cerr << diagnostic.to_string() << "\n";
    errors += diagnostic.severity == Diagnostic::Severity::error ? 1 : 0;
  }
  if (errors > 0) {
    std::cerr << errors << (errors == 1 ? " error" : " errors") << " found\n";
    return exit_invalid_configuration;
  }
  std::cout << global.config_path << ": valid (" << mappings.size() << (mappings.size() == 1 ? " mapping" : " mappings")
            << ")\n";
  return exit_ok;
}

}  // namespace cc::cli
