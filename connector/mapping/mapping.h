#pragma once

#include <optional>
#include <string>
#include <vector>

#include "config/config_error.h"
#include "mapping/transforms.h"

namespace cc::mapping {

// Position of a key or value in a mapping file, for file:line:column messages.
struct SourcePosition {
  int line = 0;
  int column = 0;
};

// One piece of a template: literal text, or a column whose value is inserted.
struct TemplatePart {
  bool is_column = false;
  std::string text;  // the literal text, or the column name
  SourcePosition position;
};

// Source and conversion of one target field of the import record.
struct FieldSpec {
  enum class Kind { column, template_text, literal, coalesce };

  std::string target;  // import record field, such as "req_zip"
  Kind kind = Kind::column;
  std::string column;                  // Kind::column
  std::vector<std::string> coalesce_columns;  // Kind::coalesce: the first with a value wins
  std::vector<SourcePosition> coalesce_positions;
  std::vector<TemplatePart> template_parts;  // Kind::template_text
  std::string literal;                 // Kind::literal
  std::optional<std::string> default_value;  // used when the value is null or empty after transforms
  std::vector<TransformStep> transforms;      // applied in order
  std::vector<SourcePosition> transform_positions;
  std::string timezone;                // for mysql_datetime; empty renders in UTC
  std::size_t max_length = 0;          // for truncate; from the catalog unless the mapping sets it
  SourcePosition position;             // of the field's key
  SourcePosition column_position;      // of the column name, for unknown-column errors
};

// The table a mapping watches, where its fields are read from, and how its rows are identified.
struct SourceSpec {
  std::string name;                      // used in logs, status rows and NOTIFY payloads
  std::string table;                     // the watched table, as written, such as "public.jobs"
  std::vector<std::string> key_columns;  // primary key columns of the watched table, in order
  // Relation that fields are read from instead of the table: a view, or a SELECT that joins the
  // table to lookup tables. Either must return the key columns under the same names.
  std::string view;
  std::string query;
  // An SQL boolean expression over the columns read; rows for which it is not true are not sent.
  std::string where;
  // Values that mean "no value" in this database, such as "-" or "TBD": every column equal to
  // one of them (trimmed, case-insensitive) is read as NULL.
  std::vector<std::string> placeholders;
  // Sends an imported row again when the shop updates it. Off by default, because Contractors
  // Cloud creates a new lead for every record it receives.
  bool resend_updates = false;
  SourcePosition table_position;
  SourcePosition key_position;
  SourcePosition view_position;
  SourcePosition query_position;
  SourcePosition where_position;
};

// Columns of the watched table that receive each row's outcome; an empty name is not written.
struct WritebackSpec {
  std::string state;        // text: pending, imported, held, failed, ...
  std::string imported_at;  // timestamptz: when the API accepted the record
  std::string response_id;  // text: the record id from the API's response
  std::vector<std::pair<std::string, SourcePosition>> columns;  // every named column, for check

  bool enabled() const { return !state.empty() || !imported_at.empty() || !response_id.empty(); }
};

// A validated mapping file.
struct Mapping {
  std::string file;
  SourceSpec source;
  std::vector<FieldSpec> fields;
  LookupTables lookups;  // [lookups.NAME] tables for the lookup transform
  WritebackSpec writeback;
  std::vector<config::Diagnostic> warnings;

  // Every column the mapping reads: the key columns, then field columns and template columns.
  std::vector<std::string> referenced_columns() const;
};

// Reads and validates one mapping file without touching the database. Throws config::ConfigError
// with every problem located by file:line:column.
Mapping load_mapping(const std::string& path);

// Reads and validates mapping text; `file` names it in diagnostics.
Mapping parse_mapping(std::string_view text, const std::string& file);

// Loads every file and rejects two mappings that use the same source name.
std::vector<Mapping> load_mappings(const std::vector<std::string>& paths);

// Returns true for a source name usable in trigger and function names: lowercase letters, digits
// and underscores, at most 40 characters.
bool is_valid_source_name(const std::string& name);

}  // namespace cc::mapping
