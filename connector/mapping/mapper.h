#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "mapping/field_catalog.h"
#include "mapping/mapping.h"
#include "mapping/transforms.h"

namespace cc::mapping {

// One column of a source row as PostgreSQL printed it; nullopt is SQL NULL.
struct ColumnValue {
  std::optional<std::string> text;
  ColumnType type = ColumnType::text;
};

// A source row by column name, decoupled from libpqxx so that mapping is testable without a server.
using SourceRow = std::map<std::string, ColumnValue>;

// The result of mapping one row: the record and every problem found on the way. A row with
// problems is held (or sent anyway when invalid_records = "send").
struct MappedRow {
  ImportRecord record;
  std::vector<FieldProblem> problems;

  bool valid() const { return problems.empty(); }
  // All problems in one line, such as "req_zip: zip5: '606666' is not ...; req_lastname: is required but empty".
  std::string problems_text() const;
};

// Applies a mapping to a row: column, template or literal value, then transforms in order, then the
// default for a null or empty result, then validation against the field catalog. Never throws
// for bad values: every problem goes into MappedRow::problems with the field it concerns.
MappedRow map_row(const Mapping& mapping, const SourceRow& row);

}  // namespace cc::mapping
