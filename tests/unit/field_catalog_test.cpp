#include "mapping/field_catalog.h"

#include <doctest/doctest.h>

#include <optional>
#include <set>
#include <string>
#include <vector>

namespace {

using cc::mapping::FieldKind;
using cc::mapping::FieldProblem;
using cc::mapping::ImportRecord;
using cc::mapping::validate_record;

ImportRecord valid_record() {
  return {
      {"req_firstname", "Maria"},
      {"req_lastname", "Lopez"},
      {"req_accountname", "Lopez Residence"},
      {"req_street", "4821 N Milwaukee Ave"},
      {"req_city", "Chicago"},
      {"req_state", "IL"},
      {"req_zip", "60630"},
      {"req_oppdate", "2024-03-10 08:30:00"},
      {"req_oppnum", "J-10442"},
      {"opt_emailPrimary", "maria.lopez@example.com"},
      {"opt_phonePrimary", "(773) 343-3905"},
      {"opt_phoneAlternate", "(815) 469-6565 ext. 225"},
      {"opt_oppname", "Roof replacement"},
      {"opt_note1", "Gate code 4411"},
      {"opt_note2", "Dog in yard"},
      {"opt_note3", ""},
      {"opt_note4", "Calls after 5 pm"},
      {"opt_lat", "41.9689"},
      {"opt_long", "-87.7636"},
      {"source", "cc-connector"},
  };
}

// Renders problems as "field: message" lines so a failed check shows all of them.
std::string describe(const std::vector<FieldProblem>& problems) {
  std::string text;
  for (const FieldProblem& problem : problems) {
    text += problem.field + ": " + problem.message + "\n";
  }
  return text;
}

std::string repeat(std::string_view piece, std::size_t count) {
  std::string text;
  for (std::size_t i = 0; i < count; ++i) {
    text += piece;
  }
  return text;
}

// One change to a valid record. A value of nullopt removes the field.
struct FieldChange {
  std::string field;
  std::optional<std::string> value;
};

ImportRecord valid_record_with(const FieldChange& change) {
  ImportRecord record = valid_record();
  if (change.value) {
    record[change.field] = *change.value;
  } else {
    record.erase(change.field);
  }
  return record;
}

}  // namespace

TEST_CASE("field catalog lists API fields") {
  const auto& catalog = cc::mapping::field_catalog();
  CHECK(catalog.size() == 20);
  CHECK(catalog.front().name == "req_firstname");
  CHECK(catalog.back().name == "source");

  std::set<std::string_view> names;
  for (const auto& rule : catalog) {
    names.insert(rule.name);
  }
  CHECK(names.size() == catalog.size());
}

TEST_CASE("find_field_rule returns catalog rules") {
  const auto* zip = cc::mapping::find_field_rule("req_zip");
  REQUIRE(zip != nullptr);
  CHECK(zip->kind == FieldKind::zip);
  CHECK(zip->required);

  const auto* state = cc::mapping::find_field_rule("req_state");
  REQUIRE(state != nullptr);
  CHECK(state->max_length == 2);

  const auto* source = cc::mapping::find_field_rule("source");
  REQUIRE(source != nullptr);
  CHECK_FALSE(source->required);
  CHECK(source->max_length == 155);

  const auto* latitude = cc::mapping::find_field_rule("opt_lat");
  REQUIRE(latitude != nullptr);
  CHECK(latitude->kind == FieldKind::latitude);

  CHECK(cc::mapping::find_field_rule("opt_custom") == nullptr);
  CHECK(cc::mapping::find_field_rule("") == nullptr);
}

TEST_CASE("valid record has no problems") {
  const auto problems = validate_record(valid_record());
  CAPTURE(describe(problems));
  CHECK(problems.empty());
}

TEST_CASE("required fields alone are valid") {
  ImportRecord record;
  for (const auto& [field, value] : valid_record()) {
    const auto* rule = cc::mapping::find_field_rule(field);
    if (rule != nullptr && rule->required) {
      record[field] = value;
    }
  }
  CHECK(record.size() == 9);
  const auto problems = validate_record(record);
  CAPTURE(describe(problems));
  CHECK(problems.empty());
}

TEST_CASE("each broken rule yields one problem") {
  struct BrokenRuleCase {
    FieldChange change;
    const char* message_fragment;
  };
  const std::vector<BrokenRuleCase> cases = {
      {{"req_firstname", std::nullopt}, "is required but missing"},
      {{"req_lastname", ""}, "is required but empty"},
      {{"req_accountname", std::nullopt}, "is required but missing"},
      {{"req_street", "\xC2\xA0"}, "is required but empty"},
      {{"req_city", "  \t "}, "is required but empty"},
      {{"req_state", std::nullopt}, "is required but missing"},
      {{"req_state", "Illinois"}, "'Illinois' is not a two-letter uppercase code; use 'IL'"},
      {{"req_state", "il"}, "'il' is not a two-letter uppercase code; use 'IL'"},
      {{"req_state", "N.C."}, "use 'NC'"},
      {{"req_state", "XX"}, "'XX' is not a US state or Canadian province code"},
      {{"req_zip", std::nullopt}, "is required but missing"},
      {{"req_zip", "2751"}, "'2751' has 4 digits"},
      {{"req_zip", "60-6"}, "'60-6' has 3 digits"},
      {{"req_zip", "Chicago"}, "'Chicago' is not a ZIP or postal code"},
      {{"req_zip", "Z8B 0A1"}, "'Z8B 0A1' is not a ZIP or postal code"},
      {{"req_zip", "V8B 0A1 "}, "expected a US ZIP code of at least 5 digits"},
      {{"req_oppdate", std::nullopt}, "is required but missing"},
      {{"req_oppdate", "2024-02-30 08:30:00"}, "'2024-02-30 08:30:00' is not a valid calendar date and time"},
      {{"req_oppdate", "2024-03-10 24:00:00"}, "is not a valid calendar date and time"},
      {{"req_oppdate", "06/24/2014"}, "'06/24/2014' is not in the form YYYY-MM-DD HH:MM:SS"},
      {{"req_oppdate", "2024-03-10T08:30:00"}, "is not in the form YYYY-MM-DD HH:MM:SS"},
      {{"req_oppdate", "2024-03-10"}, "is not in the form YYYY-MM-DD HH:MM:SS"},
      {{"req_oppnum", ""}, "is required but empty"},
      {{"opt_emailPrimary", "maria.lopez@example"}, "'maria.lopez@example' is not a plausible email address"},
      {{"opt_emailPrimary", "maria lopez@example.com"}, "is not a plausible email address"},
      {{"opt_emailPrimary", "@example.com"}, "is not a plausible email address"},
      {{"opt_emailPrimary", "maria@lopez@example.com"}, "is not a plausible email address"},
      {{"opt_emailPrimary", "maria@.example.com"}, "is not a plausible email address"},
      {{"opt_emailPrimary", "maria@example..com"}, "is not a plausible email address"},
      {{"opt_emailPrimary", "maria.lopez"}, "is not a plausible email address"},
      {{"opt_phonePrimary", "(773)968-68560"}, "'(773)968-68560' is not a valid phone number: it has 11 digits"},
      {{"opt_phoneAlternate", "555-1234"}, "'555-1234' is not a valid phone number: it has 7 digits"},
      {{"opt_lat", "91.5"}, "'91.5' is out of range; expected latitude in decimal degrees from -90 to 90"},
      {{"opt_lat", "41,9689"}, "'41,9689' is not a number"},
      {{"opt_lat", "nan"}, "'nan' is not a number"},
      {{"opt_long", "-180.5"}, "'-180.5' is out of range; expected longitude in decimal degrees from -180 to 180"},
      {{"opt_long", "87.7636W"}, "'87.7636W' is not a number"},
      {{"source", repeat("s", 156)}, "is 156 characters; the API stores at most 155"},
  };

  for (const BrokenRuleCase& test_case : cases) {
    CAPTURE(test_case.change.field);
    CAPTURE(test_case.change.value.value_or("(removed)"));
    const auto problems = validate_record(valid_record_with(test_case.change));
    CAPTURE(describe(problems));
    CHECK(problems.size() == 1);
    if (problems.size() != 1) {
      continue;
    }
    CHECK(problems.front().field == test_case.change.field);
    CHECK(problems.front().message.find(test_case.message_fragment) != std::string::npos);
  }
}

TEST_CASE("accepted values yield no problems") {
  const std::vector<FieldChange> cases = {
      {"req_zip", "V8B 0A1"},
      {"req_zip", "V8B0A1"},
      {"req_zip", "v8b 0a1"},
      {"req_zip", "27513-1234"},
      {"req_zip", "275131234"},
      {"req_zip", "02134"},
      {"req_state", "QC"},
      {"req_state", "DC"},
      {"req_state", "PR"},
      {"req_oppdate", "2024-02-29 23:59:59"},
      {"req_oppdate", "1999-12-31 00:00:00"},
      {"opt_emailPrimary", "o'brien+jobs@mail.example.co.uk"},
      {"opt_phonePrimary", "(773)343-3905 x"},
      {"opt_phonePrimary", "(815)469-6565 EXT 225"},
      {"opt_phoneAlternate", "+44 20 7946 0958"},
      {"opt_lat", "-90"},
      {"opt_lat", "90"},
      {"opt_lat", "0"},
      {"opt_long", "180"},
      {"opt_long", "-87.6298"},
      {"opt_note2", repeat("n", 5000)},
      {"source", repeat("é", 155)},
      // Optional fields may be present but empty.
      {"opt_emailPrimary", ""},
      {"opt_phonePrimary", "   "},
      {"opt_lat", ""},
      {"opt_long", std::nullopt},
      {"source", std::nullopt},
  };

  for (const FieldChange& change : cases) {
    CAPTURE(change.field);
    CAPTURE(change.value.value_or("(removed)"));
    const auto problems = validate_record(valid_record_with(change));
    CAPTURE(describe(problems));
    CHECK(problems.empty());
  }
}

TEST_CASE("long unknown field is flagged") {
  ImportRecord record = valid_record();
  record["opt_custom"] = repeat("c", 156);
  const auto problems = validate_record(record);
  CAPTURE(describe(problems));
  REQUIRE(problems.size() == 1);
  CHECK(problems.front().field == "opt_custom");
  CHECK(problems.front().message.find("is 156 characters; the API stores at most 155") != std::string::npos);
}

TEST_CASE("unknown field length counts characters") {
  ImportRecord record = valid_record();
  record["opt_custom"] = repeat("é", 155);  // 310 bytes
  const auto problems = validate_record(record);
  CAPTURE(describe(problems));
  CHECK(problems.empty());
}

TEST_CASE("problems follow catalog then name order") {
  ImportRecord record = valid_record();
  record.erase("req_firstname");
  record["req_zip"] = "2751";
  record["opt_lat"] = "123";
  record["zz_extra"] = repeat("z", 200);
  record["aa_extra"] = repeat("a", 156);
  record["mm_extra"] = "short enough";

  const auto problems = validate_record(record);
  CAPTURE(describe(problems));
  REQUIRE(problems.size() == 5);
  CHECK(problems[0].field == "req_firstname");
  CHECK(problems[1].field == "req_zip");
  CHECK(problems[2].field == "opt_lat");
  CHECK(problems[3].field == "aa_extra");
  CHECK(problems[4].field == "zz_extra");
  CHECK(problems[4].message.find("is 200 characters") != std::string::npos);
}

TEST_CASE("long value is shortened in message") {
  ImportRecord record = valid_record();
  record["req_zip"] = repeat("x", 100);
  const auto problems = validate_record(record);
  CAPTURE(describe(problems));
  REQUIRE(problems.size() == 1);
  CHECK(problems.front().message.find("'" + repeat("x", 60) + "...'") != std::string::npos);
  CHECK(problems.front().message.find(repeat("x", 61)) == std::string::npos);
}
