#include "mapping/mapper.h"

#include <doctest/doctest.h>

#include <optional>
#include <string>
#include <vector>

namespace {

using cc::mapping::ColumnType;
using cc::mapping::ColumnValue;
using cc::mapping::FieldProblem;
using cc::mapping::FieldSpec;
using cc::mapping::ImportRecord;
using cc::mapping::map_row;
using cc::mapping::MappedRow;
using cc::mapping::Mapping;
using cc::mapping::SourceRow;
using cc::mapping::TemplatePart;

FieldSpec column_field(const std::string& target, const std::string& column,
                       const std::vector<std::string>& transforms = {},
                       const std::optional<std::string>& default_value = std::nullopt) {
  FieldSpec field;
  field.target = target;
  field.kind = FieldSpec::Kind::column;
  field.column = column;
  for (const std::string& name : transforms) {
    field.transforms.push_back(cc::mapping::TransformStep{name, {}});
  }
  field.default_value = default_value;
  return field;
}

FieldSpec template_field(const std::string& target, const std::vector<TemplatePart>& parts) {
  FieldSpec field;
  field.target = target;
  field.kind = FieldSpec::Kind::template_text;
  field.template_parts = parts;
  return field;
}

FieldSpec literal_field(const std::string& target, const std::string& text) {
  FieldSpec field;
  field.target = target;
  field.kind = FieldSpec::Kind::literal;
  field.literal = text;
  return field;
}

TemplatePart column_part(const std::string& column) {
  return TemplatePart{true, column, {}};
}

TemplatePart text_part(const std::string& text) {
  return TemplatePart{false, text, {}};
}

// Maps every required field of the catalog from a column of the same name.
Mapping required_fields_mapping() {
  Mapping mapping;
  mapping.source.name = "jobs";
  mapping.source.table = "public.jobs";
  mapping.source.key_columns = {"id"};
  for (const char* name : {"req_firstname", "req_lastname", "req_accountname", "req_street", "req_city", "req_state",
                           "req_zip", "req_oppdate", "req_oppnum"}) {
    mapping.fields.push_back(column_field(name, name));
  }
  return mapping;
}

SourceRow valid_row() {
  return {
      {"id", {"10442", ColumnType::number}},
      {"req_firstname", {"Maria", ColumnType::text}},
      {"req_lastname", {"Lopez", ColumnType::text}},
      {"req_accountname", {"Lopez Residence", ColumnType::text}},
      {"req_street", {"4821 N Milwaukee Ave", ColumnType::text}},
      {"req_city", {"Chicago", ColumnType::text}},
      {"req_state", {"IL", ColumnType::text}},
      {"req_zip", {"60630", ColumnType::text}},
      {"req_oppdate", {"2024-03-10 08:30:00", ColumnType::text}},
      {"req_oppnum", {"J-10442", ColumnType::text}},
  };
}

// Replaces the mapping of one field, keeping its position in the field list.
void replace_field(Mapping& mapping, const FieldSpec& field) {
  for (FieldSpec& existing : mapping.fields) {
    if (existing.target == field.target) {
      existing = field;
      return;
    }
  }
  mapping.fields.push_back(field);
}

// Renders problems as "field: message" lines so a failed check shows all of them.
std::string describe(const std::vector<FieldProblem>& problems) {
  std::string text;
  for (const FieldProblem& problem : problems) {
    text += problem.field + ": " + problem.message + "\n";
  }
  return text;
}

}  // namespace

TEST_CASE("map_row builds valid record") {
  Mapping mapping = required_fields_mapping();
  mapping.fields.push_back(literal_field("source", "cc-connector"));

  const MappedRow mapped = map_row(mapping, valid_row());

  CHECK(mapped.valid());
  CHECK(describe(mapped.problems) == "");
  CHECK(mapped.problems_text() == "");
  const ImportRecord expected = {
      {"req_firstname", "Maria"},
      {"req_lastname", "Lopez"},
      {"req_accountname", "Lopez Residence"},
      {"req_street", "4821 N Milwaukee Ave"},
      {"req_city", "Chicago"},
      {"req_state", "IL"},
      {"req_zip", "60630"},
      {"req_oppdate", "2024-03-10 08:30:00"},
      {"req_oppnum", "J-10442"},
      {"source", "cc-connector"},
  };
  CHECK(mapped.record == expected);
}

TEST_CASE("map_row applies transforms in order") {
  Mapping mapping = required_fields_mapping();
  FieldSpec trim_then_cut = column_field("opt_note1", "note", {"trim", "truncate"});
  trim_then_cut.max_length = 3;
  FieldSpec cut_then_trim = column_field("opt_note2", "note", {"truncate", "trim"});
  cut_then_trim.max_length = 3;
  mapping.fields.push_back(trim_then_cut);
  mapping.fields.push_back(cut_then_trim);
  replace_field(mapping, column_field("req_state", "req_state", {"trim", "state_code"}));
  SourceRow row = valid_row();
  row["note"] = {"  abcdef", ColumnType::text};
  row["req_state"] = {"  illinois ", ColumnType::text};

  const MappedRow mapped = map_row(mapping, row);

  CHECK(describe(mapped.problems) == "");
  CHECK(mapped.record.at("opt_note1") == "abc");
  CHECK(mapped.record.at("opt_note2") == "a");
  CHECK(mapped.record.at("req_state") == "IL");
}

TEST_CASE("map_row uses default for null") {
  Mapping mapping = required_fields_mapping();
  replace_field(mapping, column_field("req_city", "req_city", {"trim"}, "Unknown"));
  SourceRow row = valid_row();
  row["req_city"] = {std::nullopt, ColumnType::text};

  const MappedRow mapped = map_row(mapping, row);

  CHECK(describe(mapped.problems) == "");
  CHECK(mapped.record.at("req_city") == "Unknown");
}

TEST_CASE("map_row uses default for blank") {
  const std::vector<std::string> blank_values = {"", "   ", " \t\r\n"};
  for (const std::string& blank : blank_values) {
    CAPTURE(blank);
    Mapping mapping = required_fields_mapping();
    replace_field(mapping, column_field("req_city", "req_city", {}, "Unknown"));
    replace_field(mapping, column_field("opt_note1", "note", {"trim"}, "none"));
    SourceRow row = valid_row();
    row["req_city"] = {blank, ColumnType::text};
    row["note"] = {blank, ColumnType::text};

    const MappedRow mapped = map_row(mapping, row);

    CHECK(describe(mapped.problems) == "");
    CHECK(mapped.record.at("req_city") == "Unknown");
    CHECK(mapped.record.at("opt_note1") == "none");
  }
}

TEST_CASE("map_row default skips transforms") {
  Mapping mapping = required_fields_mapping();
  replace_field(mapping, column_field("req_state", "req_state", {"state_code"}, "il"));
  SourceRow row = valid_row();
  row["req_state"] = {std::nullopt, ColumnType::text};

  const MappedRow mapped = map_row(mapping, row);

  // The default is used as written, so the catalog check rejects the lowercase code.
  CHECK(mapped.record.at("req_state") == "il");
  CHECK(mapped.problems_text() == "req_state: 'il' is not a two-letter uppercase code; use 'IL'");
}

TEST_CASE("map_row without default keeps null absent") {
  Mapping mapping = required_fields_mapping();
  replace_field(mapping, column_field("req_zip", "req_zip", {"zip5"}));
  mapping.fields.push_back(column_field("opt_note1", "note", {"upper"}));
  SourceRow row = valid_row();
  row["req_zip"] = {std::nullopt, ColumnType::text};
  row["note"] = {std::nullopt, ColumnType::text};

  const MappedRow mapped = map_row(mapping, row);

  // zip5 is not run on NULL, so the only problem is the catalog's missing required field.
  CHECK(mapped.record.count("req_zip") == 0);
  CHECK(mapped.record.count("opt_note1") == 0);
  CHECK(mapped.problems_text() == "req_zip: is required but missing");
}

TEST_CASE("map_row keeps blank without default") {
  Mapping mapping = required_fields_mapping();
  SourceRow row = valid_row();
  row["req_city"] = {"   ", ColumnType::text};

  const MappedRow mapped = map_row(mapping, row);

  CHECK(mapped.record.at("req_city") == "   ");
  CHECK(mapped.problems_text() == "req_city: is required but empty");
}

TEST_CASE("map_row reports transform failure once") {
  Mapping mapping = required_fields_mapping();
  replace_field(mapping, column_field("req_zip", "req_zip", {"trim", "zip5"}));
  SourceRow row = valid_row();
  row["req_zip"] = {"2751", ColumnType::number};

  const MappedRow mapped = map_row(mapping, row);

  CHECK_FALSE(mapped.valid());
  REQUIRE(mapped.problems.size() == 1);
  CHECK(mapped.problems[0].field == "req_zip");
  CHECK(mapped.problems[0].message ==
        "zip5: '2751' has 4 digits; expected a US ZIP code of 5 digits or ZIP+4 such as 27513 or 27513-1234 (a "
        "numeric column may have dropped a leading zero; add pad = \"true\" to restore it)");
  CHECK(mapped.record.count("req_zip") == 0);
}

TEST_CASE("map_row stops transforms after failure") {
  Mapping mapping = required_fields_mapping();
  replace_field(mapping, column_field("req_state", "req_state", {"state_code", "lower"}));
  SourceRow row = valid_row();
  row["req_state"] = {"Nort Carolina", ColumnType::text};

  const MappedRow mapped = map_row(mapping, row);

  REQUIRE(mapped.problems.size() == 1);
  CHECK(mapped.problems[0].field == "req_state");
  CHECK(mapped.problems[0].message ==
        "state_code: 'Nort Carolina' is not a US state or Canadian province name or code; expected a two-letter "
        "code such as IL or QC, or a full name such as Illinois or Quebec");
  CHECK(mapped.record.count("req_state") == 0);
}

TEST_CASE("map_row failed transform skips default") {
  Mapping mapping = required_fields_mapping();
  replace_field(mapping, column_field("req_state", "req_state", {"state_code"}, "IL"));
  SourceRow row = valid_row();
  row["req_state"] = {"Nort Carolina", ColumnType::text};

  const MappedRow mapped = map_row(mapping, row);

  REQUIRE(mapped.problems.size() == 1);
  CHECK(mapped.problems[0].field == "req_state");
  CHECK(mapped.record.count("req_state") == 0);
}

TEST_CASE("map_row reports missing column once") {
  Mapping mapping = required_fields_mapping();
  replace_field(mapping, column_field("req_zip", "zip_code", {"zip5"}));

  const MappedRow mapped = map_row(mapping, valid_row());

  REQUIRE(mapped.problems.size() == 1);
  CHECK(mapped.problems[0].field == "req_zip");
  CHECK(mapped.problems[0].message == "column 'zip_code' is not in the source row");
  CHECK(mapped.record.count("req_zip") == 0);
}

TEST_CASE("map_row renders template") {
  Mapping mapping = required_fields_mapping();
  replace_field(mapping, template_field("req_accountname", {column_part("last"), text_part(", "), column_part("first")}));
  SourceRow row = valid_row();
  row["last"] = {"Lopez", ColumnType::text};
  row["first"] = {"Maria", ColumnType::text};

  const MappedRow mapped = map_row(mapping, row);

  CHECK(describe(mapped.problems) == "");
  CHECK(mapped.record.at("req_accountname") == "Lopez, Maria");
}

TEST_CASE("map_row template renders null as empty") {
  Mapping mapping = required_fields_mapping();
  replace_field(mapping, template_field("req_accountname", {column_part("last"), text_part(", "), column_part("first")}));
  SourceRow row = valid_row();
  row["last"] = {"Lopez", ColumnType::text};
  row["first"] = {std::nullopt, ColumnType::text};

  const MappedRow mapped = map_row(mapping, row);

  CHECK(describe(mapped.problems) == "");
  CHECK(mapped.record.at("req_accountname") == "Lopez, ");
}

TEST_CASE("map_row all-null template uses default") {
  Mapping mapping = required_fields_mapping();
  FieldSpec account = template_field("req_accountname", {column_part("last"), text_part(" "), column_part("first")});
  account.default_value = "Walk-in customer";
  replace_field(mapping, account);
  SourceRow row = valid_row();
  row["last"] = {std::nullopt, ColumnType::text};
  row["first"] = {std::nullopt, ColumnType::text};

  const MappedRow mapped = map_row(mapping, row);

  CHECK(describe(mapped.problems) == "");
  CHECK(mapped.record.at("req_accountname") == "Walk-in customer");
}

TEST_CASE("map_row template with missing column") {
  Mapping mapping = required_fields_mapping();
  replace_field(mapping, template_field("req_accountname", {column_part("last"), text_part(", "), column_part("frist")}));
  SourceRow row = valid_row();
  row["last"] = {"Lopez", ColumnType::text};

  const MappedRow mapped = map_row(mapping, row);

  REQUIRE(mapped.problems.size() == 1);
  CHECK(mapped.problems[0].field == "req_accountname");
  CHECK(mapped.problems[0].message == "column 'frist' is not in the source row");
}

TEST_CASE("map_row sends literal value") {
  Mapping mapping = required_fields_mapping();
  mapping.fields.push_back(literal_field("source", "cc-connector"));
  FieldSpec shouted = literal_field("opt_note1", "from erp");
  shouted.transforms = {cc::mapping::TransformStep{"upper", {}}};
  mapping.fields.push_back(shouted);

  const MappedRow mapped = map_row(mapping, valid_row());

  CHECK(describe(mapped.problems) == "");
  CHECK(mapped.record.at("source") == "cc-connector");
  CHECK(mapped.record.at("opt_note1") == "FROM ERP");
}

TEST_CASE("map_row passes column type") {
  Mapping mapping = required_fields_mapping();
  FieldSpec date = column_field("req_oppdate", "req_oppdate", {"mysql_datetime"});
  date.timezone = "America/Chicago";
  replace_field(mapping, date);

  SUBCASE("timestamptz converts to zone") {
    SourceRow row = valid_row();
    row["req_oppdate"] = {"2024-03-10 14:30:00+00", ColumnType::timestamptz};

    const MappedRow mapped = map_row(mapping, row);

    CHECK(describe(mapped.problems) == "");
    CHECK(mapped.record.at("req_oppdate") == "2024-03-10 09:30:00");
  }

  SUBCASE("timestamp keeps wall time") {
    SourceRow row = valid_row();
    row["req_oppdate"] = {"2024-03-10 08:30:00", ColumnType::timestamp};

    const MappedRow mapped = map_row(mapping, row);

    CHECK(describe(mapped.problems) == "");
    CHECK(mapped.record.at("req_oppdate") == "2024-03-10 08:30:00");
  }

  SUBCASE("timestamp with offset is rejected") {
    SourceRow row = valid_row();
    row["req_oppdate"] = {"2024-03-10 14:30:00+00", ColumnType::timestamp};

    const MappedRow mapped = map_row(mapping, row);

    CHECK(mapped.problems_text() ==
          "req_oppdate: mysql_datetime: '2024-03-10 14:30:00+00' is not a timestamp without time zone; expected the "
          "form 2024-03-10 08:30:00");
  }

  SUBCASE("later transforms see text") {
    replace_field(mapping, [&] {
      FieldSpec trimmed = date;
      trimmed.transforms = {cc::mapping::TransformStep{"trim", {}}, cc::mapping::TransformStep{"mysql_datetime", {}}};
      return trimmed;
    }());
    SourceRow row = valid_row();
    row["req_oppdate"] = {"2024-03-10 14:30:00+00", ColumnType::timestamp};

    const MappedRow mapped = map_row(mapping, row);

    CHECK(describe(mapped.problems) == "");
    CHECK(mapped.record.at("req_oppdate") == "2024-03-10 09:30:00");
  }
}

TEST_CASE("map_row validates against catalog") {
  Mapping mapping = required_fields_mapping();
  mapping.fields.push_back(column_field("opt_emailPrimary", "email"));
  SourceRow row = valid_row();
  row["req_zip"] = {"606", ColumnType::text};
  row["req_lastname"] = {std::nullopt, ColumnType::text};
  row["email"] = {"maria.lopez@example", ColumnType::text};

  const MappedRow mapped = map_row(mapping, row);

  // Catalog problems come in catalog order, not in the order of the mapping's fields.
  REQUIRE(mapped.problems.size() == 3);
  CHECK(mapped.problems[0].field == "req_lastname");
  CHECK(mapped.problems[0].message == "is required but missing");
  CHECK(mapped.problems[1].field == "req_zip");
  CHECK(mapped.problems[1].message ==
        "'606' has 3 digits; expected a US ZIP code of at least 5 digits such as 27513 or 27513-1234, or a Canadian "
        "postal code such as V8B 0A1");
  CHECK(mapped.problems[2].field == "opt_emailPrimary");
  CHECK(mapped.problems[2].message ==
        "'maria.lopez@example' is not a plausible email address; expected a name, one @ and a domain such as "
        "example.com, with no spaces");
  // The invalid values are still in the record, for invalid_records = "send".
  CHECK(mapped.record.at("req_zip") == "606");
  CHECK(mapped.record.at("opt_emailPrimary") == "maria.lopez@example");
}

TEST_CASE("map_row truncate uses field max_length") {
  Mapping mapping = required_fields_mapping();
  FieldSpec number = column_field("req_oppnum", "req_oppnum", {"truncate"});
  number.max_length = 5;
  replace_field(mapping, number);
  FieldSpec extra = column_field("erp_reference", "reference", {"truncate"});
  extra.max_length = 155;
  mapping.fields.push_back(extra);
  SourceRow row = valid_row();
  row["req_oppnum"] = {"J-10442-A", ColumnType::text};
  row["reference"] = {std::string(200, 'r'), ColumnType::text};

  const MappedRow mapped = map_row(mapping, row);

  CHECK(describe(mapped.problems) == "");
  CHECK(mapped.record.at("req_oppnum") == "J-104");
  CHECK(mapped.record.at("erp_reference") == std::string(155, 'r'));
}

TEST_CASE("map_row problems text joins problems") {
  Mapping mapping = required_fields_mapping();
  replace_field(mapping, column_field("req_zip", "req_zip", {"zip5"}));
  SourceRow row = valid_row();
  row["req_zip"] = {"606666", ColumnType::text};
  row["req_lastname"] = {"", ColumnType::text};

  const MappedRow mapped = map_row(mapping, row);

  CHECK(mapped.problems_text() ==
        "req_zip: zip5: '606666' has 6 digits; expected a US ZIP code of 5 digits or ZIP+4 such as 27513 or "
        "27513-1234; req_lastname: is required but empty");
}

TEST_CASE("map_row never throws for bad values") {
  Mapping mapping = required_fields_mapping();
  replace_field(mapping, column_field("req_state", "req_state", {"state_code"}));
  replace_field(mapping, column_field("req_zip", "req_zip", {"zip5"}));
  replace_field(mapping, column_field("req_oppdate", "req_oppdate", {"mysql_datetime"}));
  mapping.fields.push_back(column_field("opt_phonePrimary", "phone", {"phone"}));
  const std::vector<std::string> bad_values = {
      "", " ", "\xff\xfe", std::string(1, '\0'), std::string(10'000, 'x'), "{}", "NaN", "-1", "9999-99-99",
  };

  for (const std::string& bad : bad_values) {
    CAPTURE(bad.size());
    SourceRow row = valid_row();
    for (const char* column : {"req_state", "req_zip", "req_oppdate", "phone"}) {
      row[column] = {bad, ColumnType::text};
    }
    MappedRow mapped;
    CHECK_NOTHROW(mapped = map_row(mapping, row));
    CHECK_FALSE(mapped.valid());
  }
}
