// The Town of Cary permit file, as published, loaded into a jobs table and delivered through the
// shipped mapping mappings/cary_permits.toml.

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <set>
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

std::string trimmed(const std::string& text) {
  std::size_t begin = text.find_first_not_of(" \t\r\n");
  if (begin == std::string::npos) {
    return "";
  }
  return text.substr(begin, text.find_last_not_of(" \t\r\n") - begin + 1);
}

}  // namespace

TEST_CASE("real Cary permits delivered or held") {
  const std::string csv = std::string(CC_SOURCE_DIR) + "/../shared/data/real/cary_nc_permits_2015.csv";
  REQUIRE_MESSAGE(std::filesystem::exists(csv), "the real data file is missing: " << csv);

  TestDatabase database;
  MockApiProcess mock("cary-key");
  database.exec(read_text(std::string(CC_SOURCE_DIR) + "/mappings/cary_permits.sql"));

  ConnectorOptions options;
  options.api_url = mock.url();
  options.api_key = "cary-key";
  options.batch_size = 500;
  ConnectorSetup setup(database, options,
                       {{"cary_permits.toml", read_text(std::string(CC_SOURCE_DIR) + "/mappings/cary_permits.toml")}});
  ProcessResult init = setup.run({"init"});
  INFO(init.output);
  REQUIRE(init.exit_code == 0);

  // psql's \copy reads the file client-side, so the server needs no access to the checkout.
  ProcessResult load = run_process(
      {"psql", database.url(), "-v", "ON_ERROR_STOP=1", "-c",
       "\\copy public.permits FROM '" + csv + "' WITH (FORMAT csv, HEADER true)"});
  INFO(load.output);
  REQUIRE(load.exit_code == 0);
  const long long total = database.count("SELECT count(*) FROM permits");
  CHECK(total == 5890);

  ProcessResult run = setup.run({"run", "--once"}, 300s);
  CHECK(run.exit_code == 0);

  const long long imported = database.count("SELECT count(*) FROM cc_sync.import_status WHERE state = 'imported'");
  const long long held = database.count("SELECT count(*) FROM cc_sync.import_status WHERE state = 'held'");
  CHECK(imported + held == total);
  CHECK(database.count("SELECT count(*) FROM cc_sync.import_status") == total);

  // The only rows the mapping cannot send are those with no owner, which leaves no contact name.
  const long long no_owner = database.count("SELECT count(*) FROM permits WHERE coalesce(trim(owner), '') = ''");
  CHECK(no_owner > 0);
  CHECK(held == no_owner);
  CHECK(database.count("SELECT count(*) FROM cc_sync.import_status WHERE state = 'held' "
                       "AND error LIKE '%req_firstname%required%'") == held);

  // Every imported row is in the mock's store exactly once, field for field as recorded in payload.
  std::map<std::string, nlohmann::json> received;
  for (const nlohmann::json& entry : mock.stored_lines()) {
    std::string number = entry["record"]["req_oppnum"].get<std::string>();
    CHECK_MESSAGE(received.count(number) == 0, "received twice: " << number);
    received[number] = entry["record"];
  }
  CHECK(static_cast<long long>(received.size()) == imported);

  pqxx::result rows = database.exec(
      "SELECT s.payload::text, p.application_number, p.address, p.owner, p.application_date, p.general_contractor "
      "FROM cc_sync.import_status s JOIN permits p ON p.permit_number = (s.row_key->>'permit_number')::bigint "
      "WHERE s.state = 'imported'");
  REQUIRE(static_cast<long long>(rows.size()) == imported);
  int mismatches = 0;
  for (const pqxx::row& row : rows) {
    nlohmann::json payload = nlohmann::json::parse(row[0].as<std::string>());
    std::string number = row[1].as<std::string>();
    auto found = received.find(number);
    if (found == received.end() || found->second != payload) {
      ++mismatches;
      continue;
    }
    const nlohmann::json& record = found->second;
    bool same = record["req_street"] == trimmed(row[2].as<std::string>()) &&
                record["req_accountname"] == trimmed(row[3].as<std::string>()) &&
                record["req_state"] == "NC" && record["req_oppdate"].get<std::string>().size() == 19;
    std::string date = row[4].as<std::string>();
    if (date.size() == 10) {  // ISO "2014-06-30"
      same = same && record["req_oppdate"] == date + " 00:00:00";
    } else {  // "02/23/15"
      same = same && record["req_oppdate"] == "20" + date.substr(6, 2) + "-" + date.substr(0, 2) + "-" +
                                                  date.substr(3, 2) + " 00:00:00";
    }
    std::string contractor = row[5].is_null() ? "" : trimmed(row[5].as<std::string>());
    same = same && record["opt_note2"] == (contractor.empty() ? "no contractor listed" : contractor);
    if (!same) {
      ++mismatches;
      if (mismatches <= 3) {
        MESSAGE("mismatch for " << number << ": " << record.dump());
      }
    }
  }
  CHECK(mismatches == 0);
}
