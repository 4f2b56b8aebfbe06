#include "mapping/mapping.h"

#include <doctest/doctest.h>

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace {

std::vector<std::string> step_names(const std::vector<cc::mapping::TransformStep>& steps) {
  std::vector<std::string> names;
  for (const cc::mapping::TransformStep& step : steps) {
    names.push_back(step.name);
  }
  return names;
}

namespace fs = std::filesystem;

using cc::config::ConfigError;
using cc::config::Diagnostic;
using cc::mapping::FieldSpec;
using cc::mapping::load_mapping;
using cc::mapping::load_mappings;
using cc::mapping::Mapping;

// A folder under /tmp for one test's files, removed with everything in it when the test ends.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "cc-mapping-test-XXXXXX").string();
    REQUIRE(mkdtemp(pattern.data()) != nullptr);
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  // Writes a file below the folder and returns its full path.
  std::string write(const std::string& name, const std::string& content) const {
    const fs::path full = path_ / name;
    std::ofstream stream(full, std::ios::binary);
    stream << content;
    REQUIRE(stream.good());
    return full.string();
  }

 private:
  fs::path path_;
};

const std::vector<std::string> required_fields = {
    "req_firstname", "req_lastname", "req_accountname", "req_street", "req_city",
    "req_state",     "req_zip",      "req_oppdate",     "req_oppnum",
};

// Builds a mapping file whose `field_lines` start on line 7, after [source] and the [fields]
// header. Each required field that `field_lines` leaves out is appended, mapped to a column of
// the same name, so that no unmapped-field warning appears.
std::string mapping_text(const std::string& field_lines) {
  std::string text = R"([source]
name = "jobs"
table = "public.jobs"
key = "id"

[fields]
)";
  text += field_lines;
  for (const std::string& field : required_fields) {
    const bool mapped = field_lines.starts_with(field + " ") || field_lines.find("\n" + field + " ") != std::string::npos;
    if (!mapped) {
      text += field + " = \"" + field + "\"\n";
    }
  }
  return text;
}

// Loads a mapping that must be rejected and returns each diagnostic, errors and warnings, as
// "file:line:column: severity: message".
std::vector<std::string> load_diagnostics(const std::string& path) {
  try {
    load_mapping(path);
  } catch (const ConfigError& error) {
    std::vector<std::string> lines;
    for (const Diagnostic& diagnostic : error.diagnostics()) {
      lines.push_back(diagnostic.to_string());
    }
    return lines;
  }
  FAIL("load_mapping accepted " << path);
  return {};
}

std::vector<std::string> warning_texts(const Mapping& mapping) {
  std::vector<std::string> lines;
  for (const Diagnostic& diagnostic : mapping.warnings) {
    lines.push_back(diagnostic.to_string());
  }
  return lines;
}

std::string join(const std::vector<std::string>& items) {
  std::string text;
  for (const std::string& item : items) {
    text += (text.empty() ? "" : ", ") + item;
  }
  return text;
}

const FieldSpec& field_named(const Mapping& mapping, const std::string& target) {
  for (const FieldSpec& field : mapping.fields) {
    if (field.target == target) {
      return field;
    }
  }
  FAIL("the mapping has no field " << target);
  throw std::logic_error("unreachable");
}

}  // namespace

TEST_CASE("mapping loads every field form") {
  TempDir folder;
  const std::string path = folder.write("jobs.toml", R"([source]
name = "jobs"
table = "public.jobs"
key = "id"

[fields]
req_firstname = "first_name"
req_lastname = "last_name"
req_accountname = { template = "{last_name}, {first_name}" }
req_street = { column = "street", transform = ["trim", "upper"] }
req_city = { column = "city", default = "Unknown" }
req_state = { column = "state", transform = "state_code" }
req_zip = { column = "zip", transform = ["zip5"] }
req_oppdate = { column = "created_at", transform = ["mysql_datetime"], timezone = "America/Chicago" }
req_oppnum = { column = "job_no", transform = ["truncate"], max_length = 12 }
source = { value = "cc-connector" }
)");

  const Mapping mapping = load_mapping(path);

  CHECK(mapping.file == path);
  CHECK(mapping.source.name == "jobs");
  CHECK(mapping.source.table == "public.jobs");
  CHECK(mapping.source.key_columns == std::vector<std::string>{"id"});
  CHECK(mapping.source.table_position.line == 3);
  CHECK(mapping.source.table_position.column == 9);
  CHECK(mapping.source.key_position.line == 4);
  CHECK(mapping.source.key_position.column == 7);
  CHECK(mapping.fields.size() == 10);
  CHECK(mapping.warnings.empty());

  const FieldSpec& first_name = field_named(mapping, "req_firstname");
  CHECK(first_name.kind == FieldSpec::Kind::column);
  CHECK(first_name.column == "first_name");
  CHECK(first_name.transforms.empty());
  CHECK_FALSE(first_name.default_value.has_value());
  CHECK(first_name.position.line == 7);
  CHECK(first_name.position.column == 1);
  CHECK(first_name.column_position.line == 7);
  CHECK(first_name.column_position.column == 17);

  const FieldSpec& account = field_named(mapping, "req_accountname");
  CHECK(account.kind == FieldSpec::Kind::template_text);
  REQUIRE(account.template_parts.size() == 3);
  CHECK(account.template_parts[0].is_column);
  CHECK(account.template_parts[0].text == "last_name");
  CHECK_FALSE(account.template_parts[1].is_column);
  CHECK(account.template_parts[1].text == ", ");
  CHECK(account.template_parts[2].is_column);
  CHECK(account.template_parts[2].text == "first_name");
  CHECK(account.column_position.line == 9);
  CHECK(account.column_position.column == 32);

  const FieldSpec& street = field_named(mapping, "req_street");
  CHECK(street.column == "street");
  CHECK(step_names(street.transforms) == std::vector<std::string>{"trim", "upper"});
  CHECK(street.column_position.line == 10);
  CHECK(street.column_position.column == 25);

  const FieldSpec& city = field_named(mapping, "req_city");
  REQUIRE(city.default_value.has_value());
  CHECK(*city.default_value == "Unknown");

  CHECK(step_names(field_named(mapping, "req_state").transforms) == std::vector<std::string>{"state_code"});

  const FieldSpec& date = field_named(mapping, "req_oppdate");
  CHECK(step_names(date.transforms) == std::vector<std::string>{"mysql_datetime"});
  CHECK(date.timezone == "America/Chicago");

  const FieldSpec& source = field_named(mapping, "source");
  CHECK(source.kind == FieldSpec::Kind::literal);
  CHECK(source.literal == "cc-connector");
}

TEST_CASE("mapping keeps fields in file order") {
  TempDir folder;
  const std::string path = folder.write("jobs.toml", mapping_text(R"(source = { value = "cc-connector" }
req_zip = "zip"
opt_note1 = "notes"
)"));

  const Mapping mapping = load_mapping(path);

  std::vector<std::string> targets;
  for (const FieldSpec& field : mapping.fields) {
    targets.push_back(field.target);
  }
  CHECK(join(targets) == "source, req_zip, opt_note1, req_firstname, req_lastname, req_accountname, req_street, "
                         "req_city, req_state, req_oppdate, req_oppnum");
}

TEST_CASE("mapping max_length comes from catalog") {
  TempDir folder;
  const std::string path = folder.write("jobs.toml", mapping_text(R"(req_oppnum = { column = "job_no", max_length = 12 }
source = { value = "cc-connector" }
opt_note1 = "notes"
)"));

  const Mapping mapping = load_mapping(path);

  CHECK(field_named(mapping, "req_oppnum").max_length == 12);
  CHECK(field_named(mapping, "req_state").max_length == 2);
  CHECK(field_named(mapping, "source").max_length == 155);
  CHECK(field_named(mapping, "opt_note1").max_length == 0);
}

TEST_CASE("mapping composite key") {
  TempDir folder;
  std::string text = mapping_text("");
  text.replace(text.find(R"(key = "id")"), 10, R"(key = ["company_id", "job_no"])");
  const std::string path = folder.write("jobs.toml", text);

  const Mapping mapping = load_mapping(path);

  CHECK(mapping.source.key_columns == std::vector<std::string>{"company_id", "job_no"});
}

TEST_CASE("mapping referenced columns") {
  TempDir folder;
  const std::string path = folder.write("jobs.toml", mapping_text(R"toml(req_firstname = "first_name"
req_lastname = "id"
req_accountname = { template = "{last_name}, {first_name} ({id})" }
source = { value = "cc-connector" }
)toml"));

  const Mapping mapping = load_mapping(path);

  // Key columns first, then the columns of each field in file order, each column once.
  CHECK(join(mapping.referenced_columns()) ==
        "id, first_name, last_name, req_street, req_city, req_state, req_zip, req_oppdate, req_oppnum");
}

TEST_CASE("mapping literal values of each type") {
  TempDir folder;
  const std::string path = folder.write("jobs.toml", mapping_text(R"(opt_note1 = { value = 42 }
opt_note2 = { value = true }
opt_note3 = { value = 1.5 }
opt_note4 = { value = "" }
)"));

  const Mapping mapping = load_mapping(path);

  CHECK(field_named(mapping, "opt_note1").literal == "42");
  CHECK(field_named(mapping, "opt_note2").literal == "true");
  CHECK(field_named(mapping, "opt_note3").literal == "1.5");
  CHECK(field_named(mapping, "opt_note4").literal == "");
}

TEST_CASE("mapping template literal braces") {
  TempDir folder;
  const std::string path =
      folder.write("jobs.toml", mapping_text(R"(opt_note1 = { template = "{{job}} {job_no} }}" }
)"));

  const Mapping mapping = load_mapping(path);

  const FieldSpec& note = field_named(mapping, "opt_note1");
  REQUIRE(note.template_parts.size() == 3);
  CHECK_FALSE(note.template_parts[0].is_column);
  CHECK(note.template_parts[0].text == "{job} ");
  CHECK(note.template_parts[1].is_column);
  CHECK(note.template_parts[1].text == "job_no");
  CHECK_FALSE(note.template_parts[2].is_column);
  CHECK(note.template_parts[2].text == " }");
}

TEST_CASE("mapping template brace errors") {
  TempDir folder;
  const std::string path = folder.write("jobs.toml", mapping_text(R"(opt_note1 = { template = "{last_name, first_name" }
opt_note2 = { template = "job {}" }
opt_note3 = { template = "job_no}" }
)"));

  const std::vector<std::string> errors = load_diagnostics(path);

  REQUIRE(errors.size() == 3);
  CHECK(errors[0] == path + ":7:26: error: template '{last_name, first_name' has a '{' without a closing '}'; write "
                            "'{{' for a literal brace");
  CHECK(errors[1] == path + ":8:26: error: template 'job {}' has an empty '{}'; put a column name inside");
  CHECK(errors[2] == path + ":9:26: error: template 'job_no}' has a '}' without an opening '{'; write '}}' for a "
                            "literal brace");
}

TEST_CASE("mapping template brace inside column") {
  TempDir folder;
  const std::string path =
      folder.write("jobs.toml", mapping_text(R"(opt_note1 = { template = "{last_name, {first_name}" }
)"));

  std::vector<std::string> errors;
  try {
    load_mapping(path);
  } catch (const ConfigError& error) {
    for (const Diagnostic& diagnostic : error.diagnostics()) {
      errors.push_back(diagnostic.to_string());
    }
  }

  CHECK(errors.size() == 1);
  for (const std::string& error : errors) {
    CHECK(error == path + ":7:26: error: template '{last_name, {first_name}' has a '{' without a closing '}'; write "
                          "'{{' for a literal brace");
  }
}

TEST_CASE("mapping unknown top-level key") {
  TempDir folder;
  std::string text = mapping_text("");
  text.replace(text.find("[fields]"), 8, "[feilds]");
  const std::string path = folder.write("jobs.toml", text);

  const std::vector<std::string> errors = load_diagnostics(path);

  REQUIRE(errors.size() == 2);
  CHECK(errors[0] == path + ":6:2: error: unknown key 'feilds'; did you mean 'fields'?");
  CHECK(errors[1] == path + ": error: missing [fields] table: map at least the required import fields, such as "
                            "req_firstname = \"first_name\"");
}

TEST_CASE("mapping unknown key in source") {
  TempDir folder;
  std::string text = mapping_text("");
  text.replace(text.find("key ="), 5, "keys =");
  const std::string path = folder.write("jobs.toml", text);

  const std::vector<std::string> errors = load_diagnostics(path);

  REQUIRE(errors.size() == 2);
  CHECK(errors[0] == path + ":4:1: error: unknown key 'source.keys'; did you mean 'key'?");
  CHECK(errors[1] == path + ":1:1: error: missing source.key: name the primary key column(s), such as key = \"id\"");
}

TEST_CASE("mapping rejects mappings key") {
  TempDir folder;
  std::string text = mapping_text(R"(req_zip = { column = "zip", mappings = "zip" }
)");
  text.replace(text.find("key = \"id\"\n"), 11, "key = \"id\"\nmappings = [\"jobs.toml\"]\n");
  const std::string path = folder.write("jobs.toml", text);

  std::vector<std::string> errors;
  try {
    load_mapping(path);
  } catch (const ConfigError& error) {
    for (const Diagnostic& diagnostic : error.diagnostics()) {
      errors.push_back(diagnostic.to_string());
    }
  }

  CHECK(errors.size() == 2);
  for (const std::string& error : errors) {
    CAPTURE(error);
    CHECK(error.find("unknown key") != std::string::npos);
  }
}

TEST_CASE("mapping unknown key in field") {
  TempDir folder;
  const std::string path = folder.write("jobs.toml", mapping_text(R"(req_zip = { colum = "zip" }
)"));

  const std::vector<std::string> errors = load_diagnostics(path);

  REQUIRE(errors.size() == 2);
  CHECK(errors[0] == path + ":7:13: error: unknown key 'fields.req_zip.colum'; did you mean 'column'?");
  CHECK(errors[1] == path + ":7:11: error: fields.req_zip must set exactly one of column, template, value or coalesce; it "
                            "sets 0");
}

TEST_CASE("mapping field sets two sources") {
  TempDir folder;
  const std::string path =
      folder.write("jobs.toml", mapping_text(R"(req_zip = { column = "zip", value = "60630" }
)"));

  const std::vector<std::string> errors = load_diagnostics(path);

  REQUIRE(errors.size() == 1);
  CHECK(errors[0] == path + ":7:11: error: fields.req_zip must set exactly one of column, template, value or coalesce; it "
                            "sets 2");
}

TEST_CASE("mapping unknown transform suggests name") {
  TempDir folder;
  const std::string path =
      folder.write("jobs.toml", mapping_text(R"(req_state = { column = "state", transform = ["normalize_region"] }
req_zip = { column = "zip", transform = ["trim", "zip"] }
)"));

  const std::vector<std::string> errors = load_diagnostics(path);

  REQUIRE(errors.size() == 2);
  CHECK(errors[0] == path + ":7:46: error: unknown transform 'normalize_region' in fields.req_state; the "
                            "transforms are: trim, collapse_whitespace, html_unescape, upper, lower, title_case, "
                            "digits, missing_if, owner, name_part, address_part, state_code, zip5, postal_code, "
                            "phone, money, number, boolean, lookup, json_path, array_join, array_first, "
                            "mysql_datetime, truncate");
  CHECK(errors[1] == path + ":8:50: error: unknown transform 'zip' in fields.req_zip; did you mean 'zip5'?");
}

TEST_CASE("mapping transform of wrong type") {
  TempDir folder;
  const std::string path = folder.write("jobs.toml", mapping_text(R"(req_state = { column = "state", transform = [1] }
req_zip = { column = "zip", transform = 5 }
)"));

  const std::vector<std::string> errors = load_diagnostics(path);

  REQUIRE(errors.size() == 2);
  CHECK(errors[0] == path + ":7:46: error: each step of fields.req_state.transform must be a transform name in quotes, "
                          "or a table with a name such as { name = \"name_part\", part = \"first\" }");
  CHECK(errors[1] == path + ":8:41: error: fields.req_zip.transform must be a list of transforms, such as "
                            "[\"trim\", \"upper\"]");
}

TEST_CASE("mapping unknown time zone") {
  TempDir folder;
  const std::string path = folder.write(
      "jobs.toml",
      mapping_text(R"(req_oppdate = { column = "created_at", transform = ["mysql_datetime"], timezone = "America/Chicgo" }
)"));

  const std::vector<std::string> errors = load_diagnostics(path);

  REQUIRE(errors.size() == 1);
  CHECK(errors[0] == path + ":7:83: error: unknown time zone 'America/Chicgo'; use an IANA name such as "
                            "\"America/Chicago\" or \"America/Toronto\"");
}

TEST_CASE("mapping time zone without datetime") {
  TempDir folder;
  const std::string path =
      folder.write("jobs.toml", mapping_text(R"(req_oppdate = { column = "created_at", timezone = "America/Chicago" }
)"));

  const Mapping mapping = load_mapping(path);

  const std::vector<std::string> warnings = warning_texts(mapping);
  REQUIRE(warnings.size() == 1);
  CHECK(warnings[0] == path + ":7:1: warning: fields.req_oppdate.timezone has no effect without the mysql_datetime "
                              "transform");
}

TEST_CASE("mapping invalid max_length") {
  TempDir folder;
  const std::string path = folder.write("jobs.toml", mapping_text(R"(opt_note1 = { column = "a", max_length = 0 }
opt_note2 = { column = "b", max_length = "20" }
)"));

  const std::vector<std::string> errors = load_diagnostics(path);

  REQUIRE(errors.size() == 2);
  CHECK(errors[0] == path + ":7:42: error: fields.opt_note1.max_length must be a whole number of characters, at "
                            "least 1");
  CHECK(errors[1] == path + ":8:42: error: fields.opt_note2.max_length must be a whole number of characters, at "
                            "least 1");
}

TEST_CASE("mapping field values of wrong type") {
  TempDir folder;
  const std::string path = folder.write("jobs.toml", mapping_text(R"(opt_note1 = 5
opt_note2 = { column = 5 }
opt_note3 = { value = [1] }
opt_note4 = { column = "d", default = 0 }
req_zip = ""
)"));

  const std::vector<std::string> errors = load_diagnostics(path);

  REQUIRE(errors.size() == 5);
  CHECK(errors[0] == path + ":7:13: error: fields.opt_note1 must be a column name in quotes or a table such as { "
                            "column = \"zip\", transform = [\"zip5\"] }");
  CHECK(errors[1] == path + ":8:24: error: fields.opt_note2.column must be a string in quotes");
  CHECK(errors[2] == path + ":9:23: error: fields.opt_note3.value must be a string, number or boolean");
  CHECK(errors[3] == path + ":10:39: error: fields.opt_note4.default must be a string in quotes");
  CHECK(errors[4] == path + ":11:11: error: fields.req_zip names an empty column; write the column name");
}

TEST_CASE("mapping missing source table") {
  TempDir folder;
  const std::string path = folder.write("jobs.toml", R"([fields]
req_firstname = "first_name"
req_lastname = "last_name"
req_accountname = "account"
req_street = "street"
req_city = "city"
req_state = "state"
req_zip = "zip"
req_oppdate = "created_at"
req_oppnum = "job_no"
)");

  const std::vector<std::string> errors = load_diagnostics(path);

  REQUIRE(errors.size() == 1);
  CHECK(errors[0] == path + ": error: missing [source] table: name the source, its table and its key, such as "
                            "[source] name = \"jobs\" table = \"public.jobs\" key = \"id\"");
}

TEST_CASE("mapping missing source keys") {
  TempDir folder;
  std::string text = mapping_text("");
  const std::string source_keys = "name = \"jobs\"\ntable = \"public.jobs\"\nkey = \"id\"\n";
  text.replace(text.find(source_keys), source_keys.size(), "\n\n\n");
  const std::string path = folder.write("jobs.toml", text);

  const std::vector<std::string> errors = load_diagnostics(path);

  REQUIRE(errors.size() == 3);
  CHECK(errors[0] == path + ":1:1: error: missing source.name, such as name = \"jobs\"");
  CHECK(errors[1] == path + ":1:1: error: missing source.table, such as table = \"public.jobs\"");
  CHECK(errors[2] == path + ":1:1: error: missing source.key: name the primary key column(s), such as key = \"id\"");
}

TEST_CASE("mapping invalid source values") {
  TempDir folder;
  const std::string path = folder.write("jobs.toml", R"([source]
name = "Jobs-2024"
table = 7
key = ["id", "id"]

[fields]
req_firstname = "first_name"
req_lastname = "last_name"
req_accountname = "account"
req_street = "street"
req_city = "city"
req_state = "state"
req_zip = "zip"
req_oppdate = "created_at"
req_oppnum = "job_no"
)");

  const std::vector<std::string> errors = load_diagnostics(path);

  REQUIRE(errors.size() == 3);
  CHECK(errors[0] == path + ":2:8: error: source.name 'Jobs-2024' must be lowercase letters, digits and underscores "
                            "(at most 40), such as \"jobs\", because it becomes part of trigger names");
  CHECK(errors[1] == path + ":3:9: error: source.table must be a string in quotes");
  CHECK(errors[2] == path + ":4:7: error: source.key lists a column twice");
}

TEST_CASE("mapping key of wrong type") {
  TempDir folder;
  std::string text = mapping_text("");
  text.replace(text.find(R"(key = "id")"), 10, "key = []");
  const std::string path = folder.write("jobs.toml", text);

  const std::vector<std::string> errors = load_diagnostics(path);

  REQUIRE(errors.size() == 1);
  CHECK(errors[0] == path + ":4:7: error: source.key must be a column name or a list of column names, such as key = "
                            "\"id\" or key = [\"company_id\", \"job_no\"]");
}

TEST_CASE("mapping empty fields table") {
  TempDir folder;
  const std::string path = folder.write("jobs.toml", R"([source]
name = "jobs"
table = "public.jobs"
key = "id"

[fields]
)");

  const std::vector<std::string> errors = load_diagnostics(path);

  REQUIRE(errors.size() == 1);
  CHECK(errors[0] == path + ": error: missing [fields] table: map at least the required import fields, such as "
                            "req_firstname = \"first_name\"");
}

TEST_CASE("mapping warns about unmapped required fields") {
  TempDir folder;
  const std::string path = folder.write("jobs.toml", R"([source]
name = "jobs"
table = "public.jobs"
key = "id"

[fields]
req_firstname = "first_name"
req_lastname = "last_name"
req_accountname = "account"
req_street = "street"
req_city = "city"
req_oppdate = "created_at"
req_oppnum = "job_no"
)");

  const Mapping mapping = load_mapping(path);

  const std::string consequence = "' is not mapped, so every record will be held as invalid; map it to a column or "
                                  "give it a value";
  const std::vector<std::string> warnings = warning_texts(mapping);
  REQUIRE(warnings.size() == 2);
  CHECK(warnings[0] == path + ":6:1: warning: required field 'req_state" + consequence);
  CHECK(warnings[1] == path + ":6:1: warning: required field 'req_zip" + consequence);
}

TEST_CASE("mapping warns about unknown field name") {
  TempDir folder;
  const std::string path = folder.write("jobs.toml", mapping_text(R"(opt_email = "email"
)"));

  const Mapping mapping = load_mapping(path);

  const std::vector<std::string> warnings = warning_texts(mapping);
  REQUIRE(warnings.size() == 1);
  CHECK(warnings[0] == path + ":7:1: warning: field 'opt_email' is not in the import API's field catalog; it is "
                              "sent as is, so check the spelling");
  CHECK(field_named(mapping, "opt_email").max_length == 155);
}

TEST_CASE("mapping errors include warnings") {
  TempDir folder;
  const std::string path = folder.write("jobs.toml", mapping_text(R"(opt_email = "email"
req_zip = { column = "zip", transform = ["zip6"] }
)"));

  const std::vector<std::string> diagnostics = load_diagnostics(path);

  REQUIRE(diagnostics.size() == 2);
  CHECK(diagnostics[0] == path + ":7:1: warning: field 'opt_email' is not in the import API's field catalog; it is "
                                 "sent as is, so check the spelling");
  CHECK(diagnostics[1] == path + ":8:42: error: unknown transform 'zip6' in fields.req_zip; did you mean 'zip5'?");
}

TEST_CASE("mapping invalid TOML syntax") {
  TempDir folder;
  const std::string path = folder.write("jobs.toml", mapping_text(R"(req_zip = { column = "zip",
)"));

  const std::vector<std::string> errors = load_diagnostics(path);

  REQUIRE(errors.size() == 1);
  CHECK(errors[0].starts_with(path + ":7:"));
  CHECK(errors[0].find(": error: invalid TOML: ") != std::string::npos);
}

TEST_CASE("mappings reject duplicate source names") {
  TempDir folder;
  const std::string first = folder.write("a.toml", mapping_text(""));
  const std::string second = folder.write("b.toml", mapping_text(""));

  try {
    load_mappings({first, second});
    FAIL("load_mappings accepted two sources named jobs");
  } catch (const ConfigError& error) {
    REQUIRE(error.diagnostics().size() == 1);
    CHECK(error.diagnostics()[0].to_string() == second + ": error: source name 'jobs' is already used by " + first +
                                                    "; give each mapping its own source.name");
  }
}

TEST_CASE("mappings collect errors from every file") {
  TempDir folder;
  const std::string good = folder.write("a.toml", mapping_text(""));
  const std::string bad_transform =
      folder.write("b.toml", mapping_text(R"(req_zip = { column = "zip", transform = ["zip6"] }
)"));
  const std::string missing = folder.write("c.toml", "");

  try {
    load_mappings({good, bad_transform, missing});
    FAIL("load_mappings accepted invalid files");
  } catch (const ConfigError& error) {
    REQUIRE(error.diagnostics().size() == 3);
    CHECK(error.diagnostics()[0].to_string() == bad_transform + ":7:42: error: unknown transform 'zip6' in "
                                                                "fields.req_zip; did you mean 'zip5'?");
    CHECK(error.diagnostics()[1].to_string() == missing + ": error: missing [source] table: name the source, its "
                                                          "table and its key, such as [source] name = \"jobs\" table "
                                                          "= \"public.jobs\" key = \"id\"");
    CHECK(error.diagnostics()[2].to_string() == missing + ": error: missing [fields] table: map at least the "
                                                          "required import fields, such as req_firstname = "
                                                          "\"first_name\"");
  }
}

TEST_CASE("mappings load distinct sources") {
  TempDir folder;
  const std::string jobs = folder.write("a.toml", mapping_text(""));
  std::string text = mapping_text("");
  text.replace(text.find(R"(name = "jobs")"), 13, R"(name = "leads")");
  const std::string leads = folder.write("b.toml", text);

  const std::vector<Mapping> mappings = load_mappings({jobs, leads});

  REQUIRE(mappings.size() == 2);
  CHECK(mappings[0].source.name == "jobs");
  CHECK(mappings[1].source.name == "leads");
}

TEST_CASE("source name validation") {
  CHECK(cc::mapping::is_valid_source_name("jobs"));
  CHECK(cc::mapping::is_valid_source_name("_jobs_2024"));
  CHECK(cc::mapping::is_valid_source_name(std::string(40, 'j')));
  CHECK_FALSE(cc::mapping::is_valid_source_name(std::string(41, 'j')));
  CHECK_FALSE(cc::mapping::is_valid_source_name(""));
  CHECK_FALSE(cc::mapping::is_valid_source_name("2024_jobs"));
  CHECK_FALSE(cc::mapping::is_valid_source_name("Jobs"));
  CHECK_FALSE(cc::mapping::is_valid_source_name("jobs-2024"));
  CHECK_FALSE(cc::mapping::is_valid_source_name("jobs.all"));
}
