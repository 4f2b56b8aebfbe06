#pragma once

#include <string_view>
#include <vector>

namespace cc::capture {

// One file of sql/, compiled into the binary: sql/002_in_doubt.sql is version 2.
struct Migration {
  int version;
  std::string_view file_name;
  std::string_view sql;  // uses the schema name cc_sync, replaced with the configured one when applied
};

// Every migration in version order; the last one's version is the schema version this build expects.
const std::vector<Migration>& migrations();

}  // namespace cc::capture
