#include "common/database.h"

#include "common/secret.h"

namespace cc {

std::unique_ptr<pqxx::connection> open_connection(const std::string& url, std::string_view application_name) {
  std::unique_ptr<pqxx::connection> connection;
  try {
    connection = std::make_unique<pqxx::connection>(url);
  } catch (const pqxx::broken_connection& error) {
    throw pqxx::broken_connection("cannot connect to the database " + redact_connection_string(url) + ": " +
                                  redact_connection_string(error.what()));
  }

  pqxx::nontransaction session(*connection);
  session.exec0("SET application_name = " + session.quote(std::string(application_name)));
  session.exec0("SET TimeZone = 'UTC'");
  session.exec0("SET DateStyle = 'ISO, MDY'");
  session.exec0("SET cc_connector.origin = 'connector'");
  return connection;
}

std::optional<std::string> resolve_table(pqxx::transaction_base& transaction, const std::string& table) {
  // to_regclass parses the name like the SQL parser does (unquoted parts fold to lower case) and
  // returns NULL instead of raising for a missing table or a malformed name.
  pqxx::result found = transaction.exec_params("SELECT to_regclass($1)::text", table);
  if (found.empty() || found[0][0].is_null()) {
    return std::nullopt;
  }
  return found[0][0].as<std::string>();
}

std::string with_schema(std::string_view sql, const std::string& schema) {
  std::string text(sql);
  if (schema == "cc_sync") {
    return text;
  }
  const std::string word = "cc_sync";
  for (std::size_t at = text.find(word); at != std::string::npos; at = text.find(word, at)) {
    text.replace(at, word.size(), schema);
    at += schema.size();
  }
  return text;
}

}  // namespace cc
