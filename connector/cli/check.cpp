#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <algorithm>
#include <map>

#include "capture/schema_installer.h"
#include "cli/commands.h"
#include "common/database.h"
#include "common/errors.h"
#include "common/log.h"
#include "common/secret.h"
#include "config/connector_config.h"
#include "mapping/field_catalog.h"
#include "mapping/mapping.h"
#include "mapping/transforms.h"

namespace cc::cli {

namespace {

using config::Diagnostic;

// How long `check` waits for the database before it reports it unreachable and skips the live checks.
constexpr const char* check_connect_timeout_seconds = "5";

Diagnostic located(const mapping::Mapping& mapping, mapping::SourcePosition position, Diagnostic::Severity severity,
                   std::string message) {
  return Diagnostic{severity, mapping.file, position.line, position.column, std::move(message)};
}

// A column of what a mapping reads: its type family for transform checks, and its SQL type name.
struct ColumnInfo {
  mapping::ColumnType type = mapping::ColumnType::text;
  std::string type_name;
};

// The columns that reading `relation` returns, with their types. Throws pqxx::sql_error when the
// relation (a table, a view or a parenthesised query) cannot be read.
std::map<std::string, ColumnInfo> relation_columns(pqxx::transaction_base& transaction, const std::string& relation) {
  pqxx::result empty = transaction.exec("SELECT * FROM " + relation + " AS r LIMIT 0");
  std::map<std::string, ColumnInfo> columns;
  for (pqxx::row::size_type i = 0; i < empty.columns(); ++i) {
    ColumnInfo info;
    info.type = mapping::column_type_from_oid(empty.column_type(i));
    pqxx::result name = transaction.exec_params("SELECT format_type($1::oid, NULL)", static_cast<long>(empty.column_type(i)));
    info.type_name = name[0][0].as<std::string>();
    columns[empty.column_name(i)] = info;
  }
  return columns;
}

// Character limit of a varchar(n) or char(n) column of a table or view, or 0 when unlimited.
std::size_t declared_length(pqxx::transaction_base& transaction, const std::string& relation, const std::string& column) {
  pqxx::result found = transaction.exec_params(
      "SELECT CASE WHEN atttypid IN ('varchar'::regtype, 'bpchar'::regtype) AND atttypmod > 4 THEN atttypmod - 4 "
      "ELSE 0 END FROM pg_attribute WHERE attrelid = to_regclass($1) AND attname = $2 AND NOT attisdropped",
      relation, column);
  return found.empty() ? 0 : found[0][0].as<std::size_t>();
}

void check_column(const mapping::Mapping& mapping, const std::string& relation,
                  const std::map<std::string, ColumnInfo>& columns, const std::string& column,
                  mapping::SourcePosition position, const std::string& used_by, std::vector<Diagnostic>& found) {
  if (columns.count(column) != 0) {
    return;
  }
  std::vector<std::string> names;
  for (const auto& [name, type] : columns) {
    names.push_back(name);
  }
  std::string message = used_by + " names column '" + column + "', which does not exist in " + relation;
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

// The first column a field reads, whose type decides which transforms fit; nullptr for a
// template or literal, which are text.
const ColumnInfo* field_column(const mapping::FieldSpec& field, const std::map<std::string, ColumnInfo>& columns) {
  const std::string* name = nullptr;
  if (field.kind == mapping::FieldSpec::Kind::column) {
    name = &field.column;
  } else if (field.kind == mapping::FieldSpec::Kind::coalesce && !field.coalesce_columns.empty()) {
    name = &field.coalesce_columns.front();
  }
  if (name == nullptr) {
    return nullptr;
  }
  auto found = columns.find(*name);
  return found == columns.end() ? nullptr : &found->second;
}

void check_field_types(const mapping::Mapping& mapping, const mapping::FieldSpec& field, const std::string& relation,
                       const std::map<std::string, ColumnInfo>& columns, pqxx::transaction_base& transaction,
                       bool relation_is_table, std::vector<Diagnostic>& found) {
  const ColumnInfo* column = field_column(field, columns);

  // Only the first transform reads the column's own type, because later ones read the text it returns.
  if (column != nullptr && !field.transforms.empty() &&
      !mapping::transform_accepts(field.transforms.front().name, column->type)) {
    found.push_back(located(mapping, field.transform_positions.front(), Diagnostic::Severity::error,
                            "fields." + field.target + ": transform " + field.transforms.front().name +
                                " cannot read column '" +
                                (field.kind == mapping::FieldSpec::Kind::column ? field.column
                                                                                : field.coalesce_columns.front()) +
                                "' of type " + column->type_name +
                                "; convert it in a source.query, or use a transform made for that type"));
  }

  // A field the API stores as varchar(155) fed from a longer column is cut by the API or rejected.
  bool truncated = std::any_of(field.transforms.begin(), field.transforms.end(),
                               [](const mapping::TransformStep& step) { return step.name == "truncate"; });
  // Fields with a short limit (req_state) get their form from a transform such as state_code,
  // which the catalog validates, so only the long text limits are worth a warning.
  if (field.max_length < mapping::unknown_field_max_length || truncated || column == nullptr) {
    return;
  }
  std::size_t limit = 0;
  if (relation_is_table && field.kind == mapping::FieldSpec::Kind::column) {
    limit = declared_length(transaction, relation, field.column);
  }
  bool unbounded_text = column->type == mapping::ColumnType::text || column->type == mapping::ColumnType::json;
  if ((limit == 0 && unbounded_text) || limit > field.max_length) {
    found.push_back(located(mapping, field.position, Diagnostic::Severity::warning,
                            "fields." + field.target + " comes from a column of type " + column->type_name +
                                ", whose values may exceed the " + std::to_string(field.max_length) +
                                " characters the API stores; add the truncate transform"));
  }
}

// Checks a mapping against the live database: table, view or query, key, field and template
// columns, the where expression and the column types the transforms read.
void check_mapping(const mapping::Mapping& mapping, pqxx::connection& connection, std::vector<Diagnostic>& found) {
  pqxx::nontransaction transaction(connection);
  std::optional<std::string> table = resolve_table(transaction, mapping.source.table);
  if (!table) {
    found.push_back(located(mapping, mapping.source.table_position, Diagnostic::Severity::error,
                            "table '" + mapping.source.table +
                                "' does not exist in the database (or this role cannot see it); check "
                                "source.table and the search_path"));
    return;
  }
  std::map<std::string, ColumnInfo> table_columns = relation_columns(transaction, *table);
  for (const std::string& key : mapping.source.key_columns) {
    check_column(mapping, "table " + *table, table_columns, key, mapping.source.key_position, "source.key", found);
  }
  for (const auto& [column, position] : mapping.writeback.columns) {
    check_column(mapping, "table " + *table, table_columns, column, position, "writeback", found);
  }

  std::string relation = *table;
  std::string described = "table " + *table;
  mapping::SourcePosition relation_position = mapping.source.table_position;
  if (!mapping.source.view.empty()) {
    std::optional<std::string> view = resolve_table(transaction, mapping.source.view);
    if (!view) {
      found.push_back(located(mapping, mapping.source.view_position, Diagnostic::Severity::error,
                              "view '" + mapping.source.view + "' does not exist in the database; check source.view"));
      return;
    }
    relation = *view;
    described = "view " + *view;
    relation_position = mapping.source.view_position;
  } else if (!mapping.source.query.empty()) {
    relation = "(" + mapping.source.query + ")";
    described = "source.query";
    relation_position = mapping.source.query_position;
  }

  std::map<std::string, ColumnInfo> columns;
  try {
    columns = relation_columns(transaction, relation);
  } catch (const pqxx::sql_error& error) {
    found.push_back(located(mapping, relation_position, Diagnostic::Severity::error,
                            described + " cannot be read: " + error.what()));
    return;
  }
  if (relation != *table) {
    for (const std::string& key : mapping.source.key_columns) {
      check_column(mapping, described, columns, key, relation_position, described + " must return key column", found);
    }
  }

  if (!mapping.source.where.empty()) {
    try {
      transaction.exec("SELECT 1 FROM " + relation + " AS r WHERE (" + mapping.source.where + ") LIMIT 0");
    } catch (const pqxx::sql_error& error) {
      found.push_back(located(mapping, mapping.source.where_position, Diagnostic::Severity::error,
                              "source.where is not a valid condition on " + described + ": " + error.what()));
    }
  }

  for (const mapping::FieldSpec& field : mapping.fields) {
    if (field.kind == mapping::FieldSpec::Kind::column) {
      check_column(mapping, described, columns, field.column, field.column_position, "fields." + field.target, found);
    }
    for (std::size_t i = 0; i < field.coalesce_columns.size(); ++i) {
      check_column(mapping, described, columns, field.coalesce_columns[i], field.coalesce_positions[i],
                   "fields." + field.target + ".coalesce", found);
    }
    for (const mapping::TemplatePart& part : field.template_parts) {
      if (part.is_column) {
        check_column(mapping, described, columns, part.text, part.position, "fields." + field.target + ".template",
                     found);
      }
    }
    check_field_types(mapping, field, relation, columns, transaction, relation == *table || !mapping.source.view.empty(),
                      found);
  }
}

std::vector<Diagnostic> check_against_database(const config::ConnectorConfig& config,
                                               const std::vector<mapping::Mapping>& mappings) {
  std::vector<Diagnostic> found;
  auto connection = open_connection(config.database.url, "cc-connector check");
  {
    pqxx::nontransaction transaction(*connection);
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
  }
  for (const mapping::Mapping& mapping : mappings) {
    check_mapping(mapping, *connection, found);
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

  if (config.api.key_file.empty()) {
    const char* key = std::getenv(config.api.key_env.c_str());
    if (key == nullptr || *key == '\0') {
      diagnostics.push_back(Diagnostic{Diagnostic::Severity::warning, config.path, 0, 0,
                                       "the environment variable " + config.api.key_env +
                                           " that api.key_env names is not set, so `run` cannot send; set it to the "
                                           "Contractors Cloud API key"});
    }
  } else if (::access(config.api.key_file.c_str(), R_OK) != 0) {
    diagnostics.push_back(Diagnostic{Diagnostic::Severity::warning, config.path, 0, 0,
                                     "the API key file " + config.api.key_file +
                                         " cannot be read, so `run` cannot send; create it or fix api.key_file"});
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
