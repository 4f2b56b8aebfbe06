#pragma once

#include <map>
#include <optional>
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

// Value maps a mapping defines under [lookups.NAME], such as status codes to Contractors Cloud
// status names. The `lookup` transform reads them by name.
using LookupTables = std::map<std::string, std::map<std::string, std::string>>;

// What a transform may need to know besides the value itself.
struct TransformContext {
  std::string_view field;          // target field, such as "req_zip", for messages
  std::size_t max_length = 0;      // limit of the target field in characters; 0 means none
  std::string_view timezone;       // IANA zone that mysql_datetime renders in; empty means UTC
  ColumnType column_type = ColumnType::text;
  const LookupTables* lookups = nullptr;  // the mapping's [lookups] tables, if any
};

// One step of a transform chain. A mapping writes a step without arguments as a string ("trim")
// and a step with arguments as an inline table ({ name = "name_part", part = "first" }); every
// argument value arrives as a list of strings (a TOML string becomes a list of one).
struct TransformStep {
  std::string name;
  std::map<std::string, std::vector<std::string>> arguments;
};

// The arguments a transform takes, for validating mappings before any row is read.
struct TransformSignature {
  std::vector<std::string> required;
  std::vector<std::string> optional;
};

// Returns the signature of a known transform, or nullptr for an unknown name.
const TransformSignature* transform_signature(std::string_view name);

// Checks a step's argument values (for example that `part` is "first" or "last"), given that its
// argument names already match the signature. Returns an error message naming the argument and
// the values allowed, or an empty string when the step is valid. `lookups` are the mapping's tables.
std::string check_transform_arguments(const TransformStep& step, const LookupTables& lookups);

// True when the transform can read values of a column of this type: phone on a timestamptz
// column, or json_path on a text column, is a mapping error that `check` reports.
bool transform_accepts(std::string_view name, ColumnType type);

// Applies one step to a non-null value. Returns nothing when the step decides the value is
// missing (a placeholder such as "TBD", an empty split part), so that the field's default applies.
// Throws TransformError when the value cannot be converted, and std::invalid_argument when the
// step is invalid: an unknown name, or arguments that check_transform_arguments rejects with
// context.lookups as the tables.
std::optional<std::string> apply_transform(const TransformStep& step, const std::string& value,
                                           const TransformContext& context);

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

// Applies one named transform, without arguments, to a non-null value. Returns an empty string
// when the transform decides the value is missing. Throws TransformError when the value cannot be
// converted, and std::invalid_argument when the name is not a known transform or the transform
// requires arguments.
std::string apply_transform(std::string_view name, const std::string& value, const TransformContext& context);

// Counts the Unicode code points in UTF-8 text, which is how the import API measures length.
// A stray continuation byte in invalid UTF-8 is not counted.
std::size_t count_characters(std::string_view utf8);

// Quotes a value for an error message: single quotes, control characters escaped, and values
// longer than 60 characters cut to their first 60 followed by "...".
std::string quote_value(std::string_view value);

// Declarations shared by the files that implement the transforms (transforms*.cpp). Mappings and
// the mapper use the functions above instead.
namespace detail {

// Signature of every transform implementation: the step carries the arguments.
using StepFunction = std::optional<std::string> (*)(const TransformStep& step, const std::string& value,
                                                    const TransformContext& context);

// Text helpers. "Whitespace" is ASCII whitespace and U+00A0 (no-break space).
bool is_ascii_space(char c);
std::string_view trim_view(std::string_view text);
char to_ascii_upper(char c);
char to_ascii_lower(char c);
std::string to_ascii_upper(std::string_view text);
bool equals_ignoring_case(std::string_view a, std::string_view b);

// Builds a TransformError message: "transform: 'value' problem".
std::string transform_error_text(std::string_view transform, std::string_view value, std::string_view problem);

// Parses a whole decimal number of at most 9 digits, such as the argument value "40".
std::optional<std::size_t> parse_count(std::string_view text);

// Returns the first value of a step's argument, or nullptr when the step does not set it.
const std::string* argument_value(const TransformStep& step, std::string_view name);

// Returns the two-letter code of a US state or Canadian province written as a code or a full
// name ("IL", "Illinois", "Québec"), or an empty string when the text is neither.
std::string region_code(std::string_view text);

// Replaces each run of whitespace, including U+00A0 and the other Unicode spaces, with one
// space, and removes whitespace at both ends.
std::string collapse_spaces(std::string_view text);

// Decodes HTML character references as html_unescape does, except that a no-break space
// (&nbsp;, &#160; or &#xA0;) becomes `no_break_space`.
std::string decode_html_entities(std::string_view text, std::string_view no_break_space);

// Returns a US ZIP code as "27513" or "27513-1234", or a Canadian postal code as "V8B 0A1", or
// nothing when the text is neither. Surrounding whitespace is ignored.
std::optional<std::string> normalize_postal_code(std::string_view text);

// True when a name contains a word that marks a company or an institution ("LLC", "TRUST",
// "CITY OF"), so that it has no first and last name.
bool is_company_name(std::string_view name);

// Returns an error message for a json_path `path` or a mysql_datetime `format`, or an empty
// string when it is valid.
std::string json_path_problem(std::string_view path);
std::string date_format_problem(std::string_view format);

// Transforms. Each returns nothing when the value is missing and throws TransformError when the
// value cannot be converted.
std::optional<std::string> trim(const TransformStep&, const std::string&, const TransformContext&);
std::optional<std::string> upper(const TransformStep&, const std::string&, const TransformContext&);
std::optional<std::string> lower(const TransformStep&, const std::string&, const TransformContext&);
std::optional<std::string> digits(const TransformStep&, const std::string&, const TransformContext&);
std::optional<std::string> state_code(const TransformStep&, const std::string&, const TransformContext&);
std::optional<std::string> zip5(const TransformStep&, const std::string&, const TransformContext&);
std::optional<std::string> phone(const TransformStep&, const std::string&, const TransformContext&);
std::optional<std::string> mysql_datetime(const TransformStep&, const std::string&, const TransformContext&);
std::optional<std::string> truncate(const TransformStep&, const std::string&, const TransformContext&);

std::optional<std::string> html_unescape(const TransformStep&, const std::string&, const TransformContext&);
std::optional<std::string> collapse_whitespace(const TransformStep&, const std::string&, const TransformContext&);
std::optional<std::string> title_case(const TransformStep&, const std::string&, const TransformContext&);
std::optional<std::string> missing_if(const TransformStep&, const std::string&, const TransformContext&);

std::optional<std::string> owner(const TransformStep&, const std::string&, const TransformContext&);
std::optional<std::string> name_part(const TransformStep&, const std::string&, const TransformContext&);

std::optional<std::string> address_part(const TransformStep&, const std::string&, const TransformContext&);
std::optional<std::string> postal_code(const TransformStep&, const std::string&, const TransformContext&);

std::optional<std::string> money(const TransformStep&, const std::string&, const TransformContext&);
std::optional<std::string> number(const TransformStep&, const std::string&, const TransformContext&);
std::optional<std::string> boolean(const TransformStep&, const std::string&, const TransformContext&);
std::optional<std::string> lookup(const TransformStep&, const std::string&, const TransformContext&);

std::optional<std::string> json_path(const TransformStep&, const std::string&, const TransformContext&);
std::optional<std::string> array_join(const TransformStep&, const std::string&, const TransformContext&);
std::optional<std::string> array_first(const TransformStep&, const std::string&, const TransformContext&);

}  // namespace detail

}  // namespace cc::mapping
