#pragma once

#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace cc::mapping {

// The PostgreSQL type family of the column a value came from. Values always arrive in
// PostgreSQL's text output form; the family tells a transform how to read that text.
enum class ColumnType {
  text,         // text, varchar, char, and anything not listed below
  number,       // int2/4/8, numeric, float4/8
  boolean,      // bool
  date,         // date
  timestamp,    // timestamp without time zone: a wall-clock time with no zone attached
  timestamptz,  // timestamp with time zone, read on a session whose TimeZone is UTC
  uuid,
  json,         // json and jsonb
};

// Maps a type OID from pg_type to its family; unknown OIDs are text.
ColumnType column_type_from_oid(unsigned int oid);

// What a transform may need to know besides the value itself.
struct TransformContext {
  std::string_view field;          // target field, such as "req_zip", for messages
  std::size_t max_length = 0;      // limit of the target field in characters; 0 means none
  std::string_view timezone;       // IANA zone that mysql_datetime renders in; empty means UTC
  ColumnType column_type = ColumnType::text;
};

// A value that a transform cannot convert. The message names the value and what is expected,
// for example: "state_code: 'Nort Carolina' is not a US state or Canadian province name or code".
class TransformError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Names of every transform, in the order the documentation lists them.
const std::vector<std::string_view>& transform_names();

bool is_known_transform(std::string_view name);

// True when the IANA time zone database on this machine has the zone, such as "America/Chicago".
bool is_known_timezone(std::string_view name);

// Applies one named transform to a non-null value. Throws TransformError when the value cannot be
// converted, and std::invalid_argument when the name is not a known transform.
std::string apply_transform(std::string_view name, const std::string& value, const TransformContext& context);

// Counts the Unicode code points in UTF-8 text, which is how the import API measures length.
// A stray continuation byte in invalid UTF-8 is not counted.
std::size_t count_characters(std::string_view utf8);

// Quotes a value for an error message: single quotes, control characters escaped, and values
// longer than 60 characters cut to their first 60 followed by "...".
std::string quote_value(std::string_view value);

}  // namespace cc::mapping
