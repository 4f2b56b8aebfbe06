#include "mapping/mapping.h"

#include <algorithm>
#include <regex>
#include <set>
#include <sstream>

#include "mapping/field_catalog.h"
#include "mapping/transforms.h"

namespace cc::mapping {

namespace {

using config::DiagnosticList;
using config::error_at;
using config::warning_at;

SourcePosition position_of(const toml::node& node) {
  return {static_cast<int>(node.source().begin.line), static_cast<int>(node.source().begin.column)};
}

SourcePosition position_of(const toml::key& key) {
  return {static_cast<int>(key.source().begin.line), static_cast<int>(key.source().begin.column)};
}

// Splits "{last}, {first}" into literal and column parts. "{{" and "}}" stand for literal braces.
std::vector<TemplatePart> parse_template(const std::string& file, const toml::node& node, const std::string& text,
                                         DiagnosticList& diagnostics) {
  std::vector<TemplatePart> parts;
  std::string literal;
  SourcePosition base = position_of(node);
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '{' && i + 1 < text.size() && text[i + 1] == '{') {
      literal += '{';
      ++i;
    } else if (c == '}' && i + 1 < text.size() && text[i + 1] == '}') {
      literal += '}';
      ++i;
    } else if (c == '{') {
      std::size_t close = text.find('}', i);
      std::size_t nested = text.find('{', i + 1);
      if (close == std::string::npos || (nested != std::string::npos && nested < close)) {
        diagnostics.add(error_at(file, node, "template '" + text + "' has a '{' without a closing '}'; write '{{' for "
                                             "a literal brace"));
        return parts;
      }
      std::string column = text.substr(i + 1, close - i - 1);
      if (column.empty()) {
        diagnostics.add(error_at(file, node, "template '" + text + "' has an empty '{}'; put a column name inside"));
        return parts;
      }
      if (!literal.empty()) {
        parts.push_back({false, literal, base});
        literal.clear();
      }
      parts.push_back({true, column, base});
      i = close;
    } else if (c == '}') {
      diagnostics.add(error_at(file, node, "template '" + text + "' has a '}' without an opening '{'; write '}}' for "
                                           "a literal brace"));
      return parts;
    } else {
      literal += c;
    }
  }
  if (!literal.empty()) {
    parts.push_back({false, literal, base});
  }
  return parts;
}

std::optional<std::string> string_value(const std::string& file, const toml::node& node, const std::string& what,
                                        DiagnosticList& diagnostics) {
  if (!node.is_string()) {
    diagnostics.add(error_at(file, node, what + " must be a string in quotes"));
    return std::nullopt;
  }
  return node.value<std::string>();
}

// Reads a TOML string or list of strings into `out`; reports anything else.
bool string_list(const std::string& file, const toml::node& node, const std::string& what,
                 std::vector<std::string>& out, DiagnosticList& diagnostics) {
  if (node.is_string()) {
    out.push_back(*node.value<std::string>());
    return true;
  }
  const toml::array* list = node.as_array();
  if (list == nullptr) {
    diagnostics.add(error_at(file, node, what + " must be a string or a list of strings"));
    return false;
  }
  for (const toml::node& entry : *list) {
    if (!entry.is_string()) {
      diagnostics.add(error_at(file, entry, what + " must contain only strings in quotes"));
      return false;
    }
    out.push_back(*entry.value<std::string>());
  }
  return true;
}

std::string unknown_transform_message(const std::string& name, const std::string& field) {
  std::vector<std::string> known;
  for (std::string_view known_name : transform_names()) {
    known.emplace_back(known_name);
  }
  std::string message = "unknown transform '" + name + "' in fields." + field;
  std::string suggestion = config::closest_name(name, known);
  if (!suggestion.empty()) {
    return message + "; did you mean '" + suggestion + "'?";
  }
  std::string list;
  for (const std::string& option : known) {
    list += (list.empty() ? "" : ", ") + option;
  }
  return message + "; the transforms are: " + list;
}

// Reads one step: "trim", or { name = "name_part", part = "first" }.
std::optional<TransformStep> read_transform_step(const std::string& file, const toml::node& entry,
                                                 const std::string& field, DiagnosticList& diagnostics) {
  TransformStep step;
  const toml::table* spec = entry.as_table();
  if (entry.is_string()) {
    step.name = *entry.value<std::string>();
  } else if (spec != nullptr && spec->contains("name") && (*spec)["name"].is_string()) {
    step.name = *(*spec)["name"].value<std::string>();
  } else {
    diagnostics.add(error_at(file, entry, "each step of fields." + field +
                                              ".transform must be a transform name in quotes, or a table with a "
                                              "name such as { name = \"name_part\", part = \"first\" }"));
    return std::nullopt;
  }

  const TransformSignature* signature = transform_signature(step.name);
  if (signature == nullptr) {
    diagnostics.add(error_at(file, entry, unknown_transform_message(step.name, field)));
    return std::nullopt;
  }

  bool valid = true;
  if (spec != nullptr) {
    std::vector<std::string> allowed = {"name"};
    allowed.insert(allowed.end(), signature->required.begin(), signature->required.end());
    allowed.insert(allowed.end(), signature->optional.begin(), signature->optional.end());
    DiagnosticList unknown;
    config::reject_unknown_keys(file, *spec, "fields." + field + ".transform." + step.name, allowed, unknown);
    for (const config::Diagnostic& diagnostic : unknown.items()) {
      diagnostics.add(diagnostic);
      valid = false;
    }
    for (const auto& [key, value] : *spec) {
      std::string argument(key.str());
      if (argument == "name" || std::find(allowed.begin(), allowed.end(), argument) == allowed.end()) {
        continue;
      }
      std::vector<std::string> values;
      if (value.is_integer() || value.is_floating_point() || value.is_boolean()) {
        // Numbers and booleans are accepted as written, since every argument is text to the transform.
        std::ostringstream text;
        if (value.is_integer()) {
          text << value.as_integer()->get();
        } else if (value.is_boolean()) {
          text << (value.as_boolean()->get() ? "true" : "false");
        } else {
          text << value.as_floating_point()->get();
        }
        values.push_back(text.str());
      } else if (!string_list(file, value, "argument '" + argument + "' of transform " + step.name, values,
                              diagnostics)) {
        valid = false;
        continue;
      }
      step.arguments[argument] = std::move(values);
    }
  }
  for (const std::string& required : signature->required) {
    if (step.arguments.count(required) == 0) {
      diagnostics.add(error_at(file, entry, "transform " + step.name + " in fields." + field +
                                                " needs the argument '" + required + "', such as { name = \"" +
                                                step.name + "\", " + required + " = \"...\" }"));
      valid = false;
    }
  }
  if (!valid) {
    return std::nullopt;
  }
  return step;
}

void read_transforms(const std::string& file, const toml::node& node, FieldSpec& field, DiagnosticList& diagnostics) {
  std::vector<const toml::node*> entries;
  if (node.is_string() || node.is_table()) {
    entries.push_back(&node);
  } else if (const toml::array* list = node.as_array()) {
    for (const toml::node& entry : *list) {
      entries.push_back(&entry);
    }
  } else {
    diagnostics.add(error_at(file, node, "fields." + field.target +
                                             ".transform must be a list of transforms, such as [\"trim\", \"upper\"]"));
    return;
  }

  for (const toml::node* entry : entries) {
    if (std::optional<TransformStep> step = read_transform_step(file, *entry, field.target, diagnostics)) {
      field.transforms.push_back(std::move(*step));
      field.transform_positions.push_back(position_of(*entry));
    }
  }
}

FieldSpec read_field(const std::string& file, const toml::key& key, const toml::node& node,
                     DiagnosticList& diagnostics) {
  FieldSpec field;
  field.target = std::string(key.str());
  field.position = position_of(key);
  field.column_position = position_of(node);
  const std::string path = "fields." + field.target;

  if (node.is_string()) {
    field.kind = FieldSpec::Kind::column;
    field.column = *node.value<std::string>();
  } else if (const toml::table* spec = node.as_table()) {
    config::reject_unknown_keys(file, *spec, path,
                                {"column", "template", "value", "coalesce", "default", "transform", "timezone",
                                 "max_length"},
                                diagnostics);
    int sources = (spec->contains("column") ? 1 : 0) + (spec->contains("template") ? 1 : 0) +
                  (spec->contains("value") ? 1 : 0) + (spec->contains("coalesce") ? 1 : 0);
    if (sources != 1) {
      diagnostics.add(error_at(file, node, path + " must set exactly one of column, template, value or coalesce; it "
                                               "sets " + std::to_string(sources)));
    }

    if (const toml::node* column = spec->get("column")) {
      field.kind = FieldSpec::Kind::column;
      field.column = string_value(file, *column, path + ".column", diagnostics).value_or("");
      field.column_position = position_of(*column);
    }
    if (const toml::node* text = spec->get("template")) {
      field.kind = FieldSpec::Kind::template_text;
      if (auto value = string_value(file, *text, path + ".template", diagnostics)) {
        field.template_parts = parse_template(file, *text, *value, diagnostics);
      }
      field.column_position = position_of(*text);
    }
    if (const toml::node* literal = spec->get("value")) {
      field.kind = FieldSpec::Kind::literal;
      if (literal->is_string()) {
        field.literal = *literal->value<std::string>();
      } else if (literal->is_integer() || literal->is_floating_point() || literal->is_boolean()) {
        // Numbers and booleans are sent as the text TOML wrote, since the API takes strings.
        if (literal->is_integer()) {
          field.literal = std::to_string(literal->as_integer()->get());
        } else if (literal->is_boolean()) {
          field.literal = literal->as_boolean()->get() ? "true" : "false";
        } else {
          std::ostringstream text;
          text << literal->as_floating_point()->get();
          field.literal = text.str();
        }
      } else {
        diagnostics.add(error_at(file, *literal, path + ".value must be a string, number or boolean"));
      }
    }
    if (const toml::node* columns = spec->get("coalesce")) {
      field.kind = FieldSpec::Kind::coalesce;
      field.column_position = position_of(*columns);
      const toml::array* list = columns->as_array();
      if (list == nullptr || list->size() < 2) {
        diagnostics.add(error_at(file, *columns, path + ".coalesce must list at least two columns, such as "
                                                        "coalesce = [\"mobile_phone\", \"home_phone\"]"));
      } else {
        for (const toml::node& column : *list) {
          if (auto name = string_value(file, column, path + ".coalesce entry", diagnostics)) {
            field.coalesce_columns.push_back(*name);
            field.coalesce_positions.push_back(position_of(column));
          }
        }
      }
    }
    if (const toml::node* fallback = spec->get("default")) {
      field.default_value = string_value(file, *fallback, path + ".default", diagnostics);
    }
    if (const toml::node* transforms = spec->get("transform")) {
      read_transforms(file, *transforms, field, diagnostics);
    }
    if (const toml::node* zone = spec->get("timezone")) {
      field.timezone = string_value(file, *zone, path + ".timezone", diagnostics).value_or("");
      if (!field.timezone.empty() && !is_known_timezone(field.timezone)) {
        diagnostics.add(error_at(file, *zone, "unknown time zone '" + field.timezone +
                                                  "'; use an IANA name such as \"America/Chicago\" or "
                                                  "\"America/Toronto\""));
      }
    }
    if (const toml::node* limit = spec->get("max_length")) {
      if (!limit->is_integer() || limit->as_integer()->get() < 1) {
        diagnostics.add(error_at(file, *limit, path + ".max_length must be a whole number of characters, at least 1"));
      } else {
        field.max_length = static_cast<std::size_t>(limit->as_integer()->get());
      }
    }
  } else {
    diagnostics.add(error_at(file, node, path + " must be a column name in quotes or a table such as "
                                             "{ column = \"zip\", transform = [\"zip5\"] }"));
  }

  if (field.max_length == 0) {
    const FieldRule* rule = find_field_rule(field.target);
    field.max_length = rule != nullptr ? rule->max_length : unknown_field_max_length;
  }
  if (field.kind == FieldSpec::Kind::column && field.column.empty() && node.is_string()) {
    diagnostics.add(error_at(file, node, path + " names an empty column; write the column name"));
  }
  if (find_field_rule(field.target) == nullptr) {
    std::vector<std::string> catalog_names;
    for (const FieldRule& rule : field_catalog()) {
      catalog_names.emplace_back(rule.name);
    }
    std::string suggestion = config::closest_name(field.target, catalog_names);
    diagnostics.add(warning_at(file, key.source(),
                               "field '" + field.target + "' is not in the import API's field catalog; it is sent as is" +
                                   (suggestion.empty() ? ", so check the spelling"
                                                       : "; did you mean '" + suggestion + "'?")));
  }
  bool has_datetime = std::any_of(field.transforms.begin(), field.transforms.end(),
                                  [](const TransformStep& step) { return step.name == "mysql_datetime"; });
  if (!field.timezone.empty() && !has_datetime) {
    diagnostics.add(warning_at(file, key.source(), path + ".timezone has no effect without the mysql_datetime transform"));
  }
  return field;
}

void read_lookups(const std::string& file, const toml::node& node, LookupTables& lookups, DiagnosticList& diagnostics) {
  const toml::table* tables = node.as_table();
  if (tables == nullptr) {
    diagnostics.add(error_at(file, node, "lookups must be tables, such as [lookups.status] OPEN = \"Lead\""));
    return;
  }
  for (const auto& [name, table_node] : *tables) {
    const toml::table* table = table_node.as_table();
    if (table == nullptr) {
      diagnostics.add(error_at(file, table_node, "lookups." + std::string(name.str()) +
                                                     " must be a table of value = \"replacement\" pairs"));
      continue;
    }
    std::map<std::string, std::string>& entries = lookups[std::string(name.str())];
    for (const auto& [key, value] : *table) {
      if (!value.is_string()) {
        diagnostics.add(error_at(file, value, "lookups." + std::string(name.str()) + "." + std::string(key.str()) +
                                                  " must be a string in quotes"));
        continue;
      }
      entries[std::string(key.str())] = *value.value<std::string>();
    }
  }
}

// Reads the [source] keys that choose the relation fields are read from and the rows that are sent.
void read_reading_options(const std::string& file, const toml::table& source, SourceSpec& spec,
                          DiagnosticList& diagnostics) {
  if (const toml::node* view = source.get("view")) {
    spec.view = string_value(file, *view, "source.view", diagnostics).value_or("");
    spec.view_position = position_of(*view);
  }
  if (const toml::node* query = source.get("query")) {
    spec.query = string_value(file, *query, "source.query", diagnostics).value_or("");
    spec.query_position = position_of(*query);
    // The query becomes a subquery, so a trailing semicolon would end the statement early.
    std::size_t last = spec.query.find_last_not_of(" \t\r\n");
    if (last != std::string::npos && spec.query[last] == ';') {
      diagnostics.add(error_at(file, *query, "source.query must not end with ';', because it is used as a subquery"));
    }
  }
  if (!spec.view.empty() && !spec.query.empty()) {
    diagnostics.add(error_at(file, *source.get("query"), "set source.view or source.query, not both"));
  }
  if (const toml::node* where = source.get("where")) {
    spec.where = string_value(file, *where, "source.where", diagnostics).value_or("");
    spec.where_position = position_of(*where);
  }
  if (const toml::node* placeholders = source.get("placeholders")) {
    string_list(file, *placeholders, "source.placeholders", spec.placeholders, diagnostics);
  }
}

}  // namespace

bool is_valid_source_name(const std::string& name) {
  static const std::regex pattern("[a-z_][a-z0-9_]{0,39}");
  return std::regex_match(name, pattern);
}

std::vector<std::string> Mapping::referenced_columns() const {
  std::vector<std::string> columns = source.key_columns;
  auto add = [&columns](const std::string& column) {
    if (std::find(columns.begin(), columns.end(), column) == columns.end()) {
      columns.push_back(column);
    }
  };
  for (const FieldSpec& field : fields) {
    if (field.kind == FieldSpec::Kind::column) {
      add(field.column);
    }
    for (const std::string& column : field.coalesce_columns) {
      add(column);
    }
    for (const TemplatePart& part : field.template_parts) {
      if (part.is_column) {
        add(part.text);
      }
    }
  }
  return columns;
}

namespace {
Mapping build_mapping(const toml::table& root, const std::string& path);
}  // namespace

Mapping load_mapping(const std::string& path) {
  return build_mapping(config::parse_toml_file(path), path);
}

Mapping parse_mapping(std::string_view text, const std::string& file) {
  return build_mapping(config::parse_toml_text(text, file), file);
}

namespace {

Mapping build_mapping(const toml::table& root, const std::string& path) {
  Mapping mapping;
  mapping.file = path;

  DiagnosticList diagnostics;
  config::reject_unknown_keys(path, root, "", {"source", "fields", "lookups", "writeback"}, diagnostics);

  if (const toml::node* writeback = root.get("writeback")) {
    if (const toml::table* table = writeback->as_table()) {
      config::reject_unknown_keys(path, *table, "writeback", {"state", "imported_at", "response_id"}, diagnostics);
      for (auto [key, target] : {std::pair<const char*, std::string*>{"state", &mapping.writeback.state},
                                 {"imported_at", &mapping.writeback.imported_at},
                                 {"response_id", &mapping.writeback.response_id}}) {
        if (const toml::node* column = table->get(key)) {
          *target = string_value(path, *column, std::string("writeback.") + key, diagnostics).value_or("");
          mapping.writeback.columns.emplace_back(*target, position_of(*column));
        }
      }
    } else {
      diagnostics.add(error_at(path, *writeback, "writeback must be a table, such as [writeback] state = \"cc_status\""));
    }
  }

  if (const toml::node* lookups = root.get("lookups")) {
    read_lookups(path, *lookups, mapping.lookups, diagnostics);
  }

  const toml::table* source = root["source"].as_table();
  if (source == nullptr) {
    diagnostics.add(config::error_in_file(path, "missing [source] table: name the source, its table and its key, "
                                                "such as [source] name = \"jobs\" table = \"public.jobs\" key = \"id\""));
  } else {
    config::reject_unknown_keys(path, *source, "source",
                                {"name", "table", "key", "view", "query", "where", "placeholders", "resend_updates"},
                                diagnostics);
    if (const toml::node* resend = source->get("resend_updates")) {
      if (resend->is_boolean()) {
        mapping.source.resend_updates = resend->as_boolean()->get();
      } else {
        diagnostics.add(error_at(path, *resend, "source.resend_updates must be true or false"));
      }
    }
    read_reading_options(path, *source, mapping.source, diagnostics);

    if (const toml::node* name = source->get("name")) {
      mapping.source.name = string_value(path, *name, "source.name", diagnostics).value_or("");
      if (!mapping.source.name.empty() && !is_valid_source_name(mapping.source.name)) {
        diagnostics.add(error_at(path, *name, "source.name '" + mapping.source.name +
                                                  "' must be lowercase letters, digits and underscores (at most 40), "
                                                  "such as \"jobs\", because it becomes part of trigger names"));
      }
    } else {
      diagnostics.add(error_at(path, *source, "missing source.name, such as name = \"jobs\""));
    }

    if (const toml::node* table = source->get("table")) {
      mapping.source.table = string_value(path, *table, "source.table", diagnostics).value_or("");
      mapping.source.table_position = position_of(*table);
    } else {
      diagnostics.add(error_at(path, *source, "missing source.table, such as table = \"public.jobs\""));
    }

    if (const toml::node* key = source->get("key")) {
      mapping.source.key_position = position_of(*key);
      if (key->is_string()) {
        mapping.source.key_columns.push_back(*key->value<std::string>());
      } else if (const toml::array* columns = key->as_array(); columns != nullptr && !columns->empty()) {
        for (const toml::node& column : *columns) {
          if (auto name = string_value(path, column, "each source.key column", diagnostics)) {
            mapping.source.key_columns.push_back(*name);
          }
        }
      } else {
        diagnostics.add(error_at(path, *key, "source.key must be a column name or a list of column names, such as "
                                             "key = \"id\" or key = [\"company_id\", \"job_no\"]"));
      }
      std::set<std::string> unique(mapping.source.key_columns.begin(), mapping.source.key_columns.end());
      if (unique.size() != mapping.source.key_columns.size()) {
        diagnostics.add(error_at(path, *key, "source.key lists a column twice"));
      }
    } else {
      diagnostics.add(error_at(path, *source, "missing source.key: name the primary key column(s), such as "
                                              "key = \"id\""));
    }
  }

  const toml::table* fields = root["fields"].as_table();
  if (fields == nullptr || fields->empty()) {
    diagnostics.add(config::error_in_file(path, "missing [fields] table: map at least the required import fields, "
                                                "such as req_firstname = \"first_name\""));
  } else {
    for (const auto& [key, node] : *fields) {
      mapping.fields.push_back(read_field(path, key, node, diagnostics));
    }
    // toml++ keeps keys sorted by name; the author's order reads better in preview and logs.
    std::stable_sort(mapping.fields.begin(), mapping.fields.end(), [](const FieldSpec& a, const FieldSpec& b) {
      return a.position.line < b.position.line;
    });
    for (const FieldSpec& field : mapping.fields) {
      for (std::size_t i = 0; i < field.transforms.size(); ++i) {
        std::string problem = check_transform_arguments(field.transforms[i], mapping.lookups);
        if (!problem.empty()) {
          diagnostics.add(config::Diagnostic{config::Diagnostic::Severity::error, path,
                                             field.transform_positions[i].line, field.transform_positions[i].column,
                                             "fields." + field.target + ": " + problem});
        }
      }
    }
    for (const FieldRule& rule : field_catalog()) {
      if (rule.required && !fields->contains(rule.name)) {
        diagnostics.add(config::Diagnostic{config::Diagnostic::Severity::warning, path,
                                           static_cast<int>(fields->source().begin.line),
                                           static_cast<int>(fields->source().begin.column),
                                           "required field '" + std::string(rule.name) +
                                               "' is not mapped, so every record will be held as invalid; map it "
                                               "to a column or give it a value"});
      }
    }
  }

  diagnostics.throw_if_errors();
  mapping.warnings = diagnostics.warnings();
  return mapping;
}

}  // namespace

std::vector<Mapping> load_mappings(const std::vector<std::string>& paths) {
  std::vector<Mapping> mappings;
  std::vector<config::Diagnostic> errors;
  for (const std::string& path : paths) {
    try {
      mappings.push_back(load_mapping(path));
    } catch (const config::ConfigError& error) {
      errors.insert(errors.end(), error.diagnostics().begin(), error.diagnostics().end());
    }
  }

  for (std::size_t i = 0; i < mappings.size(); ++i) {
    for (std::size_t j = 0; j < i; ++j) {
      if (mappings[i].source.name == mappings[j].source.name && !mappings[i].source.name.empty()) {
        errors.push_back(config::Diagnostic{config::Diagnostic::Severity::error, mappings[i].file, 0, 0,
                                            "source name '" + mappings[i].source.name + "' is already used by " +
                                                mappings[j].file + "; give each mapping its own source.name"});
      }
    }
  }
  if (!errors.empty()) {
    throw config::ConfigError(errors);
  }
  return mappings;
}

}  // namespace cc::mapping
