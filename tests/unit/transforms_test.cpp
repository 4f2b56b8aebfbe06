#include "mapping/transforms.h"

#include <doctest/doctest.h>

#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace {

using cc::mapping::apply_transform;
using cc::mapping::ColumnType;
using cc::mapping::TransformContext;
using cc::mapping::TransformError;

struct TransformCase {
  std::string input;
  std::string expected;
};

// An input that must be rejected, with a fragment that the error message must contain.
struct RejectedCase {
  std::string input;
  const char* message_fragment;
};

TransformContext in_zone(std::string_view timezone, ColumnType column_type) {
  TransformContext context;
  context.timezone = timezone;
  context.column_type = column_type;
  return context;
}

void check_cases(std::string_view transform, const std::vector<TransformCase>& cases,
                 const TransformContext& context = {}) {
  for (const TransformCase& test_case : cases) {
    CAPTURE(transform);
    CAPTURE(test_case.input);
    CHECK(apply_transform(transform, test_case.input, context) == test_case.expected);
  }
}

void check_rejected(std::string_view transform, const std::vector<RejectedCase>& cases,
                    const TransformContext& context = {}) {
  for (const RejectedCase& test_case : cases) {
    CAPTURE(transform);
    CAPTURE(test_case.input);
    CHECK_THROWS_WITH_AS(apply_transform(transform, test_case.input, context),
                         doctest::Contains(test_case.message_fragment), TransformError);
  }
}

}  // namespace

TEST_CASE("trim strips ASCII and no-break spaces") {
  check_cases("trim", {
                          {"  Chicago  ", "Chicago"},
                          {"\t\r\nChicago\n", "Chicago"},
                          {"\xC2\xA0" "Chicago" "\xC2\xA0", "Chicago"},
                          {" \xC2\xA0 Québec \xC2\xA0 ", "Québec"},
                          {"North  Carolina", "North  Carolina"},
                          {"   ", ""},
                          {"", ""},
                      });
}

TEST_CASE("upper and lower keep UTF-8 intact") {
  check_cases("upper", {
                           {"Québec", "QUéBEC"},
                           {"il", "IL"},
                           {"60646-abc", "60646-ABC"},
                       });
  check_cases("lower", {
                           {"QUÉBEC", "quÉbec"},
                           {"IL", "il"},
                       });
}

TEST_CASE("digits keeps only 0-9") {
  check_cases("digits", {
                            {"(773)343-3905", "7733433905"},
                            {"60606-1234", "606061234"},
                            {"Unit 4B", "4"},
                            {"", ""},
                        });
}

TEST_CASE("digits drops non-ASCII digits") {
  // Arabic-Indic digits are not 0-9, so nothing of them is kept.
  CHECK(apply_transform("digits", "٣٤٥", {}).empty());
}

TEST_CASE("state_code accepts codes and names") {
  check_cases("state_code", {
                                {"IL", "IL"},
                                {"il", "IL"},
                                {"Illinois", "IL"},
                                {"ILLINOIS", "IL"},
                                {"N.C.", "NC"},
                                {"n.c.", "NC"},
                                {" North  Carolina ", "NC"},
                                {"British Columbia", "BC"},
                                {"QC", "QC"},
                                {"QUEBEC", "QC"},
                                {"Québec", "QC"},
                                {"Newfoundland and Labrador", "NL"},
                                {"Newfoundland & Labrador", "NL"},
                                {"Newfoundland", "NL"},
                                {"Terre-Neuve-et-Labrador", "NL"},
                                {"Île-du-Prince-Édouard", "PE"},
                                {"Prince Edward Island", "PE"},
                                {"District of Columbia", "DC"},
                                {"Washington, D.C.", "DC"},
                                {"Washington", "WA"},
                                {"Puerto Rico", "PR"},
                                {"gu", "GU"},
                                {"U.S. Virgin Islands", "VI"},
                                {"American Samoa", "AS"},
                                {"MP", "MP"},
                                {"Northwest Territories", "NT"},
                                {"yt", "YT"},
                                {"\xC2\xA0" "Ontario", "ON"},
                            });
}

TEST_CASE("state_code rejects unknown values") {
  check_rejected("state_code", {
                                   {"Nort Carolina", "'Nort Carolina' is not a US state or Canadian province"},
                                   {"XX", "'XX' is not a US state or Canadian province"},
                                   {"ILL", "'ILL' is not"},
                                   {"", "'' is not"},
                                   {"England", "expected a two-letter code such as IL or QC"},
                               });
}

TEST_CASE("zip5 keeps the first five digits") {
  check_cases("zip5", {
                          {"27513", "27513"},
                          {"27513-1234", "27513"},
                          {"275131234", "27513"},
                          {"60646-", "60646"},
                          {"60646 ", "60646"},
                          {"60606-1234", "60606"},
                          {"02134", "02134"},
                      });
}

TEST_CASE("zip5 rejects other lengths") {
  check_rejected("zip5", {
                             {"606666", "'606666' has 6 digits"},
                             {"2751", "'2751' has 4 digits"},
                             {"2134", "may have dropped a leading zero"},
                             {"2751-31234", "hyphen in the wrong place"},
                             {"V8B 0A1", "'V8B 0A1' is not a US ZIP code"},
                             {"", "'' is not a US ZIP code"},
                             {"606666", "such as 27513 or 27513-1234"},
                         });
}

TEST_CASE("phone formats North American numbers") {
  check_cases("phone", {
                           {"(773)343-3905", "(773) 343-3905"},
                           {"(312)-952-7226", "(312) 952-7226"},
                           {"773.343.3905", "(773) 343-3905"},
                           {"+1 773 343 3905", "(773) 343-3905"},
                           {"7733433905", "(773) 343-3905"},
                           {"(815)469-6565 EXT 225", "(815) 469-6565 ext. 225"},
                           {"(661)823-8670 EXT22", "(661) 823-8670 ext. 22"},
                           {"(773)343-3905 x 12", "(773) 343-3905 ext. 12"},
                           {"(773)343-3905 x", "(773) 343-3905"},
                           {"(773)343-3905 ext.", "(773) 343-3905"},
                           {"(773)343-3905 #", "(773) 343-3905"},
                           {"604-873-7000", "(604) 873-7000"},
                       });
}

TEST_CASE("phone formats other countries internationally") {
  check_cases("phone", {
                           {"+44 20 7946 0958", "+44 20 7946 0958"},
                           {"+33 1 42 68 53 00", "+33 1 42 68 53 00"},
                       });
}

TEST_CASE("phone rejects invalid numbers") {
  check_rejected("phone", {
                              {"(773)968-68560", "'(773)968-68560' is not a valid phone number: it has 11 digits"},
                              {"555-1234", "'555-1234' is not a valid phone number: it has 7 digits"},
                              {"x 12", "'x 12' is not a valid phone number"},
                              {"not a phone", "it does not look like a phone number"},
                              {"(555) 555-5555", "is not a valid phone number"},
                              {"", "'' is not a valid phone number"},
                          });
}

TEST_CASE("mysql_datetime reads text forms") {
  check_cases("mysql_datetime", {
                                    {"2014-06-30", "2014-06-30 00:00:00"},
                                    {"02/23/15", "2015-02-23 00:00:00"},
                                    {"01/01/68", "2068-01-01 00:00:00"},
                                    {"12/31/69", "1969-12-31 00:00:00"},
                                    {"06/24/2014", "2014-06-24 00:00:00"},
                                    {"6/4/2014", "2014-06-04 00:00:00"},
                                    {"2017/05/10 00:00:00+00", "2017-05-10 00:00:00"},
                                    {"2014-06-30 13:45:12", "2014-06-30 13:45:12"},
                                    {"2014-06-30T13:45:12", "2014-06-30 13:45:12"},
                                    {"2014-06-30T13:45:12.999999", "2014-06-30 13:45:12"},
                                    {"2014-06-30T13:45:12.1234567", "2014-06-30 13:45:12"},
                                    {"2014-06-30T13:45:12Z", "2014-06-30 13:45:12"},
                                    {"2014-06-30 13:45:12+00", "2014-06-30 13:45:12"},
                                    {"2014-06-30 13:45:12+05:30", "2014-06-30 08:15:12"},
                                    {"2014-06-30 13:45:12-0500", "2014-06-30 18:45:12"},
                                    {"2014-06-30 23:45:12.5-05", "2014-07-01 04:45:12"},
                                    {" 2014-06-30 ", "2014-06-30 00:00:00"},
                                });
}

TEST_CASE("mysql_datetime converts text offsets to the zone") {
  const TransformContext chicago = in_zone("America/Chicago", ColumnType::text);
  check_cases("mysql_datetime",
              {
                  {"2014-06-30T13:45:12Z", "2014-06-30 08:45:12"},
                  {"2017/05/10 00:00:00+00", "2017-05-09 19:00:00"},
                  // Without an offset the value is a wall-clock time and stays as written.
                  {"2014-06-30 13:45:12", "2014-06-30 13:45:12"},
                  {"06/24/2014", "2014-06-24 00:00:00"},
              },
              chicago);
}

TEST_CASE("mysql_datetime rejects unreadable text") {
  check_rejected("mysql_datetime", {
                                       {"02/30/2015", "'02/30/2015' is not a valid calendar date or time"},
                                       {"2015-02-29", "'2015-02-29' is not a valid calendar date"},
                                       {"2014-13-01", "is not a valid calendar date"},
                                       {"2014-06-30 24:00:00", "is not a valid calendar date or time"},
                                       {"infinity", "'infinity' is not a recognized date or time"},
                                       {"infinity", "expected a date such as 2014-06-30, 06/24/2014"},
                                       {"-infinity", "is not a recognized date or time"},
                                       {"30.06.2014", "is not a recognized date or time"},
                                       {"2014-06-30 13:45", "is not a recognized date or time"},
                                       {"June 30, 2014", "is not a recognized date or time"},
                                       {"", "'' is not a recognized date or time"},
                                       {"0999-12-31", "expected a year from 1000 through 9999"},
                                   });
}

TEST_CASE("mysql_datetime handles Chicago DST changes") {
  // Chicago moves from UTC-6 to UTC-5 at 08:00 UTC on 2024-03-10, and back at 07:00 UTC on
  // 2024-11-03, so 01:30 local occurs twice that day.
  const TransformContext chicago = in_zone("America/Chicago", ColumnType::timestamptz);
  check_cases("mysql_datetime",
              {
                  {"2024-03-10 07:59:59+00", "2024-03-10 01:59:59"},
                  {"2024-03-10 08:00:00+00", "2024-03-10 03:00:00"},
                  {"2024-03-10 08:30:00+00", "2024-03-10 03:30:00"},
                  {"2024-03-10 08:30:00.123456+00", "2024-03-10 03:30:00"},
                  {"2024-03-10 08:30:00-05:30", "2024-03-10 09:00:00"},
                  {"2024-11-03 06:30:00+00", "2024-11-03 01:30:00"},
                  {"2024-11-03 07:30:00+00", "2024-11-03 01:30:00"},
                  {"2024-11-03 08:00:00+00", "2024-11-03 02:00:00"},
                  {"2024-01-02 00:30:00+00", "2024-01-01 18:30:00"},
              },
              chicago);
}

TEST_CASE("mysql_datetime handles Toronto DST changes") {
  // Toronto moves from UTC-5 to UTC-4 at 07:00 UTC on 2024-03-10, and back at 06:00 UTC on
  // 2024-11-03.
  const TransformContext toronto = in_zone("America/Toronto", ColumnType::timestamptz);
  check_cases("mysql_datetime",
              {
                  {"2024-03-10 06:59:59+00", "2024-03-10 01:59:59"},
                  {"2024-03-10 07:00:00+00", "2024-03-10 03:00:00"},
                  {"2024-11-03 05:30:00+00", "2024-11-03 01:30:00"},
                  {"2024-11-03 06:30:00+00", "2024-11-03 01:30:00"},
                  {"2024-07-01 16:00:00+00", "2024-07-01 12:00:00"},
                  {"2024-01-15 17:00:00+00", "2024-01-15 12:00:00"},
              },
              toronto);
}

TEST_CASE("mysql_datetime keeps UTC without a zone") {
  const TransformContext utc = in_zone("", ColumnType::timestamptz);
  check_cases("mysql_datetime",
              {
                  {"2024-03-10 08:30:00+00", "2024-03-10 08:30:00"},
                  {"2024-03-10 08:30:00.999999+00", "2024-03-10 08:30:00"},
                  {"2024-03-10 08:30:00-05:30", "2024-03-10 14:00:00"},
              },
              utc);
}

TEST_CASE("mysql_datetime checks timestamptz form") {
  const TransformContext chicago = in_zone("America/Chicago", ColumnType::timestamptz);
  check_rejected("mysql_datetime",
                 {
                     {"2024-03-10 08:30:00", "'2024-03-10 08:30:00' is not a timestamp with time zone"},
                     {"2024-03-10", "is not a timestamp with time zone"},
                     {"03/10/2024", "expected the form 2024-03-10 08:30:00+00"},
                     {"infinity", "is not a recognized date or time"},
                 },
                 chicago);
}

TEST_CASE("mysql_datetime keeps timestamp wall time") {
  // A timestamp without time zone is not converted, even into a zone where the time does not
  // exist (02:30 on 2024-03-10 in Chicago), and its fraction is truncated.
  const TransformContext chicago = in_zone("America/Chicago", ColumnType::timestamp);
  check_cases("mysql_datetime",
              {
                  {"2024-03-10 08:30:00", "2024-03-10 08:30:00"},
                  {"2024-03-10 08:30:59.999999", "2024-03-10 08:30:59"},
                  {"2024-03-10 02:30:00", "2024-03-10 02:30:00"},
                  {"1969-12-31 23:59:59.9", "1969-12-31 23:59:59"},
              },
              chicago);
  check_rejected("mysql_datetime",
                 {
                     {"2024-03-10 08:30:00+00", "is not a timestamp without time zone"},
                     {"2024-03-10", "expected the form 2024-03-10 08:30:00"},
                 },
                 chicago);
}

TEST_CASE("mysql_datetime reads date columns") {
  const TransformContext chicago = in_zone("America/Chicago", ColumnType::date);
  check_cases("mysql_datetime",
              {
                  {"2024-03-10", "2024-03-10 00:00:00"},
                  {"2024-11-03", "2024-11-03 00:00:00"},
              },
              chicago);
  check_rejected("mysql_datetime",
                 {
                     {"03/10/2024", "'03/10/2024' is not a date; expected the form 2024-03-10"},
                     {"2024-03-10 00:00:00", "is not a date"},
                 },
                 chicago);
}

TEST_CASE("mysql_datetime rejects unknown zone") {
  const TransformContext nowhere = in_zone("America/Atlantis", ColumnType::timestamptz);
  CHECK_THROWS_WITH_AS(apply_transform("mysql_datetime", "2024-03-10 08:30:00+00", nowhere),
                       doctest::Contains("time zone 'America/Atlantis' is not in the IANA time zone database"),
                       std::invalid_argument);
}

TEST_CASE("truncate cuts at code points") {
  struct TruncateCase {
    std::string input;
    std::size_t max_length;
    std::string expected;
  };
  const std::vector<TruncateCase> cases = {
      {"Québec", 3, "Qué"},
      {"Québec", 2, "Qu"},
      {"Québec", 6, "Québec"},
      {"Québec", 100, "Québec"},
      {"Québec", 0, "Québec"},
      {"日本語テキスト", 2, "日本"},
      {"a\xF0\x9F\x98\x80" "b", 2, "a\xF0\x9F\x98\x80"},
      {"", 5, ""},
  };
  for (const TruncateCase& test_case : cases) {
    CAPTURE(test_case.input);
    CAPTURE(test_case.max_length);
    TransformContext context;
    context.max_length = test_case.max_length;
    CHECK(apply_transform("truncate", test_case.input, context) == test_case.expected);
  }
}

TEST_CASE("transform names are listed") {
  const std::vector<std::string_view> expected = {
      "trim",       "collapse_whitespace", "html_unescape", "upper",      "lower",     "title_case",
      "digits",     "missing_if",          "owner",         "name_part",  "address_part", "state_code",
      "zip5",       "postal_code",         "phone",         "money",      "number",    "boolean",
      "lookup",     "json_path",           "array_join",    "array_first", "mysql_datetime", "truncate"};
  CHECK(cc::mapping::transform_names() == expected);
  for (std::string_view name : expected) {
    CAPTURE(name);
    CHECK(cc::mapping::is_known_transform(name));
  }
  CHECK_FALSE(cc::mapping::is_known_transform("uppercase"));
  CHECK_FALSE(cc::mapping::is_known_transform(""));
}

TEST_CASE("apply_transform rejects unknown name") {
  CHECK_THROWS_WITH_AS(apply_transform("uppercase", "IL", {}), doctest::Contains("unknown transform 'uppercase'"),
                       std::invalid_argument);
}

TEST_CASE("is_known_timezone uses tz database") {
  CHECK(cc::mapping::is_known_timezone("America/Chicago"));
  CHECK(cc::mapping::is_known_timezone("America/Toronto"));
  CHECK(cc::mapping::is_known_timezone("UTC"));
  CHECK_FALSE(cc::mapping::is_known_timezone("America/Atlantis"));
  CHECK_FALSE(cc::mapping::is_known_timezone("CST6CDT/Chicago"));
  CHECK_FALSE(cc::mapping::is_known_timezone(""));
}

TEST_CASE("column_type_from_oid maps built-in types") {
  struct OidCase {
    unsigned int oid;
    ColumnType expected;
  };
  const std::vector<OidCase> cases = {
      {16, ColumnType::boolean},      {20, ColumnType::number},     {21, ColumnType::number},
      {23, ColumnType::number},       {25, ColumnType::text},       {114, ColumnType::json},
      {700, ColumnType::number},      {701, ColumnType::number},    {1042, ColumnType::text},
      {1043, ColumnType::text},       {1082, ColumnType::date},     {1114, ColumnType::timestamp},
      {1184, ColumnType::timestamptz}, {1700, ColumnType::number},  {2950, ColumnType::uuid},
      {3802, ColumnType::json},       {1083, ColumnType::text},     {0, ColumnType::text},
  };
  for (const OidCase& test_case : cases) {
    CAPTURE(test_case.oid);
    CHECK(cc::mapping::column_type_from_oid(test_case.oid) == test_case.expected);
  }
}

TEST_CASE("count_characters counts code points") {
  CHECK(cc::mapping::count_characters("") == 0);
  CHECK(cc::mapping::count_characters("abc") == 3);
  CHECK(cc::mapping::count_characters("Québec") == 6);
  CHECK(cc::mapping::count_characters("日本語") == 3);
  CHECK(cc::mapping::count_characters("\xF0\x9F\x98\x80") == 1);
}

TEST_CASE("quote_value shortens and escapes") {
  CHECK(cc::mapping::quote_value("IL") == "'IL'");
  CHECK(cc::mapping::quote_value("") == "''");
  CHECK(cc::mapping::quote_value("a\nb\tc\x01") == "'a\\nb\\tc\\x01'");
  CHECK(cc::mapping::quote_value(std::string(60, 'x')) == "'" + std::string(60, 'x') + "'");
  CHECK(cc::mapping::quote_value(std::string(61, 'x')) == "'" + std::string(60, 'x') + "...'");
  // The cut counts characters, so a 2-byte é never loses its second byte.
  std::string accented;
  for (int i = 0; i < 61; ++i) {
    accented += "é";
  }
  std::string expected = "'";
  for (int i = 0; i < 60; ++i) {
    expected += "é";
  }
  expected += "...'";
  CHECK(cc::mapping::quote_value(accented) == expected);
}

// ---------------------------------------------------------------------------------------------
// Steps with arguments

namespace {

using cc::mapping::LookupTables;
using cc::mapping::TransformStep;

using Arguments = std::map<std::string, std::vector<std::string>>;

const std::optional<std::string> missing = std::nullopt;

// An input and the step's result, where nothing means the value is missing.
struct StepCase {
  std::string input;
  std::optional<std::string> expected;
};

TransformStep make_step(std::string name, Arguments arguments = {}) {
  return TransformStep{std::move(name), std::move(arguments)};
}

// Shows a result in failure messages, telling a missing value apart from an empty string.
std::string shown(const std::optional<std::string>& value) {
  return value ? "'" + *value + "'" : "(missing)";
}

void check_step(const TransformStep& step, const std::vector<StepCase>& cases, const TransformContext& context = {}) {
  for (const StepCase& test_case : cases) {
    CAPTURE(step.name);
    CAPTURE(test_case.input);
    CHECK(shown(apply_transform(step, test_case.input, context)) == shown(test_case.expected));
  }
}

void check_step_rejected(const TransformStep& step, const std::vector<RejectedCase>& cases,
                         const TransformContext& context = {}) {
  for (const RejectedCase& test_case : cases) {
    CAPTURE(step.name);
    CAPTURE(test_case.input);
    CHECK_THROWS_WITH_AS(apply_transform(step, test_case.input, context),
                         doctest::Contains(test_case.message_fragment), TransformError);
  }
}

// Expected parts of one address, in the order street, unit, city, state, zip.
struct AddressCase {
  std::string input;
  std::optional<std::string> street;
  std::optional<std::string> unit;
  std::optional<std::string> city;
  std::optional<std::string> state;
  std::optional<std::string> zip;
};

void check_addresses(const std::vector<AddressCase>& cases) {
  for (const AddressCase& test_case : cases) {
    CAPTURE(test_case.input);
    const auto part = [&test_case](const char* name) {
      return shown(apply_transform(make_step("address_part", {{"part", {name}}}), test_case.input, {}));
    };
    CHECK(part("street") == shown(test_case.street));
    CHECK(part("unit") == shown(test_case.unit));
    CHECK(part("city") == shown(test_case.city));
    CHECK(part("state") == shown(test_case.state));
    CHECK(part("zip") == shown(test_case.zip));
  }
}

// Expected first and last name of one value.
struct NameCase {
  std::string input;
  std::optional<std::string> first;
  std::optional<std::string> last;
};

void check_names(const std::vector<NameCase>& cases, const Arguments& extra_arguments = {}) {
  for (const NameCase& test_case : cases) {
    CAPTURE(test_case.input);
    Arguments first_arguments = extra_arguments;
    first_arguments["part"] = {"first"};
    Arguments last_arguments = extra_arguments;
    last_arguments["part"] = {"last"};
    CHECK(shown(apply_transform(make_step("name_part", first_arguments), test_case.input, {})) ==
          shown(test_case.first));
    CHECK(shown(apply_transform(make_step("name_part", last_arguments), test_case.input, {})) ==
          shown(test_case.last));
  }
}

}  // namespace

TEST_CASE("html_unescape decodes entities") {
  check_step(make_step("html_unescape"),
             {
                 {"J &amp; J CONSTRUCTION", "J & J CONSTRUCTION"},
                 {"O&#039;HARA", "O'HARA"},
                 {"O&#39;HARA", "O'HARA"},
                 {"O&apos;HARA", "O'HARA"},
                 {"3966 WEST GRAND AVENUE&nbsp;CHICAGO&nbsp;IL&nbsp;60651", "3966 WEST GRAND AVENUE CHICAGO IL 60651"},
                 {"&lt;none&gt;", "<none>"},
                 {"&quot;BUD&quot; SMITH", "\"BUD\" SMITH"},
                 {"J &AMP; J", "J & J"},
                 {"A&NBSP;B", "A B"},
                 {"A&#160;B", "A B"},
                 {"caf&#xE9;", "café"},
                 {"caf&#XE9;", "café"},
                 {"&#x1F600;", "\xF0\x9F\x98\x80"},
                 {"&#8364;5", "€5"},
                 {"&amp;amp;", "&amp;"},
                 {"AT&T", "AT&T"},
                 {"A & B", "A & B"},
                 {"&amp", "&amp"},
                 {"&copy; 2020", "&copy; 2020"},
                 {"&#0;", "&#0;"},
                 {"&#xD800;", "&#xD800;"},
                 {"&#x110000;", "&#x110000;"},
                 {"&#12345678;", "&#12345678;"},
                 {"&#;", "&#;"},
                 {"&#x;", "&#x;"},
                 {"&#12a;", "&#12a;"},
                 {"", ""},
             });
}

TEST_CASE("collapse_whitespace joins runs") {
  check_step(make_step("collapse_whitespace"),
             {
                 {"  A \t B\r\nC  ", "A B C"},
                 {"46021 GOVERNMENT RD\nSQUAMISH BC", "46021 GOVERNMENT RD SQUAMISH BC"},
                 {"A\xC2\xA0\xC2\xA0" "B", "A B"},
                 {"\xE2\x80\x83" "A\xE3\x80\x80" "B", "A B"},
                 {"Québec  City", "Québec City"},
                 {" \n\t ", ""},
                 {"", ""},
             });
}

TEST_CASE("title_case capitalizes names") {
  check_step(make_step("title_case"),
             {
                 {"BRENDEN O'HARA", "Brenden O'Hara"},
                 {"MCALLISTER", "McAllister"},
                 {"MACDONALD", "Macdonald"},
                 {"CORREA-MCAVOY", "Correa-McAvoy"},
                 {"J. CHRISTIAN/ M. CORREA-MCAVOY", "J. Christian/ M. Correa-McAvoy"},
                 {"JOHN SMITH JR", "John Smith Jr"},
                 {"JOHN SMITH III", "John Smith III"},
                 {"ACME HVAC LLC", "Acme HVAC LLC"},
                 {"SMITH BUILDERS, INC.", "Smith Builders, INC."},
                 {"NORTHWIND USA LTD", "Northwind USA LTD"},
                 {"SMITH & JONES LLP", "Smith & Jones LLP"},
                 {"KESSLER PC", "Kessler PC"},
                 {"ROOF PROS LP", "Roof Pros LP"},
                 {"KING GEORGE IV", "King George IV"},
                 {"TOWN OF CARY", "Town of Cary"},
                 {"D'ANGELO", "D'Angelo"},
                 {"JOE'S PLUMBING", "Joe's Plumbing"},
                 {"DON'T", "Don't"},
                 {"O\xE2\x80\x99" "HARA", "O\xE2\x80\x99" "Hara"},
                 {"MCCOY", "McCoy"},
                 {"MC", "Mc"},
                 {"123 3RD ST UNIT 4B", "123 3rd St Unit 4B"},
                 {"QUÉBEC", "Québec"},
                 {"ÉCOLE", "École"},
                 {"john smith", "John Smith"},
                 {"McDonald", "McDonald"},
                 {"MacDonald", "MacDonald"},
                 {"  GLENN  &  TRANG ", "  Glenn  &  Trang "},
                 {"", ""},
             });
}

TEST_CASE("missing_if drops placeholders") {
  const TransformStep step = make_step("missing_if", {{"values", {"", "-", "TBD", "00000", "N/A"}}});
  check_step(step, {
                       {"TBD", missing},
                       {"tbd", missing},
                       {" - ", missing},
                       {"00000", missing},
                       {"n/a", missing},
                       {"", missing},
                       {"   ", missing},
                       {"TBD LATER", "TBD LATER"},
                       {" 27513 ", " 27513 "},
                       {"0", "0"},
                   });
}

TEST_CASE("owner picks the first owner") {
  check_step(make_step("owner"), {
                                     {"GLENN & TRANG CHUA", "GLENN CHUA"},
                                     {"IBRAHIM MOHAREB&JINAN EL-KURDI", "IBRAHIM MOHAREB"},
                                     {"J. CHRISTIAN/ M. CORREA-MCAVOY", "J. CHRISTIAN"},
                                     {"YARBROUGH BLAKE S |  YARBROUGH VAUGHN D", "YARBROUGH BLAKE S"},
                                     {"YARBROUGH BLAKE S|YARBROUGH VAUGHN D", "YARBROUGH BLAKE S"},
                                     {"JOHN SMITH AND MARY SMITH", "JOHN SMITH"},
                                     {"JOHN SMITH / MARY SMITH", "JOHN SMITH"},
                                     {"JOHN SMITH | MARY SMITH", "JOHN SMITH"},
                                     {"GLENN & TRANG CHUA JR", "GLENN CHUA"},
                                     {"ANDERSON & ANDREWS", "ANDERSON"},
                                     {"J & J CONSTRUCTION", "J & J CONSTRUCTION"},
                                     {"MARLOWE ABERNATHY SAGE. LTD. | KENDALL BLAKE", "MARLOWE ABERNATHY SAGE. LTD."},
                                     {"OSBORNE FINLEY A | PEMBERTON INC JARDINE F", "OSBORNE FINLEY A"},
                                     {"| JOHN SMITH", "JOHN SMITH"},
                                     {"SMITH JOHN ET AL", "SMITH JOHN"},
                                     {"SMITH JOHN ETAL", "SMITH JOHN"},
                                     {"JOHN SMITH C/O JANE DOE", "JOHN SMITH"},
                                     {"  DREW S KESSLER  ", "DREW S KESSLER"},
                                     {" & ", missing},
                                     {" | ", missing},
                                     {"   ", missing},
                                     {"", missing},
                                 });
}

TEST_CASE("owner joins all owners") {
  check_step(make_step("owner", {{"which", {"all"}}}),
             {
                 {"GLENN & TRANG CHUA", "GLENN & TRANG CHUA"},
                 {"IBRAHIM MOHAREB&JINAN EL-KURDI", "IBRAHIM MOHAREB & JINAN EL-KURDI"},
                 {"J. CHRISTIAN/ M. CORREA-MCAVOY", "J. CHRISTIAN & M. CORREA-MCAVOY"},
                 {"YARBROUGH BLAKE S |  YARBROUGH VAUGHN D", "YARBROUGH BLAKE S & YARBROUGH VAUGHN D"},
                 {"JOHN SMITH AND MARY SMITH", "JOHN SMITH & MARY SMITH"},
                 {"| JOHN SMITH |", "JOHN SMITH"},
                 {"J & J CONSTRUCTION", "J & J CONSTRUCTION"},
                 {"J & J CONSTRUCTION | MARY SMITH & JOHN SMITH", "J & J CONSTRUCTION & MARY SMITH & JOHN SMITH"},
                 {" & ", missing},
             });
  check_step(make_step("owner", {{"which", {"first"}}}), {{"GLENN & TRANG CHUA", "GLENN CHUA"}});
}

TEST_CASE("name_part splits first-last names") {
  check_names({
      {"DREW S KESSLER", "DREW", "KESSLER"},
      {"KESSLER, DREW S", "DREW", "KESSLER"},
      {"KESSLER,DREW", "DREW", "KESSLER"},
      {"JOHN SMITH JR", "JOHN", "SMITH JR"},
      {"JOHN SMITH JR.", "JOHN", "SMITH JR."},
      {"JOHN SMITH III", "JOHN", "SMITH III"},
      {"SMITH, JOHN JR", "JOHN", "SMITH JR"},
      {"SMITH JR, JOHN", "JOHN", "SMITH JR"},
      {"BRENDEN O'HARA", "BRENDEN", "O'HARA"},
      {"M. CORREA-MCAVOY", "M.", "CORREA-MCAVOY"},
      {"JUAN DE LA CRUZ", "JUAN", "DE LA CRUZ"},
      {"MARY ANN SMITH", "MARY", "SMITH"},
      {"MR JOHN SMITH", "JOHN", "SMITH"},
      {"GLENN CHUA", "GLENN", "CHUA"},
      {"  GLENN   CHUA ", "GLENN", "CHUA"},
      {"CHUA", missing, "CHUA"},
      {"SMITH,", missing, "SMITH"},
      {"", missing, missing},
      {"   ", missing, missing},
  });
}

TEST_CASE("name_part keeps companies whole") {
  check_names({
      {"ACME BUILDERS INC", missing, "ACME BUILDERS INC"},
      {"J & J CONSTRUCTION", missing, "J & J CONSTRUCTION"},
      {"TOWN OF CARY", missing, "TOWN OF CARY"},
      {"CITY OF CHICAGO", missing, "CITY OF CHICAGO"},
      {"SMITH FAMILY TRUST", missing, "SMITH FAMILY TRUST"},
      {"SMITH & CO.", missing, "SMITH & CO."},
      {"FIRST BAPTIST CHURCH", missing, "FIRST BAPTIST CHURCH"},
      {"PULTE HOMES", missing, "PULTE HOMES"},
      {"MAPLE RIDGE HOA", missing, "MAPLE RIDGE HOA"},
      {"ACME L.L.C.", missing, "ACME L.L.C."},
      {"KESSLER PARTNERS LP", missing, "KESSLER PARTNERS LP"},
      {"BANK OF AMERICA", missing, "BANK OF AMERICA"},
      {"CARY PROPERTIES LLP", missing, "CARY PROPERTIES LLP"},
      {"ACME CORP", missing, "ACME CORP"},
      {"ACME COMPANY", missing, "ACME COMPANY"},
      {"ACME LTD", missing, "ACME LTD"},
      {"OAKS ASSOCIATION", missing, "OAKS ASSOCIATION"},
      {"NGUYEN CO", "NGUYEN", "CO"},
  });
}

TEST_CASE("name_part reads last-first names") {
  const Arguments last_first = {{"order", {"last_first"}}};
  check_names(
      {
          {"YARBROUGH BLAKE S", "BLAKE", "YARBROUGH"},
          {"YARBROUGH VAUGHN D", "VAUGHN", "YARBROUGH"},
          {"VAN DYKE JOHN", "JOHN", "VAN DYKE"},
          {"YARBROUGH JR BLAKE", "BLAKE", "YARBROUGH JR"},
          {"KESSLER, DREW S", "DREW", "KESSLER"},
          {"CHUA", missing, "CHUA"},
          {"ACME BUILDERS INC", missing, "ACME BUILDERS INC"},
      },
      last_first);
  check_names({{"DREW S KESSLER", "DREW", "KESSLER"}}, {{"order", {"first_last"}}});
}

TEST_CASE("address_part splits one-line addresses") {
  check_addresses({
      {"3966 WEST GRAND AVENUE&nbsp;CHICAGO&nbsp;IL&nbsp;60651", "3966 WEST GRAND AVENUE", missing, "CHICAGO", "IL",
       "60651"},
      {"3966 WEST GRAND AVENUE CHICAGO IL 60651", "3966 WEST GRAND AVENUE CHICAGO", missing, missing, "IL", "60651"},
      {"3966 WEST GRAND AVENUE\xC2\xA0" "CHICAGO\xC2\xA0IL\xC2\xA0" "60651", "3966 WEST GRAND AVENUE", missing,
       "CHICAGO", "IL", "60651"},
      {"118 Maple Ave, Cary, NC 27513", "118 Maple Ave", missing, "Cary", "NC", "27513"},
      {"118 Maple Ave, Cary, NC 275131234", "118 Maple Ave", missing, "Cary", "NC", "27513-1234"},
      {"118 Maple Ave, Cary NC 27513", "118 Maple Ave", missing, "Cary", "NC", "27513"},
      {"118 Maple Ave, Cary, North Carolina 27513", "118 Maple Ave", missing, "Cary", "NC", "27513"},
      {"3966 W GRAND AVE, CHICAGO, IL 60651, USA", "3966 W GRAND AVE", missing, "CHICAGO", "IL", "60651"},
      {"37-14 81ST ST, JACKSON HEIGHTS, NY 11372", "37-14 81ST ST", missing, "JACKSON HEIGHTS", "NY", "11372"},
      {"CHICAGO IL 60651", missing, missing, "CHICAGO", "IL", "60651"},
      {"123 MAIN ST CHICAGO IL", "123 MAIN ST CHICAGO", missing, missing, "IL", missing},
      {"123 OAK CT", "123 OAK CT", missing, missing, missing, missing},
      {"123 MAIN ST, OMAHA NE", "123 MAIN ST", missing, "OMAHA", "NE", missing},
      {"PO BOX 12345", "PO BOX 12345", missing, missing, missing, missing},
      {"118 MAPLE AVE, CARY 27513", "118 MAPLE AVE", missing, "CARY", missing, "27513"},
  });
}

TEST_CASE("address_part splits multi-line addresses") {
  check_addresses({
      {"46021 GOVERNMENT RD\nSQUAMISH BC", "46021 GOVERNMENT RD", missing, "SQUAMISH", "BC", missing},
      {"46021 GOVERNMENT RD\r\nSQUAMISH BC V8B 0A1", "46021 GOVERNMENT RD", missing, "SQUAMISH", "BC", "V8B 0A1"},
      {"40022 GOVERNMENT RD, SQUAMISH, BC V8B0A1", "40022 GOVERNMENT RD", missing, "SQUAMISH", "BC", "V8B 0A1"},
      {"46021 GOVERNMENT RD\nSQUAMISH", "46021 GOVERNMENT RD", missing, "SQUAMISH", missing, missing},
      {"UNIT 5\n1234 MAIN ST\nSQUAMISH BC", "1234 MAIN ST", "5", "SQUAMISH", "BC", missing},
      {"46021 GOVERNMENT RD\n", "46021 GOVERNMENT RD", missing, missing, missing, missing},
  });
}

TEST_CASE("address_part finds units") {
  check_addresses({
      {"22-40022 GOVERNMENT RD", "40022 GOVERNMENT RD", "22", missing, missing, missing},
      {"22-40022 GOVERNMENT RD\nSQUAMISH BC", "40022 GOVERNMENT RD", "22", "SQUAMISH", "BC", missing},
      {"2100 GATEWAY CENTRE BLVD 109", "2100 GATEWAY CENTRE BLVD 109", missing, missing, missing, missing},
      {"118 MAPLE AVE #5", "118 MAPLE AVE", "5", missing, missing, missing},
      {"118 MAPLE AVE # 5", "118 MAPLE AVE", "5", missing, missing, missing},
      {"118 MAPLE AVE UNIT 5", "118 MAPLE AVE", "5", missing, missing, missing},
      {"118 MAPLE AVE APT 5", "118 MAPLE AVE", "5", missing, missing, missing},
      {"118 MAPLE AVE APT. 5B", "118 MAPLE AVE", "5B", missing, missing, missing},
      {"118 MAPLE AVE SUITE 200", "118 MAPLE AVE", "200", missing, missing, missing},
      {"118 MAPLE AVE STE 200", "118 MAPLE AVE", "200", missing, missing, missing},
      {"APT 5 118 MAPLE AVE", "118 MAPLE AVE", "5", missing, missing, missing},
      {"118 Maple Ave, Suite 200, Cary, NC 27513-1234", "118 Maple Ave", "200", "Cary", "NC", "27513-1234"},
  });
}

TEST_CASE("address_part treats placeholders as missing") {
  check_addresses({
      {" -", missing, missing, missing, missing, missing},
      {"\n", missing, missing, missing, missing, missing},
      {"", missing, missing, missing, missing, missing},
      {" , ", missing, missing, missing, missing, missing},
  });
}

TEST_CASE("zip5 pads numeric values") {
  const TransformStep padded = make_step("zip5", {{"pad", {"true"}}});
  check_step(padded, {
                         {"2134", "02134"},
                         {"213", "00213"},
                         {"27513", "27513"},
                         {"27513-1234", "27513"},
                         {"60646-", "60646"},
                     });
  check_step_rejected(padded, {
                                  {"606666", "'606666' has 6 digits"},
                                  {"21", "'21' has 2 digits"},
                                  {"ABCD", "is not a US ZIP code"},
                              });
  check_step_rejected(make_step("zip5", {{"pad", {"false"}}}), {{"2134", "add pad = \"true\" to restore it"}});
}

TEST_CASE("postal_code normalizes ZIP and postal codes") {
  check_step(make_step("postal_code"), {
                                           {"27513", "27513"},
                                           {"27513-1234", "27513-1234"},
                                           {"275131234", "27513-1234"},
                                           {"27513 1234", "27513-1234"},
                                           {"60646-", "60646"},
                                           {" 60646 ", "60646"},
                                           {"v8b0a1", "V8B 0A1"},
                                           {"V8B 0A1", "V8B 0A1"},
                                           {"V8B-0A1", "V8B 0A1"},
                                           {" v8b 0a1 ", "V8B 0A1"},
                                           {"K1A 0B1", "K1A 0B1"},
                                           {"T2W 1Z9", "T2W 1Z9"},
                                       });
}

TEST_CASE("postal_code rejects other values") {
  check_step_rejected(make_step("postal_code"),
                      {
                          {"D8B 0A1", "'D8B 0A1' is not a valid Canadian postal code"},
                          {"W8B 0A1", "never starts a code with W or Z"},
                          {"Z8B 0A1", "is not a valid Canadian postal code"},
                          {"V8O 0A1", "never uses the letters D, F, I, O, Q or U"},
                          {"V8B 0U1", "is not a valid Canadian postal code"},
                          {"606666", "'606666' has 6 digits"},
                          {"2134", "may have dropped leading zeros"},
                          {"2751-31234", "hyphen in the wrong place"},
                          {"ABC", "'ABC' is not a US ZIP code or Canadian postal code"},
                          {"", "such as 27513 or 27513-1234, or a Canadian postal code such as V8B 0A1"},
                      });
}

TEST_CASE("money writes two decimals") {
  check_step(make_step("money"), {
                                     {"$11,500.00", "11500.00"},
                                     {"$2,500", "2500.00"},
                                     {"(1,200.50)", "-1200.50"},
                                     {"-$5", "-5.00"},
                                     {"$-5", "-5.00"},
                                     {"+$3", "3.00"},
                                     {"$ 1,234.5", "1234.50"},
                                     {"11500.5", "11500.50"},
                                     {".5", "0.50"},
                                     {"0.005", "0.01"},
                                     {"1.005", "1.01"},
                                     {"999.995", "1000.00"},
                                     {"-0.004", "0.00"},
                                     {"007", "7.00"},
                                     {"", missing},
                                     {"   ", missing},
                                 });
}

TEST_CASE("money rejects non-amounts") {
  check_step_rejected(make_step("money"), {
                                              {"abc", "'abc' is not an amount of money"},
                                              {"$1,2345", "is not an amount of money"},
                                              {"1,23", "is not an amount of money"},
                                              {"$", "is not an amount of money"},
                                              {"(-5)", "is not an amount of money"},
                                              {"--5", "is not an amount of money"},
                                              {"1.2.3", "is not an amount of money"},
                                              {"5 USD", "such as $11,500.00, -$5 or (1,200.50)"},
                                          });
}

TEST_CASE("number writes plain decimals") {
  check_step(make_step("number"), {
                                      {"1,234.50", "1234.50"},
                                      {" 42 ", "42"},
                                      {"-7", "-7"},
                                      {"+3.10", "3.10"},
                                      {"007", "7"},
                                      {".5", "0.5"},
                                      {"-0", "0"},
                                      {"1,234,567", "1234567"},
                                      {"", missing},
                                  });
  check_step(make_step("number", {{"decimals", {"2"}}}), {
                                                             {"2.345", "2.35"},
                                                             {"-2.345", "-2.35"},
                                                             {"2", "2.00"},
                                                             {"1,234.5", "1234.50"},
                                                             {"9.999", "10.00"},
                                                         });
  check_step(make_step("number", {{"decimals", {"0"}}}), {
                                                             {"2.5", "3"},
                                                             {"-2.5", "-3"},
                                                             {"2.49", "2"},
                                                             {"-0.4", "0"},
                                                         });
}

TEST_CASE("number rejects exponents and text") {
  check_step_rejected(make_step("number"), {
                                               {"1e3", "'1e3' has an exponent, which is not supported"},
                                               {"1.5E+20", "has an exponent"},
                                               {"NaN", "'NaN' is not a number"},
                                               {"abc", "is not a number"},
                                               {"1,2,3", "is not a number"},
                                               {"--1", "such as 1,234.50 or -42"},
                                           });
}

TEST_CASE("boolean maps yes and no") {
  check_step(make_step("boolean"), {
                                       {"t", "Yes"},
                                       {"f", "No"},
                                       {"TRUE", "Yes"},
                                       {"false", "No"},
                                       {" Yes ", "Yes"},
                                       {"no", "No"},
                                       {"Y", "Yes"},
                                       {"N", "No"},
                                       {"1", "Yes"},
                                       {"0", "No"},
                                       {"on", "Yes"},
                                       {"OFF", "No"},
                                       {"", missing},
                                   });
  check_step(make_step("boolean", {{"true_text", {"Active"}}, {"false_text", {"Inactive"}}}),
             {
                 {"t", "Active"},
                 {"f", "Inactive"},
             });
  check_step_rejected(make_step("boolean"), {
                                                {"maybe", "'maybe' is not a yes/no value"},
                                                {"2", "expected t, true, yes, y, 1, on, f, false, no, n, 0 or off"},
                                            });
}

TEST_CASE("lookup maps keys") {
  const LookupTables lookups = {{"status", {{"OPEN", "Lead"}, {"Closed", "Won"}, {"PEND", "Pending"}}}};
  TransformContext context;
  context.lookups = &lookups;
  check_step(make_step("lookup", {{"table", {"status"}}}), {
                                                               {"OPEN", "Lead"},
                                                               {"open", "Lead"},
                                                               {" closed ", "Won"},
                                                               {"PEND", "Pending"},
                                                           },
             context);
  check_step(make_step("lookup", {{"table", {"status"}}, {"default", {"Other"}}}), {{"XYZ", "Other"}}, context);
  check_step_rejected(make_step("lookup", {{"table", {"status"}}}),
                      {
                          {"XYZ", "'XYZ' is not a key of the lookup table status"},
                          {"XYZ", "known keys are 'Closed', 'OPEN', 'PEND'"},
                          {"", "give the step a default"},
                      },
                      context);
}

TEST_CASE("lookup lists a few keys") {
  const LookupTables lookups = {
      {"codes", {{"A", "1"}, {"B", "2"}, {"C", "3"}, {"D", "4"}, {"E", "5"}, {"F", "6"}, {"G", "7"}}}};
  TransformContext context;
  context.lookups = &lookups;
  check_step_rejected(make_step("lookup", {{"table", {"codes"}}}),
                      {{"Z", "known keys are 'A', 'B', 'C', 'D', 'E' and 2 more"}}, context);
}

TEST_CASE("json_path reads values") {
  const std::string document =
      R"({"customer": {"address": {"city": "Chicago", "zip": "60651"}, "name": "Ann"},)"
      R"( "phones": [{"number": "(773) 343-3905", "type": "mobile"}], "tags": ["roof", "gutter"],)"
      R"( "count": 3, "price": 12.5, "active": true, "note": null, "city": "Québec"})";
  const auto at = [](const char* path) { return make_step("json_path", {{"path", {path}}}); };
  const std::vector<std::pair<const char*, std::optional<std::string>>> cases = {
      {"customer.address.city", "Chicago"},
      {"phones[0].number", "(773) 343-3905"},
      {"tags[1]", "gutter"},
      {"$.customer.name", "Ann"},
      {"count", "3"},
      {"price", "12.5"},
      {"active", "true"},
      {"city", "Québec"},
      {"customer.address", R"({"city":"Chicago","zip":"60651"})"},
      {"tags", R"(["roof","gutter"])"},
      {"note", missing},
      {"customer.email", missing},
      {"tags[5]", missing},
      {"tags.first", missing},
      {"count[0]", missing},
  };
  for (const auto& [path, expected] : cases) {
    CAPTURE(path);
    CHECK(shown(apply_transform(at(path), document, {})) == shown(expected));
  }
  check_step(at("[1]"), {{R"(["a", "b"])", "b"}});
}

TEST_CASE("json_path rejects invalid JSON") {
  check_step_rejected(make_step("json_path", {{"path", {"city"}}}),
                      {
                          {"{not json", "'{not json' is not valid JSON"},
                          {"", "is not valid JSON"},
                          {R"({"city": "Chicago")", "expected JSON text such as"},
                          {R"({"city": 1e999})", "has a number too large for a double"},
                      });
}

TEST_CASE("array_join reads PostgreSQL arrays") {
  check_step(make_step("array_join"), {
                                          {R"({a,b,"c d"})", "a, b, c d"},
                                          {"{roof,NULL,gutter}", "roof, gutter"},
                                          {"{roof,null,gutter}", "roof, gutter"},
                                          {R"({"NULL",x})", "NULL, x"},
                                          {R"({"",x," "})", "x"},
                                          {R"({"a\"b",c})", "a\"b, c"},
                                          {R"({"a,b",c})", "a,b, c"},
                                          {"{ a , b }", "a, b"},
                                          {"{{1,2},{3,4}}", "1, 2, 3, 4"},
                                          {"[0:1]={x,y}", "x, y"},
                                          {"{}", missing},
                                          {"{NULL}", missing},
                                      });
  check_step(make_step("array_join", {{"separator", {" | "}}}), {{"{roof,gutter}", "roof | gutter"}});
}

TEST_CASE("array_join reads JSON arrays") {
  check_step(make_step("array_join"), {
                                          {R"(["a", null, "b"])", "a, b"},
                                          {"[1, 2.5, true]", "1, 2.5, true"},
                                          {R"([{"x": 1}])", R"({"x":1})"},
                                          {"[]", missing},
                                      });
  TransformContext json_column;
  json_column.column_type = ColumnType::json;
  check_step(make_step("array_join"), {{R"(["a","b"])", "a, b"}}, json_column);
  check_step_rejected(make_step("array_join"), {{R"({"a": 1})", "is JSON but not an array"}}, json_column);
}

TEST_CASE("array_join rejects malformed arrays") {
  check_step_rejected(make_step("array_join"),
                      {
                          {"{a,b", "'{a,b' is not a valid PostgreSQL array literal"},
                          {"{a,b}x", "is not a valid PostgreSQL array literal"},
                          {R"({"a})", "is not a valid PostgreSQL array literal"},
                          {"{{{{{{{1}}}}}}}", "is not a valid PostgreSQL array literal"},
                          {"plain text", "'plain text' is not valid JSON"},
                          {R"("text")", "is JSON but not an array"},
                      });
}

TEST_CASE("array_first takes first element") {
  check_step(make_step("array_first"), {
                                           {R"({NULL,"",roof,gutter})", "roof"},
                                           {"{roof}", "roof"},
                                           {"{}", missing},
                                           {"{NULL}", missing},
                                           {R"([null, "", "x"])", "x"},
                                       });
}

TEST_CASE("mysql_datetime reads a given format") {
  const TransformStep day_first = make_step("mysql_datetime", {{"format", {"%d/%m/%Y"}}});
  check_step(day_first, {
                            {"25/12/2024", "2024-12-25 00:00:00"},
                            {"05/03/2024", "2024-03-05 00:00:00"},
                            {" 5/3/2024 ", "2024-03-05 00:00:00"},
                        });
  check_step_rejected(day_first, {
                                     {"12/25/2024", "'12/25/2024' does not match the format '%d/%m/%Y'"},
                                     {"2024-12-25", "does not match the format"},
                                     {"31/02/2024", "or is not a valid calendar date"},
                                     {"25/12/2024 10:00", "expected text such as 25/12/2024"},
                                     {"", "does not match the format"},
                                 });
  check_step(make_step("mysql_datetime", {{"format", {"%d/%m/%Y %H:%M"}}}), {{"25/12/2024 13:45", "2024-12-25 13:45:00"}});
  check_step(make_step("mysql_datetime", {{"format", {"%d/%m/%Y %H:%M %z"}}}),
             {{"25/12/2024 13:45 -0500", "2024-12-25 18:45:00"}});
  check_step(make_step("mysql_datetime", {{"format", {"%d/%m/%Y %H:%M %z"}}}),
             {{"25/12/2024 13:45 -0500", "2024-12-25 12:45:00"}}, in_zone("America/Chicago", ColumnType::text));
}

TEST_CASE("mysql_datetime format skips date columns") {
  // A date column always arrives in ISO form, whatever format the mapping gives for text.
  const TransformStep day_first = make_step("mysql_datetime", {{"format", {"%d/%m/%Y"}}});
  check_step(day_first, {{"2024-03-10", "2024-03-10 00:00:00"}}, in_zone("", ColumnType::date));
}

TEST_CASE("truncate length overrides field limit") {
  TransformContext context;
  context.max_length = 100;
  check_step(make_step("truncate", {{"length", {"3"}}}), {{"Québec", "Qué"}, {"ab", "ab"}}, context);
  check_step(make_step("truncate"), {{"Québec", "Québec"}}, context);
}

TEST_CASE("string overload returns empty for missing") {
  CHECK(apply_transform("owner", " & ", {}).empty());
  CHECK(apply_transform("html_unescape", "J &amp; J", {}) == "J & J");
  CHECK_THROWS_WITH_AS(apply_transform("name_part", "DREW KESSLER", {}),
                       doctest::Contains("name_part: argument part is required"), std::invalid_argument);
}

// ---------------------------------------------------------------------------------------------
// Signatures, argument checks and column types

TEST_CASE("transform_signature lists arguments") {
  const cc::mapping::TransformSignature* name_part = cc::mapping::transform_signature("name_part");
  REQUIRE(name_part != nullptr);
  CHECK(name_part->required == std::vector<std::string>{"part"});
  CHECK(name_part->optional == std::vector<std::string>{"order"});

  const cc::mapping::TransformSignature* boolean = cc::mapping::transform_signature("boolean");
  REQUIRE(boolean != nullptr);
  CHECK(boolean->required.empty());
  CHECK(boolean->optional == std::vector<std::string>{"true_text", "false_text"});

  const cc::mapping::TransformSignature* trim = cc::mapping::transform_signature("trim");
  REQUIRE(trim != nullptr);
  CHECK(trim->required.empty());
  CHECK(trim->optional.empty());

  CHECK(cc::mapping::transform_signature("uppercase") == nullptr);
  for (std::string_view name : cc::mapping::transform_names()) {
    CAPTURE(name);
    CHECK(cc::mapping::transform_signature(name) != nullptr);
  }
}

TEST_CASE("check_transform_arguments accepts valid steps") {
  const LookupTables lookups = {{"status", {{"OPEN", "Lead"}}}};
  const std::vector<TransformStep> steps = {
      make_step("trim"),
      make_step("name_part", {{"part", {"first"}}, {"order", {"last_first"}}}),
      make_step("address_part", {{"part", {"zip"}}}),
      make_step("owner", {{"which", {"all"}}}),
      make_step("lookup", {{"table", {"status"}}, {"default", {""}}}),
      make_step("missing_if", {{"values", {"", "TBD"}}}),
      make_step("number", {{"decimals", {"12"}}}),
      make_step("truncate", {{"length", {"40"}}}),
      make_step("json_path", {{"path", {"phones[0].number"}}}),
      make_step("mysql_datetime", {{"format", {"%d/%m/%Y %H:%M:%S %z"}}}),
      make_step("zip5", {{"pad", {"true"}}}),
  };
  for (const TransformStep& step : steps) {
    CAPTURE(step.name);
    CHECK(cc::mapping::check_transform_arguments(step, lookups) == "");
  }
}

TEST_CASE("check_transform_arguments reports problems") {
  const LookupTables lookups = {{"status", {{"OPEN", "Lead"}}}};
  struct ArgumentCase {
    TransformStep step;
    const char* message_fragment;
  };
  const std::vector<ArgumentCase> cases = {
      {make_step("name_part"), "name_part: argument part is required; expected 'first' or 'last'"},
      {make_step("name_part", {{"part", {"middle"}}}), "name_part: argument part is 'middle'; expected 'first' or 'last'"},
      {make_step("name_part", {{"part", {"first"}}, {"order", {"given_family"}}}),
       "expected 'first_last' or 'last_first'"},
      {make_step("address_part", {{"part", {"country"}}}),
       "argument part is 'country'; expected 'street', 'unit', 'city', 'state' or 'zip'"},
      {make_step("lookup", {{"table", {"stage"}}}), "argument table is 'stage', which is not a table under [lookups]"},
      {make_step("lookup", {{"table", {"stage"}}}), "the tables are status"},
      {make_step("lookup"), "lookup: argument table is required"},
      {make_step("owner", {{"which", {"first", "all"}}}), "owner: argument which takes one value, not 2"},
      {make_step("owner", {{"whose", {"first"}}}), "owner: unknown argument 'whose'; its arguments are which"},
      {make_step("trim", {{"side", {"left"}}}), "trim: unknown argument 'side'; it takes no arguments"},
      {make_step("missing_if"), "missing_if: argument values is required"},
      {make_step("missing_if", {{"values", {}}}), "argument values is an empty list"},
      {make_step("number", {{"decimals", {"13"}}}), "argument decimals is '13'; expected a whole number from 0 to 12"},
      {make_step("number", {{"decimals", {"two"}}}), "argument decimals is 'two'"},
      {make_step("truncate", {{"length", {"0"}}}), "argument length is '0'; expected a whole number above 0"},
      {make_step("zip5", {{"pad", {"yes"}}}), "argument pad is 'yes'; expected 'true' or 'false'"},
      {make_step("json_path", {{"path", {"a..b"}}}), "argument path is 'a..b', which has an empty key"},
      {make_step("json_path", {{"path", {"tags[x]"}}}), "has an index that is not a whole number"},
      {make_step("json_path", {{"path", {"tags[0"}}}), "has a [ without ]"},
      {make_step("json_path", {{"path", {"tags[0]x"}}}), "has text right after ]"},
      {make_step("json_path", {{"path", {"city."}}}), "ends with a dot"},
      {make_step("json_path", {{"path", {""}}}), "is empty"},
      {make_step("mysql_datetime", {{"format", {"%d/%m"}}}), "must read a year, a month and a day"},
      {make_step("mysql_datetime", {{"format", {"%d/%m/%Q"}}}), "uses %Q, which is not supported"},
      {make_step("mysql_datetime", {{"format", {"%d/%m/%Y%"}}}), "ends with a lone %"},
      {make_step("uppercase"), "unknown transform 'uppercase'; expected one of trim, collapse_whitespace"},
  };
  for (const ArgumentCase& test_case : cases) {
    CAPTURE(test_case.step.name);
    CAPTURE(test_case.message_fragment);
    const std::string message = cc::mapping::check_transform_arguments(test_case.step, lookups);
    CHECK(message.find(test_case.message_fragment) != std::string::npos);
  }
}

TEST_CASE("lookup without tables reports them") {
  CHECK(cc::mapping::check_transform_arguments(make_step("lookup", {{"table", {"status"}}}), {}).find(
            "the mapping defines no tables, so add one such as [lookups.status]") != std::string::npos);
}

TEST_CASE("apply_transform rejects invalid steps") {
  CHECK_THROWS_WITH_AS(apply_transform(make_step("name_part", {{"part", {"middle"}}}), "DREW KESSLER", {}),
                       doctest::Contains("argument part is 'middle'"), std::invalid_argument);
  CHECK_THROWS_WITH_AS(apply_transform(make_step("lookup", {{"table", {"status"}}}), "OPEN", {}),
                       doctest::Contains("not a table under [lookups]"), std::invalid_argument);
  CHECK_THROWS_WITH_AS(apply_transform(make_step("uppercase"), "IL", {}),
                       doctest::Contains("unknown transform 'uppercase'"), std::invalid_argument);
}

TEST_CASE("transform_accepts checks column types") {
  struct AcceptCase {
    const char* name;
    ColumnType type;
    bool expected;
  };
  const std::vector<AcceptCase> cases = {
      {"phone", ColumnType::timestamptz, false}, {"phone", ColumnType::number, true},
      {"phone", ColumnType::text, true},         {"json_path", ColumnType::json, true},
      {"json_path", ColumnType::text, true},     {"json_path", ColumnType::number, false},
      {"array_join", ColumnType::json, true},    {"array_first", ColumnType::text, true},
      {"array_join", ColumnType::number, false}, {"mysql_datetime", ColumnType::date, true},
      {"mysql_datetime", ColumnType::timestamp, true}, {"mysql_datetime", ColumnType::timestamptz, true},
      {"mysql_datetime", ColumnType::json, false}, {"mysql_datetime", ColumnType::number, false},
      {"trim", ColumnType::json, true},          {"trim", ColumnType::uuid, true},
      {"missing_if", ColumnType::date, true},    {"truncate", ColumnType::json, true},
      {"boolean", ColumnType::boolean, true},    {"boolean", ColumnType::number, true},
      {"boolean", ColumnType::date, false},      {"money", ColumnType::number, true},
      {"number", ColumnType::number, true},      {"number", ColumnType::boolean, false},
      {"zip5", ColumnType::number, true},        {"postal_code", ColumnType::number, true},
      {"digits", ColumnType::number, true},      {"state_code", ColumnType::number, false},
      {"title_case", ColumnType::uuid, false},   {"upper", ColumnType::uuid, true},
      {"name_part", ColumnType::json, false},    {"address_part", ColumnType::text, true},
      {"html_unescape", ColumnType::number, false}, {"lookup", ColumnType::number, true},
      {"uppercase", ColumnType::text, false},
  };
  for (const AcceptCase& test_case : cases) {
    CAPTURE(test_case.name);
    CAPTURE(static_cast<int>(test_case.type));
    CHECK(cc::mapping::transform_accepts(test_case.name, test_case.type) == test_case.expected);
  }
  for (std::string_view name : cc::mapping::transform_names()) {
    CAPTURE(name);
    CHECK(cc::mapping::transform_accepts(name, ColumnType::text));
  }
}
