#pragma once

#include <optional>
#include <string>
#include <vector>

#include <pqxx/pqxx>

#include "mapping/mapper.h"
#include "mapping/mapping.h"

namespace cc::capture {

// A source row read for mapping, with its key as stored in import_status.
struct KeyedRow {
  std::string row_key;  // jsonb text, such as {"id": 42}
  mapping::SourceRow row;
  bool selected = true;  // false when the mapping's source.where is not true for the row
};

// Reads the current version of source rows by key. Keys are jsonb objects of key column values
// as the capture trigger built them. jsonb_populate_record turns each back into the key columns'
// own types, so bigint, UUID, text and composite keys all use the table's index.
class SourceReader {
 public:
  // `resolved_table` is the watched table; fields are read from the mapping's view or query when
  // it has one. Throws cc::RuntimeFailure when the view does not exist.
  SourceReader(pqxx::transaction_base& transaction, const mapping::Mapping& mapping, std::string resolved_table);

  // Returns the rows that still exist, in no particular order; a key with no row is absent.
  std::vector<KeyedRow> read_by_keys(pqxx::transaction_base& transaction, const std::vector<std::string>& row_keys) const;

  // Returns up to `limit` rows in key order, for preview.
  std::vector<KeyedRow> read_first(pqxx::transaction_base& transaction, int limit) const;

  const std::string& table() const { return table_; }

 private:
  std::vector<KeyedRow> convert(const pqxx::result& result) const;
  std::string key_object_sql(const std::string& row_alias) const;
  std::string filtered_relation() const;

  const mapping::Mapping& mapping_;
  std::string table_;
  std::string relation_;  // what fields are read from: the table, a view, or "(query)"
};

// Returns a --key argument as import_status stores keys: each value converted to its key
// column's type, so "42" matches {"id": 42}. Throws cc::UsageError for a value that does not fit.
std::string stored_key(pqxx::transaction_base& transaction, const mapping::Mapping& mapping,
                       const std::string& resolved_table, const std::string& argument);

// Builds the jsonb key text for a preview --key argument: a JSON object of the key columns, or, for
// a single-column key, the bare value. Throws cc::UsageError for a value that does not fit the key.
std::string key_from_argument(const mapping::Mapping& mapping, const std::string& argument);

}  // namespace cc::capture
