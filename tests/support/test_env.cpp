#include "support/test_env.h"

#include <unistd.h>

#include <atomic>

namespace cc::test {

namespace {

std::string socket_dir() {
  return std::string(CC_TEST_PG_DIR) + "/socket";
}

std::string port() {
  const char* value = std::getenv("CC_TEST_PG_PORT");
  return value != nullptr ? value : "54329";
}

}  // namespace

std::string database_url(const std::string& database) {
  return "postgresql:///" + database + "?host=" + socket_dir() + "&port=" + port() + "&user=postgres";
}

std::string admin_url() {
  return database_url("postgres");
}

TestDatabase::TestDatabase() {
  static std::atomic<int> counter{0};
  name_ = "cc_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter++);
  pqxx::connection admin(admin_url());
  pqxx::nontransaction session(admin);
  session.exec0("DROP DATABASE IF EXISTS " + name_);
  session.exec0("CREATE DATABASE " + name_);
}

TestDatabase::~TestDatabase() {
  try {
    pqxx::connection admin(admin_url());
    pqxx::nontransaction session(admin);
    session.exec0("DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)");
  } catch (const std::exception&) {
    // The cluster is removed when the fixture stops, so a leftover database is harmless.
  }
}

std::unique_ptr<pqxx::connection> TestDatabase::connect() {
  return std::make_unique<pqxx::connection>(url());
}

pqxx::result TestDatabase::exec(const std::string& sql) {
  pqxx::connection connection(url());
  pqxx::nontransaction session(connection);
  return session.exec(sql);
}

std::string TestDatabase::scalar(const std::string& sql) {
  pqxx::result result = exec(sql);
  if (result.empty() || result[0][0].is_null()) {
    return "";
  }
  return result[0][0].as<std::string>();
}

long long TestDatabase::count(const std::string& sql) {
  return exec(sql)[0][0].as<long long>();
}

}  // namespace cc::test
