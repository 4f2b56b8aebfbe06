#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <pqxx/pqxx>

namespace cc {

// Opens a connection for the connector's own work. The session gets:
// * application_name, so a DBA can tell the connector's sessions apart in pg_stat_activity;
// * TimeZone UTC and DateStyle ISO, so date and time values arrive in the one text form that
//   mysql_datetime reads;
// * cc_connector.origin = 'connector', which the capture triggers read to skip the connector's
//   own writes, so write-back never captures itself.
// Throws pqxx::broken_connection with the password redacted from the message.
std::unique_ptr<pqxx::connection> open_connection(const std::string& url, std::string_view application_name);

// Resolves a table name as SQL would ("jobs", "public.jobs", "\"Shop Jobs\"") through the session's
// search_path, and returns it in canonical quoted form, or nothing when no such table or view exists.
std::optional<std::string> resolve_table(pqxx::transaction_base& transaction, const std::string& table);

// Replaces the schema name cc_sync in SQL text written for the default schema with `schema`.
// Schema names are validated as plain lowercase identifiers, so no quoting is needed.
std::string with_schema(std::string_view sql, const std::string& schema);

}  // namespace cc
