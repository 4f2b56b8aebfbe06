// The sample mappings under mappings/, each applied with its schema to a public data file as
// published, checked with `check` and `preview`, and delivered to a cc-mock-api with `run --once`.

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "support/connector_setup.h"
#include "support/mock_api_process.h"

using namespace cc::test;
using namespace std::chrono_literals;

namespace {

std::string read_text(const std::string& path) {
  std::ifstream stream(path);
  std::stringstream content;
  content << stream.rdbuf();
  return content.str();
}

std::string real_data_file(const std::string& name) {
  return std::string(CC_SOURCE_DIR) + "/../shared/data/real/" + name;
}

std::string sample_file(const std::string& name) {
  return std::string(CC_SOURCE_DIR) + "/mappings/" + name;
}

// Runs the commands in order in one psql session, so that a TEMP staging table created by one
// command is still there for the next. psql's \copy reads the file client-side, so the server
// needs no access to the checkout.
void run_psql(TestDatabase& database, const std::vector<std::string>& commands) {
  std::vector<std::string> argv = {"psql", database.url(), "-v", "ON_ERROR_STOP=1", "-q"};
  for (const std::string& command : commands) {
    argv.push_back("-c");
    argv.push_back(command);
  }
  ProcessResult result = run_process(argv, {}, 120s);
  INFO(result.output);
  REQUIRE(result.exit_code == 0);
}

// A database with one sample schema applied, a mock API, and a connector configured with the
// sample mapping.
struct SampleSetup {
  TestDatabase database;
  MockApiProcess mock{"sample-key"};
  std::unique_ptr<ConnectorSetup> connector;

  explicit SampleSetup(const std::string& sample_name) {
    database.exec(read_text(sample_file(sample_name + ".sql")));
    ConnectorOptions options;
    options.api_url = mock.url();
    options.api_key = "sample-key";
    options.batch_size = 500;
    connector = std::make_unique<ConnectorSetup>(
        database, options,
        std::map<std::string, std::string>{{sample_name + ".toml", read_text(sample_file(sample_name + ".toml"))}});
  }

  // `check` must accept the mapping against the schema; warnings are allowed.
  void require_check_passes() {
    ProcessResult check = connector->run({"check"});
    INFO(check.output);
    REQUIRE(check.exit_code == 0);
  }

  void require_init() {
    ProcessResult init = connector->run({"init"});
    INFO(init.output);
    REQUIRE(init.exit_code == 0);
  }

  // `preview --limit 3` prints three rows in table form, each headed "== SOURCE KEY: VERDICT".
  void check_preview(const std::string& source) {
    ProcessResult preview = connector->run({"preview", "--limit", "3"});
    INFO(preview.output);
    REQUIRE(preview.exit_code == 0);
    std::size_t headings = 0;
    for (std::size_t at = preview.output.find("== " + source + " "); at != std::string::npos;
         at = preview.output.find("== " + source + " ", at + 1)) {
      ++headings;
    }
    CHECK(headings == 3);
  }

  // Returns the record that `preview --key KEY --format json` shows for one row.
  nlohmann::json preview_record(const std::string& key) {
    ProcessResult preview = connector->run({"preview", "--key", key, "--format", "json"});
    INFO(preview.output);
    REQUIRE(preview.exit_code == 0);
    nlohmann::json list = nlohmann::json::parse(preview.output, nullptr, false);
    REQUIRE(list.is_array());
    REQUIRE(list.size() == 1);
    return list[0]["record"];
  }

  void run_once() {
    ProcessResult run = connector->run({"run", "--once"}, 300s);
    INFO(run.output);
    CHECK(run.exit_code == 0);
  }
};

struct Totals {
  long long imported = 0;
  long long held = 0;
};

// Checks what every sample must do with real data. Each of the `loaded` rows is imported or held,
// and `skipped` more rows are skipped by the mapping's `where`. Each held row's reason starts with
// a field name. The mock received each imported record once, equal field for field to the payload
// recorded in import_status. Records are matched by req_oppnum, which every sample keeps unique.
Totals check_outcomes(SampleSetup& setup, const std::string& source, long long loaded, long long skipped = 0) {
  TestDatabase& database = setup.database;
  const std::string where_source = " FROM cc_sync.import_status WHERE source = '" + source + "'";
  Totals totals;
  totals.imported = database.count("SELECT count(*)" + where_source + " AND state = 'imported'");
  totals.held = database.count("SELECT count(*)" + where_source + " AND state = 'held'");
  CHECK(totals.imported > 0);
  CHECK(totals.held > 0);
  CHECK(totals.imported + totals.held == loaded);
  CHECK(database.count("SELECT count(*)" + where_source + " AND state = 'skipped'") == skipped);
  CHECK(database.count("SELECT count(*)" + where_source) == loaded + skipped);

  // The reason is "FIELD: message", several joined by "; ".
  pqxx::result unexplained = database.exec("SELECT row_key::text, coalesce(error, '')" + where_source +
                                           " AND state = 'held' AND coalesce(error, '') !~ '^(req|opt)_[A-Za-z0-9]+: '");
  for (const pqxx::row& row : unexplained) {
    MESSAGE("held without a field in the reason: " << row[0].c_str() << ": " << row[1].c_str());
  }
  CHECK(unexplained.empty());

  std::map<std::string, nlohmann::json> received;
  for (const nlohmann::json& entry : setup.mock.stored_lines()) {
    const std::string number = entry["record"].value("req_oppnum", "");
    CHECK_MESSAGE(received.count(number) == 0, "received twice: " << number);
    received[number] = entry["record"];
  }
  CHECK(static_cast<long long>(received.size()) == totals.imported);

  pqxx::result payloads = database.exec("SELECT payload::text" + where_source + " AND state = 'imported'");
  int mismatches = 0;
  for (const pqxx::row& row : payloads) {
    const nlohmann::json payload = nlohmann::json::parse(row[0].as<std::string>());
    const auto found = received.find(payload.value("req_oppnum", ""));
    if (found == received.end() || found->second != payload) {
      ++mismatches;
      if (mismatches <= 3) {
        MESSAGE("payload not received as recorded: " << payload.dump());
      }
    }
  }
  CHECK(mismatches == 0);
  return totals;
}

struct Outcome {
  std::string state;
  std::string error;
  nlohmann::json payload;  // null unless the row was mapped and sent
};

// Returns the import_status row of the source row whose key `key_sql` (an SQL expression of
// type jsonb) selects.
Outcome outcome_of(TestDatabase& database, const std::string& source, const std::string& key_sql) {
  pqxx::result rows = database.exec(
      "SELECT state, coalesce(error, ''), coalesce(payload::text, 'null') FROM cc_sync.import_status "
      "WHERE source = '" + source + "' AND row_key = (" + key_sql + ")");
  INFO("key: " << key_sql);
  REQUIRE(rows.size() == 1);
  return {rows[0][0].as<std::string>(), rows[0][1].as<std::string>(),
          nlohmann::json::parse(rows[0][2].as<std::string>())};
}

// Checks that the row was imported with exactly these values in the listed fields.
void check_imported(const Outcome& outcome, const std::map<std::string, std::string>& expected) {
  INFO("error: " << outcome.error);
  REQUIRE(outcome.state == "imported");
  for (const auto& [field, value] : expected) {
    INFO("field " << field << " of " << outcome.payload.dump());
    REQUIRE(outcome.payload.contains(field));
    CHECK(outcome.payload[field] == value);
  }
}

// Checks that the row was held with a reason that names `field`.
void check_held(const Outcome& outcome, const std::string& field) {
  INFO("error: " << outcome.error);
  CHECK(outcome.state == "held");
  CHECK(outcome.error.find(field + ": ") != std::string::npos);
}

// Loads the Squamish permits into roofing_jobs, converting the Web Mercator X and Y to degrees.
void load_permits(TestDatabase& database) {
  const std::string csv = real_data_file("squamish_building_permits.csv");
  REQUIRE_MESSAGE(std::filesystem::exists(csv), "the real data file is missing: " << csv);

  run_psql(database,
           {"CREATE TEMP TABLE permit_import (x text, y text, objectid_1 text, folder_number text, folio text, "
            "unit text, house text, street text, folder_category text, folder_type text, report_code text, "
            "project_number text, project_name text, status text, application_date text, issued_date text, "
            "applicant_owner text, building_height text, gross_floor_area text, units_created text, "
            "construction_value text)",
            "\\copy permit_import FROM '" + csv + "' WITH (FORMAT csv, HEADER true, ENCODING 'UTF8')",
            "INSERT INTO roofing_jobs (permit_number, folio, unit, house_number, street, job_type, work_code, "
            "project_name, status, applied_on, issued_on, owners, construction_value, latitude, longitude) "
            "SELECT folder_number, folio, nullif(unit, ''), nullif(house, ''), nullif(street, ''), "
            "folder_type, report_code, nullif(project_name, ''), status::job_status, "
            "nullif(application_date, ''), nullif(issued_date, ''), nullif(applicant_owner, ''), "
            "nullif(construction_value, '')::numeric, "
            "degrees(2 * atan(exp(y::double precision / 6378137)) - pi() / 2), "
            "degrees(x::double precision / 6378137) "
            "FROM permit_import"});
}

}  // namespace

TEST_CASE("crm leads mapping real rows") {
  const std::string csv = real_data_file("chicago_licensed_general_contractors.csv");
  REQUIRE_MESSAGE(std::filesystem::exists(csv), "the real data file is missing: " << csv);

  SampleSetup setup("crm_leads");
  setup.require_check_passes();
  setup.require_init();

  // The file repeats its 400 rows 23 times; SELECT DISTINCT keeps each once.
  run_psql(setup.database,
           {"CREATE TEMP TABLE chicago_import (phone text, address text, lic_expr text, company_name text, "
            "license_type text)",
            "\\copy chicago_import FROM '" + csv + "' WITH (FORMAT csv, HEADER true, ENCODING 'UTF8')",
            "INSERT INTO leads (name, phone, address, state_id, license_type, license_expires) "
            "SELECT DISTINCT i.company_name, i.phone, i.address, s.id, i.license_type, "
            "to_date(i.lic_expr, 'MM/DD/YYYY') "
            "FROM chicago_import i LEFT JOIN states s ON s.code = split_part(i.address, '&nbsp;', 3)"});
  const long long loaded = setup.database.count("SELECT count(*) FROM leads");
  CHECK(loaded == 400);
  CHECK(setup.database.count("SELECT count(*) FROM leads WHERE state_id IS NULL") == 0);

  setup.check_preview("crm_leads");
  const std::string by_phone = "jsonb_build_object('id', (SELECT id FROM leads WHERE phone = ";
  const std::string extension_key = by_phone + "'(815)469-6565 EXT 225'))";
  const std::string extension_id = setup.database.scalar("SELECT (" + extension_key + ")->>'id'");
  const nlohmann::json previewed = setup.preview_record(extension_id);

  setup.run_once();
  check_outcomes(setup, "crm_leads", loaded);

  // req_oppdate is created_at as a wall-clock time in Chicago.
  CHECK(setup.database.count(
            "SELECT count(*) FROM cc_sync.import_status s JOIN leads l ON l.id = (s.row_key->>'id')::bigint "
            "WHERE s.source = 'crm_leads' AND s.state = 'imported' AND s.payload->>'req_oppdate' <> "
            "to_char(l.created_at AT TIME ZONE 'America/Chicago', 'YYYY-MM-DD HH24:MI:SS')") == 0);

  TestDatabase& database = setup.database;
  const Outcome extension = outcome_of(database, "crm_leads", extension_key);
  check_imported(extension, {{"opt_phonePrimary", "(815) 469-6565 ext. 225"},
                             {"req_firstname", "Owner"},
                             {"req_lastname", "Advantage Industrial Systems, LLC"},
                             {"req_accountname", "Advantage Industrial Systems, LLC"},
                             {"req_street", "9320 Corsair Road"},
                             {"req_city", "Frankfort"},
                             {"req_state", "IL"},
                             {"req_zip", "60423"},
                             {"req_oppnum", "LEAD-" + extension_id},
                             {"opt_note1", "D - $2,000,000 PROJECT CEILING"},
                             {"source", "CRM"}});
  CHECK(previewed == extension.payload);

  // A bare "x" extension marker is dropped, and a ZIP code with a trailing hyphen is cut to five
  // digits.
  check_imported(outcome_of(database, "crm_leads", by_phone + "'(773)343-3905 x'))"),
                 {{"opt_phonePrimary", "(773) 343-3905"},
                  {"req_lastname", "18 Chestnut, INC"},
                  {"req_street", "5910 N Milwaukee Avenue"},
                  {"req_city", "Chicago"},
                  {"req_zip", "60646"}});

  // HTML entities in the name and address, and a California address.
  check_imported(outcome_of(database, "crm_leads", by_phone + "'(661)823-8670 EXT22'))"),
                 {{"opt_phonePrimary", "(661) 823-8670 ext. 22"},
                  {"req_accountname", "Aspen Builder's INC DBA Aspen General Builders INC"},
                  {"req_street", "105 East \"E\" Street"},
                  {"req_city", "Tehachapi"},
                  {"req_state", "CA"},
                  {"req_zip", "93561"}});

  // A name over two lines with an entity, joined into one line.
  check_imported(outcome_of(database, "crm_leads", by_phone + "'(847)579-1600'))"),
                 {{"req_firstname", "Owner"},
                  {"req_accountname", "Abl Decorating & Remodeling, INC. DBA: The Abl Group"},
                  {"req_street", "415 Bloom Street"},
                  {"req_city", "Highland Park"}});

  // Units stay in the street, with or without a comma before them.
  check_imported(outcome_of(database, "crm_leads", by_phone + "'(630)327-4614'))"),
                 {{"req_street", "1639 W. Walnut Street, Unit 202"}, {"req_city", "Chicago"}, {"req_zip", "60612"}});
  check_imported(outcome_of(database, "crm_leads", by_phone + "'(312)-952-7226'))"),
                 {{"opt_phonePrimary", "(312) 952-7226"}, {"req_street", "1658 N. Milwaukee, #404"}});
  check_imported(outcome_of(database, "crm_leads", by_phone + "'(773)342-8200'))"),
                 {{"req_street", "1001 North Milwaukee Avenue Suite 400"}, {"req_zip", "60622"}});

  // A ZIP+4 code is kept whole.
  check_imported(outcome_of(database, "crm_leads", by_phone + "'(708)301-3366 x'))"),
                 {{"req_city", "Homer Glen"}, {"req_zip", "60491-9273"}});

  // An 11-digit phone number and a 6-digit ZIP code hold their leads.
  check_held(outcome_of(database, "crm_leads", by_phone + "'(773)968-68560'))"), "opt_phonePrimary");
  check_held(outcome_of(database, "crm_leads", by_phone + "'(773)462-0033'))"), "req_zip");
}

TEST_CASE("roofing jobs mapping real rows") {
  SampleSetup setup("roofing_jobs");
  setup.require_check_passes();
  setup.require_init();

  load_permits(setup.database);
  const long long loaded = setup.database.count("SELECT count(*) FROM roofing_jobs");
  CHECK(loaded == 401);

  // A cancelled copy of the first permit, which the mapping's `where` skips.
  setup.database.exec(
      "INSERT INTO roofing_jobs (permit_number, house_number, street, status, applied_on, owners) "
      "SELECT permit_number, house_number, street, 'CANCELLED', applied_on, owners "
      "FROM roofing_jobs WHERE permit_number = 'BP001132'");

  setup.check_preview("roofing_jobs");
  const std::string first_key = "jsonb_build_object('id', (SELECT id FROM roofing_jobs WHERE permit_number = "
                                "'BP001132' AND status <> 'CANCELLED'))";
  const std::string first_id = setup.database.scalar("SELECT (" + first_key + ")->>'id'");
  const nlohmann::json previewed = setup.preview_record(first_id);

  setup.run_once();
  check_outcomes(setup, "roofing_jobs", loaded, 1);

  TestDatabase& database = setup.database;
  CHECK(outcome_of(database, "roofing_jobs",
                   "jsonb_build_object('id', (SELECT id FROM roofing_jobs WHERE status = 'CANCELLED'))")
            .state == "skipped");

  // The first of two owners, written last name first, becomes the contact.
  const Outcome first = outcome_of(database, "roofing_jobs", first_key);
  const std::string latitude = database.scalar("SELECT latitude FROM roofing_jobs WHERE id = '" + first_id + "'");
  const std::string longitude = database.scalar("SELECT longitude FROM roofing_jobs WHERE id = '" + first_id + "'");
  check_imported(first, {{"req_firstname", "Blake"},
                         {"req_lastname", "Yarbrough"},
                         {"req_accountname", "Yarbrough Blake S & Yarbrough Vaughn D"},
                         {"req_street", "40277 Garibaldi Way"},
                         {"req_city", "Squamish"},
                         {"req_state", "BC"},
                         {"req_zip", "V8B 0A3"},
                         {"req_oppdate", "2017-05-10 00:00:00"},
                         {"req_oppnum", first_id},
                         {"opt_oppname", "BP001132 RESIDENTIAL (SUD/TUD)"},
                         {"opt_note1", "SUD-ADD"},
                         {"opt_note2", "In Progress"},
                         {"opt_lat", latitude},
                         {"opt_long", longitude},
                         {"source", "Squamish building permits"}});
  CHECK(previewed == first.payload);
  // Web Mercator metres converted to degrees land in Squamish.
  CHECK(std::stod(latitude) == doctest::Approx(49.70).epsilon(0.002));
  CHECK(std::stod(longitude) == doctest::Approx(-123.15).epsilon(0.002));

  const std::string by_permit = "jsonb_build_object('id', (SELECT id FROM roofing_jobs WHERE permit_number = ";
  check_imported(outcome_of(database, "roofing_jobs", by_permit + "'BP001206'))"),
                 {{"req_firstname", "Ingram"}, {"req_lastname", "Prescott"}, {"opt_note2", "Completed"}});

  // A company owner has no first name, and the construction value is sent as money.
  check_imported(outcome_of(database, "roofing_jobs", by_permit + "'BP001827'))"),
                 {{"req_firstname", "Owner"},
                  {"req_lastname", "Radcliffe Marrow Development Corp"},
                  {"req_accountname", "Radcliffe Marrow Development Corp"},
                  {"req_street", "2937 Snowberry Pl"},
                  {"opt_note1", "SUD-NEW UNIVERSITY HEIGHTS"},
                  {"opt_note2", "Completed"},
                  {"opt_note3", "775000.00"}});

  // One permit covers four units; each job carries its unit in unit-civic form.
  check_imported(outcome_of(database, "roofing_jobs", by_permit + "'BP002324' AND unit = '23'))"),
                 {{"req_street", "23-38936 Queens Way"}});

  // Jobs without owners or without an address are held.
  const std::string no_owner = database.scalar("SELECT id FROM roofing_jobs WHERE owners IS NULL LIMIT 1");
  check_held(outcome_of(database, "roofing_jobs", "jsonb_build_object('id', '" + no_owner + "'::uuid)"),
             "req_lastname");
  const std::string no_street = database.scalar("SELECT id FROM roofing_jobs WHERE street IS NULL LIMIT 1");
  check_held(outcome_of(database, "roofing_jobs", "jsonb_build_object('id', '" + no_street + "'::uuid)"),
             "req_street");
}

// The owner transform must split at "|" before it decides that a name is a company, because one
// company among the owners does not make the whole list one company.
TEST_CASE("roofing jobs owners with company") {
  SampleSetup setup("roofing_jobs");
  setup.require_init();
  load_permits(setup.database);
  setup.run_once();

  TestDatabase& database = setup.database;
  const std::string by_permit = "jsonb_build_object('id', (SELECT id FROM roofing_jobs WHERE permit_number = ";
  // Five owners, the last of them a company: the contact is the first owner.
  check_imported(outcome_of(database, "roofing_jobs", by_permit + "'BP001854'))"),
                 {{"req_firstname", "Finley"}, {"req_lastname", "Osborne"}});
  // A company first, then a person: the contact is the company.
  check_imported(outcome_of(database, "roofing_jobs", by_permit + "'BP002324' AND unit = '23'))"),
                 {{"req_firstname", "Owner"}, {"req_lastname", "Marlowe Abernathy Sage. LTD."}});
}

TEST_CASE("business licences mapping real rows") {
  const std::string csv = real_data_file("squamish_business_licences.csv");
  REQUIRE_MESSAGE(std::filesystem::exists(csv), "the real data file is missing: " << csv);

  SampleSetup setup("licences_with_addresses");
  setup.require_check_passes();
  setup.require_init();

  run_psql(setup.database,
           {"CREATE TEMP TABLE licence_import (x text, y text, objectid text, gis_id text, "
            "business_licence integer, business_name text, date_opened text, business_location text, "
            "licence_status text, licence_type text, licence_description text, naics text, naics_sector text, "
            "naics_description text, nonresident text, zoning text, neighbourhood text, licence_code text)",
            "\\copy licence_import FROM '" + csv + "' WITH (FORMAT csv, HEADER true, ENCODING 'UTF8')",
            "INSERT INTO addresses (location_text) "
            "SELECT DISTINCT business_location FROM licence_import WHERE business_location IS NOT NULL",
            "INSERT INTO businesses (id, name, opened_on, address_id, licence_type, naics_description) "
            "SELECT i.business_licence, i.business_name, to_date(nullif(i.date_opened, ''), 'YYYY/MM/DD'), "
            "a.id, i.licence_type, i.naics_description "
            "FROM licence_import i LEFT JOIN addresses a ON a.location_text = i.business_location"});
  const long long loaded = setup.database.count("SELECT count(*) FROM businesses");
  CHECK(loaded == 1922);
  // The line breaks inside quoted fields survive \copy.
  CHECK(setup.database.scalar("SELECT location_text FROM addresses a JOIN businesses b ON b.address_id = a.id "
                              "WHERE b.id = 1") == "46021 GOVERNMENT RD\r\nSQUAMISH BC");

  setup.check_preview("business_licences");
  const nlohmann::json previewed = setup.preview_record("1");

  setup.run_once();
  check_outcomes(setup, "business_licences", loaded);

  // The multi-line location splits into street and city, and the province comes from the
  // city line.
  TestDatabase& database = setup.database;
  const auto key = [](int licence) { return "jsonb_build_object('id', " + std::to_string(licence) + ")"; };
  const Outcome first = outcome_of(database, "business_licences", key(1));
  check_imported(first, {{"req_firstname", "Owner"},
                         {"req_lastname", "Glacier Air"},
                         {"req_accountname", "Glacier Air"},
                         {"req_street", "46021 Government Rd"},
                         {"req_city", "Squamish"},
                         {"req_state", "BC"},
                         {"req_zip", "V8B 0A3"},
                         {"req_oppdate", "1990-02-01 00:00:00"},
                         {"req_oppnum", "BL-1"},
                         {"opt_oppname", "Commercial/Industrial"},
                         {"opt_note1", "Non-Scheduled Chartered Air Transportation"},
                         {"source", "Squamish business licences"}});
  CHECK(previewed == first.payload);

  // A unit in unit-civic form stays in the street.
  check_imported(outcome_of(database, "business_licences", key(20)),
                 {{"req_street", "22-40022 Government Rd"}, {"req_city", "Squamish"}});
  // A legal name and a trade name on two lines.
  check_imported(outcome_of(database, "business_licences", key(353)),
                 {{"req_lastname", "Save-On-Foods Limited Partnership"},
                  {"req_accountname", "Save-On-Foods"},
                  {"req_street", "1301 Pemberton Ave"}});
  check_imported(outcome_of(database, "business_licences", key(8604)),
                 {{"req_street", "2655 Rhum & Eigg Dr"}, {"req_oppdate", "2020-11-13 00:00:00"}});

  // " -", a bare line break, and "BUSINESS - OUT OF TOWN" leave no street; a licence without
  // an opening date has no req_oppdate.
  check_held(outcome_of(database, "business_licences", key(14)), "req_street");
  check_held(outcome_of(database, "business_licences", key(97)), "req_street");
  const std::string out_of_town = database.scalar(
      "SELECT min(b.id) FROM businesses b JOIN addresses a ON a.id = b.address_id "
      "WHERE a.location_text LIKE 'BUSINESS - OUT OF TOWN%'");
  check_held(outcome_of(database, "business_licences", key(std::stoi(out_of_town))), "req_street");
  check_held(outcome_of(database, "business_licences", key(3366)), "req_oppdate");
}
