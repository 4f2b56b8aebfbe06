#pragma once

#include <optional>
#include <string>
#include <vector>

#include <pqxx/pqxx>

#include "mapping/mapping.h"

namespace cc::capture {

// The schema version this build installs and expects: the version of the newest file in sql/.
int expected_schema_version();

// Returns the installed schema version, or nothing when the schema has not been installed.
std::optional<int> installed_schema_version(pqxx::transaction_base& transaction, const std::string& schema);

struct InstallReport {
  std::optional<int> version_before;
  int version_after = 0;
  std::vector<std::string> applied_files;
  std::vector<std::string> installed_sources;
};

// Installs or upgrades the schema, then installs capture on every mapping's table. Idempotent:
// each migration runs once, in its own transaction together with its version bump, and an
// advisory lock keeps two concurrent `init` runs from interleaving. Throws cc::RuntimeFailure
// naming the source and table when a table or key column does not exist.
InstallReport install_schema(pqxx::connection& connection, const std::string& schema,
                             const std::vector<mapping::Mapping>& mappings);

// Applies migrations up to and including `target_version` only, for upgrade tests and for DBAs who
// stage upgrades.
InstallReport apply_migrations(pqxx::connection& connection, const std::string& schema, int target_version);

// Removes the capture triggers of every installed source; with drop_data also the whole schema.
// Returns false when the schema was not installed.
bool uninstall_schema(pqxx::connection& connection, const std::string& schema, bool drop_data);

}  // namespace cc::capture
