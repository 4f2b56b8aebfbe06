#pragma once

#include <memory>
#include <string>

#include <pqxx/pqxx>

namespace cc::test {

// Connection string of the fixture cluster's maintenance database.
std::string admin_url();

// Connection string of a database in the fixture cluster.
std::string database_url(const std::string& database);

// A fresh database in the fixture cluster, dropped when the test ends.
class TestDatabase {
 public:
  TestDatabase();
  ~TestDatabase();
  TestDatabase(const TestDatabase&) = delete;
  TestDatabase& operator=(const TestDatabase&) = delete;

  const std::string& name() const { return name_; }
  std::string url() const { return database_url(name_); }

  // Runs SQL on a new connection in autocommit mode and returns the result.
  pqxx::result exec(const std::string& sql);
  // Returns the single value of a one-row, one-column query as text ("" for NULL).
  std::string scalar(const std::string& sql);
  long long count(const std::string& sql);
  // A new connection to this database.
  std::unique_ptr<pqxx::connection> connect();

 private:
  std::string name_;
};

}  // namespace cc::test
