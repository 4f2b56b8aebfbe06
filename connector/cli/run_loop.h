#pragma once

#include <memory>
#include <vector>

#include "config/connector_config.h"
#include "delivery/api_key.h"
#include "mapping/mapping.h"

namespace cc::cli {

struct RunOptions {
  bool once = false;  // drain what is pending, waiting out retries, then exit
};

// Asks a running loop to stop after the requests in flight finish. Async-signal-safe.
void request_stop();

// Installs SIGTERM and SIGINT handlers that call request_stop().
void install_stop_signal_handlers();

// The capture-and-deliver loop: LISTEN, catch up from the watermark, deliver due rows, write each
// outcome back, wait for a NOTIFY, the poll timer or the next retry, and repeat. Survives lost
// database connections by reconnecting with backoff and catching up.
// Returns an exit code; throws cc::RuntimeFailure for conditions the operator must fix.
int run_connector(const config::ConnectorConfig& config, const std::vector<mapping::Mapping>& mappings,
                  delivery::ApiKey api_key, const RunOptions& options);

}  // namespace cc::cli
