#include "support/connector_setup.h"

#include <fstream>

namespace cc::test {

const char* const jobs_table_sql = R"sql(
CREATE TABLE public.jobs (
  id             bigint PRIMARY KEY,
  customer_first text,
  customer_last  text,
  street         text,
  city           text,
  state          text,
  zip            text,
  phone          text,
  email          text,
  note           text,
  created_at     timestamptz NOT NULL DEFAULT now()
);
)sql";

const char* const jobs_mapping_toml = R"toml([source]
name = "jobs"
table = "public.jobs"
key = "id"

[fields]
req_firstname = "customer_first"
req_lastname = "customer_last"
req_accountname = { template = "{customer_last}, {customer_first}" }
req_street = { column = "street", transform = ["trim"] }
req_city = "city"
req_state = { column = "state", transform = ["state_code"] }
req_zip = { column = "zip", transform = ["zip5"] }
req_oppdate = { column = "created_at", transform = ["mysql_datetime"], timezone = "America/Chicago" }
req_oppnum = "id"
opt_phonePrimary = { column = "phone", transform = ["phone"] }
opt_emailPrimary = "email"
opt_note1 = "note"
source = { value = "In-house job system" }
)toml";

void insert_job(pqxx::transaction_base& transaction, long long id, const std::string& note) {
  transaction.exec_params0(
      "INSERT INTO public.jobs (id, customer_first, customer_last, street, city, state, zip, phone, email, note) "
      "VALUES ($1, 'Dana', 'Whitfield', '  118 Maple Ave ', 'Cary', 'North Carolina', '27513-2204', "
      "'(919) 467-2210', 'dana@example.com', $2)",
      id, note);
}

ConnectorSetup::ConnectorSetup(TestDatabase& database, ConnectorOptions options,
                               const std::map<std::string, std::string>& mappings)
    : database_(database), options_(std::move(options)) {
  std::string list;
  for (const auto& [name, text] : mappings) {
    write_file(name, text);
    list += (list.empty() ? "\"" : ", \"") + name + "\"";
  }

  config_path_ = folder_.path() + "/connector.toml";
  std::ofstream config(config_path_);
  config << "mappings = [" << list << "]\n\n"
         << "[database]\nschema = \"cc_sync\"\n\n"
         << "[api]\nurl = \"" << options_.api_url << "\"\n"
         << (options_.key_file.empty() ? "key_env = \"CC_TEST_API_KEY\"\n" : "key_file = \"" + options_.key_file + "\"\n")
         << "format = \"" << options_.format << "\"\nauth = \"" << options_.auth << "\"\n"
         << "timeout = \"" << options_.timeout << "\"\nconcurrency = " << options_.concurrency << "\n\n"
         << "[delivery]\nmax_attempts = " << options_.max_attempts << "\ninvalid_records = \""
         << options_.invalid_records << "\"\nretry_initial = \"" << options_.retry_initial << "\"\nretry_max = \""
         << options_.retry_max << "\"\nauth_retry = \"" << options_.auth_retry << "\"\nbatch_size = "
         << options_.batch_size << "\n\n"
         << "[capture]\npoll_interval = \"" << options_.poll_interval << "\"\n";
}

std::map<std::string, std::string> ConnectorSetup::environment() const {
  return {{"CC_DATABASE_URL", database_.url()}, {"CC_TEST_API_KEY", options_.api_key}};
}

ProcessResult ConnectorSetup::run(const std::vector<std::string>& args, std::chrono::milliseconds timeout) const {
  std::vector<std::string> argv = {CC_CONNECTOR_BIN, "--config", config_path_};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_process(argv, environment(), timeout);
}

std::unique_ptr<ChildProcess> ConnectorSetup::start(const std::vector<std::string>& args) const {
  std::vector<std::string> argv = {CC_CONNECTOR_BIN, "--config", config_path_};
  argv.insert(argv.end(), args.begin(), args.end());
  std::string log = folder_.path() + "/connector-" + std::to_string(started_++) + ".log";
  return std::make_unique<ChildProcess>(argv, environment(), log);
}

void ConnectorSetup::write_file(const std::string& name, const std::string& text) const {
  std::ofstream file(folder_.path() + "/" + name);
  file << text;
}

}  // namespace cc::test
