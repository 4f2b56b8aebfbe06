#pragma once

#include <string>

namespace cc::cli {

struct GlobalOptions {
  std::string config_path = "connector.toml";
  std::string log_level;  // overrides [log] level when set
};

struct PreviewOptions {
  std::string source;  // empty: the only source, or an error when there are several
  int limit = 5;
  std::string key;     // a key value or JSON object; overrides limit
  std::string format = "table";
};

// Each command returns its exit code: 0 success, 1 runtime failure, 2 invalid usage or configuration.
int command_init(const GlobalOptions& global);
int command_check(const GlobalOptions& global);
int command_preview(const GlobalOptions& global, const PreviewOptions& options);
int command_run(const GlobalOptions& global, bool once);
int command_status(const GlobalOptions& global, bool json);
int command_uninstall(const GlobalOptions& global, bool drop_data);

struct RetryOptions {
  std::string source;  // empty: every source
  std::string state = "failed";  // failed, held or all (both)
  std::string key;     // one row's key; empty: every row in the state
};
int command_retry(const GlobalOptions& global, const RetryOptions& options);

struct BackfillOptions {
  std::string source;  // empty: the only source, or an error when there are several
  std::string where;   // SQL condition on the watched table; empty: every row
};
int command_backfill(const GlobalOptions& global, const BackfillOptions& options);

}  // namespace cc::cli
