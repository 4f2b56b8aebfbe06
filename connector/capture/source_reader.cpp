#include "capture/source_reader.h"

#include <nlohmann/json.hpp>

#include "common/database.h"
#include "common/errors.h"
#include "common/secret.h"

namespace cc::capture {

namespace {

// Name of the extra column that carries each row's key; chosen to be unlikely in a shop's table.
constexpr const char* key_column_alias = "cc_connector_row_key";
constexpr const char* selected_column_alias = "cc_connector_selected";

std::string doubled(const std::string& text, char quote) {
  std::string out(1, quote);
  for (char c : text) {
    out += c;
    if (c == quote) {
      out += quote;
    }
  }
  return out + quote;
}

std::string sql_literal(const std::string& text) {
  return doubled(text, '\'');
}

std::string sql_identifier(const std::string& name) {
  return doubled(name, '"');
}

}  // namespace

SourceReader::SourceReader(pqxx::transaction_base& transaction, const mapping::Mapping& mapping,
                           std::string resolved_table)
    : mapping_(mapping), table_(std::move(resolved_table)), relation_(table_) {
  if (!mapping.source.query.empty()) {
    relation_ = "(" + mapping.source.query + ")";
  } else if (!mapping.source.view.empty()) {
    std::optional<std::string> view = resolve_table(transaction, mapping.source.view);
    if (!view) {
      throw RuntimeFailure("source '" + mapping.source.name + "': view '" + mapping.source.view +
                           "' does not exist (" + mapping.file + ")");
    }
    relation_ = *view;
  }
}

std::string SourceReader::filtered_relation() const {
  // The where expression is evaluated in a subquery of its own, where only the relation's columns
  // are in scope, so its column names cannot clash with the key record joined outside. The
  // parentheses keep an expression with OR whole; NULL counts as not selected.
  std::string selected = mapping_.source.where.empty() ? "true" : "coalesce((" + mapping_.source.where + "), false)";
  return "(SELECT r.*, " + selected + " AS " + selected_column_alias + " FROM " + relation_ + " AS r)";
}

std::string SourceReader::key_object_sql(const std::string& row_alias) const {
  // The same expression as the capture trigger's, so the key text matches import_status.row_key.
  std::string sql = "jsonb_build_object(";
  for (std::size_t i = 0; i < mapping_.source.key_columns.size(); ++i) {
    const std::string& column = mapping_.source.key_columns[i];
    sql += (i == 0 ? "" : ", ") + sql_literal(column) + ", " + row_alias + "." + sql_identifier(column);
  }
  return sql + ")::text";
}

std::vector<KeyedRow> SourceReader::convert(const pqxx::result& result) const {
  std::vector<KeyedRow> rows;
  rows.reserve(result.size());
  for (const pqxx::row& row : result) {
    KeyedRow keyed;
    for (pqxx::row::size_type i = 0; i < row.size(); ++i) {
      std::string name = result.column_name(i);
      if (name == key_column_alias) {
        keyed.row_key = row[i].c_str();
        continue;
      }
      if (name == selected_column_alias) {
        keyed.selected = row[i].as<bool>();
        continue;
      }
      mapping::ColumnValue value;
      if (!row[i].is_null()) {
        value.text = std::string(row[i].c_str(), row[i].size());
      }
      value.type = mapping::column_type_from_oid(result.column_type(i));
      keyed.row.emplace(std::move(name), std::move(value));
    }
    rows.push_back(std::move(keyed));
  }
  return rows;
}

std::vector<KeyedRow> SourceReader::read_by_keys(pqxx::transaction_base& transaction,
                                                 const std::vector<std::string>& row_keys) const {
  if (row_keys.empty()) {
    return {};
  }
  std::string keys_json = "[";
  for (std::size_t i = 0; i < row_keys.size(); ++i) {
    keys_json += (i == 0 ? "" : ",") + row_keys[i];
  }
  keys_json += "]";

  std::string join_condition;
  for (std::size_t i = 0; i < mapping_.source.key_columns.size(); ++i) {
    std::string column = transaction.quote_name(mapping_.source.key_columns[i]);
    join_condition += (i == 0 ? "" : " AND ") + std::string("t.") + column + " = k." + column;
  }

  // The jsonb key goes back to the column types through the table's own row type.
  std::string sql = "SELECT " + key_object_sql("t") + " AS " + key_column_alias +
                    ", t.* FROM jsonb_array_elements($1::jsonb) AS e(key) " +
                    "CROSS JOIN LATERAL jsonb_populate_record(NULL::" + table_ + ", e.key) AS k JOIN " +
                    filtered_relation() + " AS t ON " + join_condition;
  return convert(transaction.exec_params(sql, keys_json));
}

std::vector<KeyedRow> SourceReader::read_first(pqxx::transaction_base& transaction, int limit) const {
  std::string order;
  for (std::size_t i = 0; i < mapping_.source.key_columns.size(); ++i) {
    order += (i == 0 ? "" : ", ") + std::string("t.") + transaction.quote_name(mapping_.source.key_columns[i]);
  }
  std::string sql = "SELECT " + key_object_sql("t") + " AS " + key_column_alias + ", t.* FROM " +
                    filtered_relation() + " AS t ORDER BY " + order + " LIMIT " + std::to_string(limit);
  return convert(transaction.exec(sql));
}

std::string stored_key(pqxx::transaction_base& transaction, const mapping::Mapping& mapping,
                       const std::string& resolved_table, const std::string& argument) {
  std::string key = key_from_argument(mapping, argument);
  std::string build = "jsonb_build_object(";
  for (std::size_t i = 0; i < mapping.source.key_columns.size(); ++i) {
    const std::string& column = mapping.source.key_columns[i];
    build += (i == 0 ? "" : ", ") + sql_literal(column) + ", k." + sql_identifier(column);
  }
  build += ")::text";
  try {
    pqxx::result row = transaction.exec_params(
        "SELECT " + build + " FROM jsonb_populate_record(NULL::" + resolved_table + ", $1::jsonb) AS k", key);
    return row[0][0].as<std::string>();
  } catch (const pqxx::data_exception& error) {
    throw UsageError("--key " + argument + " does not fit the key of source '" + mapping.source.name + "': " +
                     one_line_error(error.what()));
  }
}

std::string key_from_argument(const mapping::Mapping& mapping, const std::string& argument) {
  const std::vector<std::string>& columns = mapping.source.key_columns;
  nlohmann::json parsed = nlohmann::json::parse(argument, nullptr, false);
  if (parsed.is_object()) {
    for (const std::string& column : columns) {
      if (!parsed.contains(column)) {
        throw UsageError("--key " + argument + " lacks key column '" + column + "' of source '" +
                         mapping.source.name + "'");
      }
    }
    return parsed.dump();
  }
  if (columns.size() != 1) {
    std::string example = "{";
    for (std::size_t i = 0; i < columns.size(); ++i) {
      example += (i == 0 ? "\"" : ", \"") + columns[i] + "\": ...";
    }
    throw UsageError("source '" + mapping.source.name + "' has a composite key; pass --key as a JSON object, such as '" +
                     example + "}'");
  }
  // A bare value: jsonb_populate_record accepts a JSON string for any column type.
  return nlohmann::json{{columns[0], argument}}.dump();
}

}  // namespace cc::capture
