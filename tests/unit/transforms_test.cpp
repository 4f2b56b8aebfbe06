#include "mapping/transforms.h"

#include <doctest/doctest.h>

#include <stdexcept>
#include <string>
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
  const std::vector<std::string_view> expected = {"trim",  "upper", "lower",          "digits",  "state_code",
                                                  "zip5",  "phone", "mysql_datetime", "truncate"};
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
