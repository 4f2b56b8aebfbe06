#include "capture/schema_installer.h"

#include <spdlog/spdlog.h>

#include "capture/embedded_sql.h"
#include "common/database.h"
#include "common/errors.h"
#include "common/secret.h"

namespace cc::capture {

namespace {

// Serializes schema changes across processes; the value is arbitrary but fixed.
constexpr long long install_lock_key = 0x63635f73796e63;  // "cc_sync" in ASCII

std::string quote_key_columns(pqxx::transaction_base& transaction, const std::vector<std::string>& columns) {
  std::string array = "ARRAY[";
  for (std::size_t i = 0; i < columns.size(); ++i) {
    array += (i == 0 ? "" : ", ") + transaction.quote(columns[i]);
  }
  return array + "]::text[]";
}

}  // namespace

int expected_schema_version() {
  return migrations().back().version;
}

std::optional<int> installed_schema_version(pqxx::transaction_base& transaction, const std::string& schema) {
  pqxx::result table = transaction.exec_params("SELECT to_regclass($1) IS NOT NULL", schema + ".schema_version");
  if (!table[0][0].as<bool>()) {
    return std::nullopt;
  }
  pqxx::result version = transaction.exec("SELECT version FROM " + schema + ".schema_version");
  if (version.empty()) {
    return std::nullopt;
  }
  return version[0][0].as<int>();
}

InstallReport apply_migrations(pqxx::connection& connection, const std::string& schema, int target_version) {
  InstallReport report;
  for (const Migration& migration : migrations()) {
    if (migration.version > target_version) {
      break;
    }
    pqxx::work transaction(connection);
    transaction.exec_params("SELECT pg_advisory_xact_lock($1)", install_lock_key);
    std::optional<int> current = installed_schema_version(transaction, schema);
    if (report.applied_files.empty() && !report.version_before) {
      report.version_before = current;
    }
    if (current && *current >= migration.version) {
      report.version_after = *current;
      continue;
    }
    try {
      transaction.exec0(with_schema(migration.sql, schema));
    } catch (const pqxx::insufficient_privilege& error) {
      throw RuntimeFailure("permission denied while applying " + std::string(migration.file_name) +
                           ": run `cc-connector init` as the owner of the watched tables or a superuser, "
                           "since it creates a schema and triggers (sql/grants.sql lists what `run` needs)");
    }
    transaction.commit();
    report.applied_files.emplace_back(migration.file_name);
    report.version_after = migration.version;
    spdlog::info("applied {} to schema {}", migration.file_name, schema);
  }
  return report;
}

InstallReport install_schema(pqxx::connection& connection, const std::string& schema,
                             const std::vector<mapping::Mapping>& mappings) {
  InstallReport report = apply_migrations(connection, schema, expected_schema_version());

  for (const mapping::Mapping& mapping : mappings) {
    pqxx::work transaction(connection);
    transaction.exec_params("SELECT pg_advisory_xact_lock($1)", install_lock_key);
    std::optional<std::string> table = resolve_table(transaction, mapping.source.table);
    if (!table) {
      throw RuntimeFailure("source '" + mapping.source.name + "' (" + mapping.file + "): table '" +
                           mapping.source.table + "' does not exist; create it or fix source.table");
    }
    try {
      transaction.exec("SELECT " + schema + ".install_capture(" + transaction.quote(mapping.source.name) + ", " +
                        transaction.quote(*table) + "::regclass, " +
                        quote_key_columns(transaction, mapping.source.key_columns) + ")");
    } catch (const pqxx::insufficient_privilege& error) {
      throw RuntimeFailure("source '" + mapping.source.name + "': permission denied installing capture on " + *table +
                           ": run `cc-connector init` as the owner of " + *table +
                           " or a superuser, since only they may create triggers on it");
    } catch (const pqxx::sql_error& error) {
      throw RuntimeFailure("source '" + mapping.source.name + "' (" + mapping.file +
                           "): cannot install capture on " + *table + ": " + one_line_error(error.what()));
    }
    transaction.commit();
    report.installed_sources.push_back(mapping.source.name);
    spdlog::info("capture installed source={} table={}", mapping.source.name, *table);
  }
  return report;
}

bool uninstall_schema(pqxx::connection& connection, const std::string& schema, bool drop_data) {
  pqxx::work transaction(connection);
  transaction.exec_params("SELECT pg_advisory_xact_lock($1)", install_lock_key);
  if (!installed_schema_version(transaction, schema)) {
    return false;
  }

  // Every source with a watermark, not only the configured ones, so that a mapping deleted
  // before uninstall leaves no trigger behind.
  pqxx::result sources = transaction.exec("SELECT source FROM " + schema + ".watermark");
  for (const pqxx::row& row : sources) {
    transaction.exec("SELECT " + schema + ".uninstall_capture(" + transaction.quote(row[0].as<std::string>()) + ")");
    spdlog::info("capture removed source={}", row[0].as<std::string>());
  }
  if (drop_data) {
    transaction.exec0("DROP SCHEMA " + schema + " CASCADE");
    spdlog::info("schema {} dropped", schema);
  }
  transaction.commit();
  return true;
}

}  // namespace cc::capture
