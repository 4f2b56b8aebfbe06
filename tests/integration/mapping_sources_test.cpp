// Sources beyond one flat table: fields read through a query or a view that joins lookup tables,
// a where filter, placeholders and coalesce, and the checks `check` runs on them.

#include <doctest/doctest.h>

#include "support/connector_setup.h"
#include "support/mock_api_process.h"

using namespace cc::test;
using namespace std::chrono_literals;

namespace {

const std::string api_key = "sources-test-key";

const char* const schema_sql = R"sql(
CREATE TABLE states (id integer PRIMARY KEY, code text NOT NULL, name text NOT NULL);
INSERT INTO states VALUES (1, 'NC', 'North Carolina'), (2, 'IL', 'Illinois'), (3, 'BC', 'British Columbia');
CREATE TABLE customers (id integer PRIMARY KEY, first_name text, last_name text, mobile text, phone text);
CREATE TABLE service_calls (
  id bigint PRIMARY KEY,
  customer_id integer REFERENCES customers (id),
  state_id integer REFERENCES states (id),
  street text, city text, zip text,
  status text NOT NULL DEFAULT 'open',
  opened_at timestamptz NOT NULL DEFAULT '2024-11-03 12:00:00+00'
);
CREATE VIEW service_call_details AS
  SELECT c.*, s.code AS state_code, cu.first_name, cu.last_name, cu.mobile, cu.phone
    FROM service_calls c JOIN states s ON s.id = c.state_id JOIN customers cu ON cu.id = c.customer_id;
)sql";

std::string mapping_reading(const std::string& reading) {
  return R"toml([source]
name = "calls"
table = "service_calls"
key = "id"
)toml" + reading + R"toml(
where = "status <> 'cancelled'"
placeholders = ["-", "TBD", "n/a"]

[lookups.call_status]
open = "Lead"
scheduled = "Appointment Set"

[fields]
req_firstname = "first_name"
req_lastname = "last_name"
req_accountname = { template = "{last_name}, {first_name}" }
req_street = "street"
req_city = "city"
req_state = "state_code"
req_zip = { column = "zip", transform = ["postal_code"] }
req_oppdate = { column = "opened_at", transform = ["mysql_datetime"], timezone = "America/New_York" }
req_oppnum = "id"
opt_phonePrimary = { coalesce = ["mobile", "phone"], transform = ["phone"] }
opt_note1 = { column = "status", transform = [{ name = "lookup", table = "call_status" }] }
)toml";
}

const std::string query_reading =
    "query = \"\"\"SELECT c.*, s.code AS state_code, cu.first_name, cu.last_name, cu.mobile, cu.phone\n"
    "  FROM service_calls c JOIN states s ON s.id = c.state_id JOIN customers cu ON cu.id = c.customer_id\"\"\"";

std::unique_ptr<ConnectorSetup> prepared(TestDatabase& database, const std::string& mapping, const std::string& url) {
  database.exec(schema_sql);
  ConnectorOptions options;
  options.api_url = url;
  options.api_key = api_key;
  auto setup = std::make_unique<ConnectorSetup>(database, options,
                                                std::map<std::string, std::string>{{"calls.toml", mapping}});
  ProcessResult init = setup->run({"init"});
  INFO(init.output);
  REQUIRE(init.exit_code == 0);
  return setup;
}

nlohmann::json record_for(const MockApiProcess& mock, const std::string& job) {
  for (const nlohmann::json& entry : mock.records()) {
    if (entry["record"]["req_oppnum"] == job) {
      return entry["record"];
    }
  }
  return nullptr;
}

}  // namespace

TEST_CASE("source query joins lookup tables") {
  TestDatabase database;
  MockApiProcess mock(api_key);
  auto setup = prepared(database, mapping_reading(query_reading), mock.url());
  database.exec("INSERT INTO customers VALUES (10, 'Ana', 'Ortiz', '-', '(919) 467-2210'), "
                "(11, 'Bo', 'Lind', '(773)343-3905 x', NULL)");
  database.exec("INSERT INTO service_calls (id, customer_id, state_id, street, city, zip, status) VALUES "
                "(1, 10, 1, '9 Elm St', 'Cary', '27513-2204', 'open'), "
                "(2, 11, 2, '5 Oak Ave', 'Chicago', '60646-', 'scheduled')");

  ProcessResult run = setup->run({"run", "--once"});
  INFO(run.output);
  CHECK(run.exit_code == 0);
  nlohmann::json first = record_for(mock, "1");
  REQUIRE(first.is_object());
  CHECK(first["req_firstname"] == "Ana");
  CHECK(first["req_state"] == "NC");
  // The mobile column holds the placeholder "-", so coalesce falls through to phone.
  CHECK(first["opt_phonePrimary"] == "(919) 467-2210");
  CHECK(first["opt_note1"] == "Lead");
  CHECK(first["req_oppdate"] == "2024-11-03 07:00:00");
  nlohmann::json second = record_for(mock, "2");
  REQUIRE(second.is_object());
  CHECK(second["req_state"] == "IL");
  CHECK(second["req_zip"] == "60646");
  CHECK(second["opt_phonePrimary"] == "(773) 343-3905");
  CHECK(second["opt_note1"] == "Appointment Set");

  // A change to a joined lookup row is not a change to a watched row: nothing is sent again.
  database.exec("UPDATE customers SET last_name = 'Ortiz-Lee' WHERE id = 10");
  CHECK(database.count("SELECT count(*) FROM cc_sync.change_log") == 0);
  CHECK(setup->run({"run", "--once"}).exit_code == 0);
  CHECK(mock.records().size() == 2);
}

TEST_CASE("source view and where filter") {
  TestDatabase database;
  MockApiProcess mock(api_key);
  auto setup = prepared(database, mapping_reading("view = \"service_call_details\""), mock.url());
  database.exec("INSERT INTO customers VALUES (10, 'Ana', 'Ortiz', NULL, '(919) 467-2210')");
  database.exec("INSERT INTO service_calls (id, customer_id, state_id, street, city, zip, status) VALUES "
                "(1, 10, 1, '9 Elm St', 'Cary', '27513', 'open'), "
                "(2, 10, 3, '1 Bay Rd', 'Squamish', 'V8B 0A1', 'cancelled')");

  ProcessResult run = setup->run({"run", "--once"});
  INFO(run.output);
  CHECK(run.exit_code == 0);
  CHECK(database.scalar("SELECT state FROM cc_sync.import_status WHERE row_key = '{\"id\": 1}'") == "imported");
  CHECK(database.scalar("SELECT state FROM cc_sync.import_status WHERE row_key = '{\"id\": 2}'") == "skipped");
  CHECK(database.scalar("SELECT error FROM cc_sync.import_status WHERE row_key = '{\"id\": 2}'")
            .find("source.where") != std::string::npos);
  CHECK(mock.records().size() == 1);

  // The call is reopened: the shop's UPDATE re-queues it and it now passes the filter.
  database.exec("UPDATE service_calls SET status = 'scheduled', zip = 'V8B 0A1' WHERE id = 2");
  CHECK(setup->run({"run", "--once"}).exit_code == 0);
  CHECK(database.scalar("SELECT state FROM cc_sync.import_status WHERE row_key = '{\"id\": 2}'") == "imported");
  CHECK(record_for(mock, "2")["req_state"] == "BC");
}

TEST_CASE("check reports query and type problems") {
  TestDatabase database;
  database.exec(schema_sql);
  std::string mapping = mapping_reading(query_reading);
  // phone on a timestamptz column, and a where clause naming a column that does not exist.
  mapping.replace(mapping.find("status <> 'cancelled'"), 21, "stauts <> 'cancelled'");
  mapping += "opt_phoneAlternate = { column = \"opened_at\", transform = [\"phone\"] }\n";
  mapping += "source = \"street\"\n";
  ConnectorOptions options;
  options.api_url = "http://127.0.0.1:9/api/v2/import/record";
  ConnectorSetup setup(database, options, {{"calls.toml", mapping}});

  ProcessResult check = setup.run({"check"});
  INFO(check.output);
  CHECK(check.exit_code == 2);
  CHECK(check.output.find("calls.toml:7:9: error: source.where is not a valid condition") != std::string::npos);
  CHECK(check.output.find("stauts") != std::string::npos);
  CHECK(check.output.find("transform phone cannot read column 'opened_at' of type timestamp with time zone") !=
        std::string::npos);
  CHECK(check.output.find("fields.source comes from a column of type text, whose values may exceed the 155") !=
        std::string::npos);
}

TEST_CASE("check reports broken source query") {
  TestDatabase database;
  database.exec(schema_sql);
  std::string mapping = mapping_reading("query = \"SELECT c.id FROM service_calls c JOIN nowhere n ON true\"");
  ConnectorOptions options;
  options.api_url = "http://127.0.0.1:9/api/v2/import/record";
  ConnectorSetup setup(database, options, {{"calls.toml", mapping}});
  ProcessResult check = setup.run({"check"});
  INFO(check.output);
  CHECK(check.exit_code == 2);
  CHECK(check.output.find("calls.toml:5:9: error: source.query cannot be read") != std::string::npos);
  CHECK(check.output.find("nowhere") != std::string::npos);
}
