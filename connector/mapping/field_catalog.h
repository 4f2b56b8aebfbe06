#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cc::mapping {

// What the import API accepts in one field.
enum class FieldKind {
  text,        // non-empty text when required
  free_text,   // notes and names with no limit
  state,       // two-letter US state or Canadian province abbreviation
  zip,         // at least five digits
  datetime,    // "YYYY-MM-DD HH:MM:SS"
  email,
  phone,
  latitude,    // decimal degrees, -90..90
  longitude,   // decimal degrees, -180..180
};

struct FieldRule {
  std::string_view name;
  FieldKind kind;
  bool required;
  std::size_t max_length;  // characters; 0 means the API states no limit
};

// The import record's field catalog: the fields and rules of the Contractors Cloud import API v2.
const std::vector<FieldRule>& field_catalog();

// Returns the rule for a field name, or nothing for a name the catalog does not list.
const FieldRule* find_field_rule(std::string_view name);

// Character limit applied to fields the catalog does not list: the API stores text as varchar(155).
inline constexpr std::size_t unknown_field_max_length = 155;

// An import record: target field name to value, in field-name order.
using ImportRecord = std::map<std::string, std::string>;

// One rule a record breaks, such as {"req_zip", "'2751' has 4 digits; a ZIP code needs at least 5"}.
struct FieldProblem {
  std::string field;
  std::string message;
};

// Checks a whole record against the catalog: missing or empty required fields and every
// value that breaks its field's rule. Returns no problems for a valid record.
std::vector<FieldProblem> validate_record(const ImportRecord& record);

}  // namespace cc::mapping
