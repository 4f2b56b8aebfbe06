// cc-connector: captures new and changed rows of a shop's PostgreSQL tables, maps them to
// Contractors Cloud import records, POSTs them to the import API and records every row's outcome.

#include <iostream>

#include <CLI/CLI.hpp>
#include <pqxx/pqxx>

#include "cli/commands.h"
#include "common/errors.h"
#include "common/secret.h"
#include "config/config_error.h"

int main(int argc, char** argv) {
  using namespace cc;
  cli::GlobalOptions global;
  cli::PreviewOptions preview;
  bool once = false;
  bool json = false;
  bool drop_data = false;

  CLI::App app{"cc-connector: keeps Contractors Cloud in step with a shop's PostgreSQL jobs database", "cc-connector"};
  app.set_version_flag("--version", "cc-connector 0.1.0");
  app.option_defaults()->always_capture_default();
  app.add_option("-c,--config", global.config_path, "Path of connector.toml");
  app.add_option("--log-level", global.log_level, "Log level: trace, debug, info, warn, error, critical or off (overrides [log] level)")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "critical", "off"}));
  app.require_subcommand(1);

  CLI::App* init = app.add_subcommand("init", "Install or upgrade the schema and the capture triggers (idempotent)");
  CLI::App* check = app.add_subcommand(
      "check", "Validate the configuration and every mapping; with a reachable database also tables and columns");
  CLI::App* preview_command =
      app.add_subcommand("preview", "Print the import records that rows map to, sending nothing");
  preview_command->add_option("--source", preview.source, "Source name (required when there are several)");
  preview_command->add_option("--limit", preview.limit, "Number of rows, in key order")->check(CLI::Range(1, 10000));
  preview_command->add_option("--key", preview.key,
                              "One row's key: the value, or a JSON object for a composite key");
  preview_command->add_option("--format", preview.format, "Output format: table or json")
      ->check(CLI::IsMember({"table", "json"}));
  CLI::App* run = app.add_subcommand("run", "Capture and deliver until SIGTERM or SIGINT");
  run->add_flag("--once", once, "Deliver what is pending, waiting out retries, then exit");
  CLI::App* status = app.add_subcommand("status", "Per source: counts by state, oldest pending row, watermark age, recent errors");
  status->add_flag("--json", json, "Print JSON for scripts");
  cli::RetryOptions retry_options;
  CLI::App* retry = app.add_subcommand("retry", "Send failed or held rows again");
  retry->add_option("--source", retry_options.source, "Only rows of this source");
  retry->add_option("--state", retry_options.state, "Which rows: failed, held or all")
      ->check(CLI::IsMember({"failed", "held", "all"}));
  retry->add_option("--key", retry_options.key, "Only this row: the key value, or a JSON object for a composite key");
  cli::BackfillOptions backfill_options;
  CLI::App* backfill =
      app.add_subcommand("backfill", "Queue rows that existed before capture was installed, for `run` to send");
  backfill->add_option("--source", backfill_options.source, "Source name (required when there are several)");
  backfill->add_option("--where", backfill_options.where, "SQL condition on the watched table's rows");
  CLI::App* uninstall = app.add_subcommand("uninstall", "Remove the capture triggers");
  uninstall->add_flag("--drop-data", drop_data, "Also drop the schema with its status and change log");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    int code = app.exit(error);
    return code == 0 ? exit_ok : exit_invalid_configuration;
  }

  try {
    if (init->parsed()) {
      return cli::command_init(global);
    }
    if (check->parsed()) {
      return cli::command_check(global);
    }
    if (preview_command->parsed()) {
      return cli::command_preview(global, preview);
    }
    if (run->parsed()) {
      return cli::command_run(global, once);
    }
    if (status->parsed()) {
      return cli::command_status(global, json);
    }
    if (retry->parsed()) {
      return cli::command_retry(global, retry_options);
    }
    if (backfill->parsed()) {
      return cli::command_backfill(global, backfill_options);
    }
    if (uninstall->parsed()) {
      return cli::command_uninstall(global, drop_data);
    }
  } catch (const config::ConfigError& error) {
    for (const config::Diagnostic& diagnostic : error.diagnostics()) {
      std::cerr << diagnostic.to_string() << "\n";
    }
    return exit_invalid_configuration;
  } catch (const UsageError& error) {
    std::cerr << "error: " << error.what() << "\n";
    return exit_invalid_configuration;
  } catch (const RuntimeFailure& error) {
    std::cerr << "error: " << error.what() << "\n";
    return exit_runtime_failure;
  } catch (const pqxx::broken_connection& error) {
    std::cerr << "error: " << redact_connection_string(error.what())
              << "\nCheck [database] url or CC_DATABASE_URL, and that the server is running.\n";
    return exit_runtime_failure;
  } catch (const pqxx::sql_error& error) {
    std::cerr << "error: database error (sqlstate " << error.sqlstate() << "): " << error.what() << "\n";
    return exit_runtime_failure;
  } catch (const std::exception& error) {
    std::cerr << "error: " << error.what() << "\n";
    return exit_runtime_failure;
  }
  return exit_invalid_configuration;
}
