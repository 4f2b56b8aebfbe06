#include <iostream>

#include <nlohmann/json.hpp>

#include "capture/source_reader.h"
#include "cli/commands.h"
#include "common/database.h"
#include "common/errors.h"
#include "common/log.h"
#include "config/connector_config.h"
#include "mapping/mapper.h"

namespace cc::cli {

namespace {

const mapping::Mapping& choose_mapping(const std::vector<mapping::Mapping>& mappings, const std::string& source) {
  std::string names;
  for (const mapping::Mapping& mapping : mappings) {
    names += (names.empty() ? "" : ", ") + mapping.source.name;
    if (mapping.source.name == source) {
      return mapping;
    }
  }
  if (source.empty() && mappings.size() == 1) {
    return mappings.front();
  }
  if (source.empty()) {
    throw UsageError("there are several sources (" + names + "); choose one with --source NAME");
  }
  throw UsageError("no mapping defines source '" + source + "'; the sources are: " + names);
}

// Describes where a field's value comes from, for people reading the preview: "column zip | zip5".
std::string describe_origin(const mapping::FieldSpec& field) {
  std::string origin;
  switch (field.kind) {
    case mapping::FieldSpec::Kind::column:
      origin = "column " + field.column;
      break;
    case mapping::FieldSpec::Kind::template_text:
      origin = "template";
      for (const mapping::TemplatePart& part : field.template_parts) {
        if (part.is_column) {
          origin += " {" + part.text + "}";
        }
      }
      break;
    case mapping::FieldSpec::Kind::literal:
      origin = "value";
      break;
    case mapping::FieldSpec::Kind::coalesce:
      origin = "coalesce";
      for (const std::string& column : field.coalesce_columns) {
        origin += " " + column;
      }
      break;
  }
  for (const mapping::TransformStep& transform : field.transforms) {
    origin += " | " + transform.name;
    for (const auto& [argument, values] : transform.arguments) {
      origin += " " + argument + "=";
      for (std::size_t i = 0; i < values.size(); ++i) {
        origin += (i == 0 ? "" : ",") + values[i];
      }
    }
  }
  if (!field.timezone.empty()) {
    origin += " | timezone " + field.timezone;
  }
  if (field.default_value) {
    origin += " | default \"" + *field.default_value + "\"";
  }
  return origin;
}

void print_table(const mapping::Mapping& mapping, const capture::KeyedRow& row, const mapping::MappedRow& mapped) {
  std::string verdict = !row.selected   ? "not selected by source.where, would be skipped"
                        : mapped.valid() ? "valid"
                                         : "INVALID, would be held";
  std::cout << "== " << mapping.source.name << " " << row.row_key << ": " << verdict << "\n";
  for (const mapping::FieldSpec& field : mapping.fields) {
    auto value = mapped.record.find(field.target);
    std::string shown = value == mapped.record.end() ? "(not set)" : "\"" + value->second + "\"";
    constexpr std::size_t max_shown = 70;
    if (shown.size() > max_shown) {
      shown = shown.substr(0, max_shown - 4) + "...\"";
    }
    std::printf("  %-20s %-72s <- %s\n", field.target.c_str(), shown.c_str(), describe_origin(field).c_str());
  }
  for (const mapping::FieldProblem& problem : mapped.problems) {
    std::cout << "  ! " << problem.field << ": " << problem.message << "\n";
  }
  std::cout << "\n";
}

}  // namespace

int command_preview(const GlobalOptions& global, const PreviewOptions& options) {
  if (options.format != "table" && options.format != "json") {
    throw UsageError("--format must be table or json, not '" + options.format + "'");
  }
  if (options.limit < 1) {
    throw UsageError("--limit must be at least 1");
  }
  config::ConnectorConfig config = config::load_connector_config(global.config_path);
  log::setup(global.log_level.empty() ? "warn" : global.log_level);
  std::vector<mapping::Mapping> mappings = mapping::load_mappings(config.mapping_files);
  const mapping::Mapping& mapping = choose_mapping(mappings, options.source);

  auto connection = open_connection(config.database.url, "cc-connector preview");
  pqxx::read_transaction transaction(*connection);
  std::optional<std::string> table = resolve_table(transaction, mapping.source.table);
  if (!table) {
    throw RuntimeFailure("source '" + mapping.source.name + "': table '" + mapping.source.table +
                         "' does not exist (" + mapping.file + ")");
  }
  capture::SourceReader reader(transaction, mapping, *table);
  std::vector<capture::KeyedRow> rows =
      options.key.empty() ? reader.read_first(transaction, options.limit)
                          : reader.read_by_keys(transaction, {capture::stored_key(transaction, mapping, *table, options.key)});
  if (!options.key.empty() && rows.empty()) {
    throw RuntimeFailure("no row of " + *table + " has key " + options.key);
  }

  nlohmann::json list = nlohmann::json::array();
  for (const capture::KeyedRow& row : rows) {
    mapping::MappedRow mapped = mapping::map_row(mapping, row.row);
    if (options.format == "table") {
      print_table(mapping, row, mapped);
      continue;
    }
    nlohmann::json problems = nlohmann::json::array();
    for (const mapping::FieldProblem& problem : mapped.problems) {
      problems.push_back({{"field", problem.field}, {"message", problem.message}});
    }
    nlohmann::json fields = nlohmann::json::array();
    for (const mapping::FieldSpec& field : mapping.fields) {
      auto value = mapped.record.find(field.target);
      fields.push_back({{"field", field.target},
                        {"value", value == mapped.record.end() ? nlohmann::json(nullptr) : nlohmann::json(value->second)},
                        {"from", describe_origin(field)}});
    }
    list.push_back({{"source", mapping.source.name},
                    {"row_key", nlohmann::json::parse(row.row_key)},
                    {"valid", mapped.valid()},
                    {"selected", row.selected},
                    {"record", mapped.record},
                    {"fields", fields},
                    {"problems", problems}});
  }
  if (options.format == "json") {
    std::cout << list.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
  } else if (rows.empty()) {
    std::cout << "table " << *table << " has no rows\n";
  }
  return exit_ok;
}

}  // namespace cc::cli
