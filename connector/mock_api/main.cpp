// cc-mock-api: a local stand-in for the Contractors Cloud import API, for tests and demos.

#include <signal.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <future>
#include <memory>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>

#include <CLI/CLI.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "mock_api/failure_plan.h"
#include "mock_api/mock_server.h"
#include "mock_api/record_store.h"

namespace {

constexpr int kExitOk = 0;
constexpr int kExitRuntimeError = 1;
constexpr int kExitUsage = 2;

// After SIGTERM, requests in progress get this long to finish. An idle keep-alive connection
// occupies its httplib worker for up to 5 s, and waiting for that would only slow down tests.
constexpr std::chrono::seconds kShutdownGrace{3};

struct Options {
  std::string bind_address = "127.0.0.1";
  int port = 8085;
  std::string port_file;
  std::string key_env = "CC_API_KEY";
  std::string key_file;
  std::string store_file;
  int latency_ms = 0;
  int fail_status = 0;
  int fail_count = 0;
  std::string log_level = "info";
};

// A configuration problem that should end the process with exit code 2.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

std::string read_key_file(const std::string& path) {
  std::ifstream input(path, std::ios::binary);
  if (!input) {
    throw UsageError("failed to read --key-file " + path + ": " + std::strerror(errno) +
                     "; check the path and its permissions");
  }
  std::ostringstream content;
  content << input.rdbuf();
  std::string key = content.str();
  auto end = key.find_last_not_of(" \t\r\n");
  key.erase(end == std::string::npos ? 0 : end + 1);
  if (key.empty()) {
    throw UsageError("--key-file " + path + " is empty; write the API key into it");
  }
  return key;
}

// Returns the accepted API key. The messages name where the key was looked for, never the key.
std::string load_api_key(const Options& options) {
  if (!options.key_file.empty()) {
    return read_key_file(options.key_file);
  }
  const char* value = std::getenv(options.key_env.c_str());
  if (value == nullptr || *value == '\0') {
    throw UsageError("missing API key: the environment variable " + options.key_env +
                     " is not set or empty; set it, or pass --key-file FILE");
  }
  return value;
}

// Writes the port through a temporary file and rename(), so a reader never sees a partial number.
void write_port_file(const std::string& path, int port) {
  std::string temporary = path + ".tmp";
  {
    std::ofstream output(temporary, std::ios::trunc);
    output << port << '\n';
    output.flush();
    if (!output) {
      throw std::runtime_error("failed to write --port-file " + temporary +
                               "; check that its folder exists and is writable");
    }
  }
  std::error_code error;
  std::filesystem::rename(temporary, path, error);
  if (error) {
    throw std::runtime_error("failed to rename " + temporary + " to --port-file " + path + ": " + error.message());
  }
}

std::string url_host(const std::string& address) {
  return address.find(':') == std::string::npos ? address : "[" + address + "]";
}

int parse_command_line(int argc, char** argv, Options& options) {
  CLI::App app{
      "Local stand-in for the Contractors Cloud import API (POST /api/v2/import/record), "
      "with failure injection under /_mock/. The /_mock/ routes need no authentication, "
      "so bind to a loopback address only.",
      "cc-mock-api"};
  app.add_option("--bind", options.bind_address, "Address to listen on")->capture_default_str();
  app.add_option("--port", options.port, "TCP port to listen on; 0 picks a free port")
      ->check(CLI::Range(0, 65535))
      ->capture_default_str();
  app.add_option("--port-file", options.port_file, "File to write the bound port number to once listening");
  auto* key_env =
      app.add_option("--key-env", options.key_env, "Environment variable that contains the accepted API key")
          ->capture_default_str();
  app.add_option("--key-file", options.key_file,
                 "File that contains the accepted API key; trailing whitespace is ignored")
      ->excludes(key_env);
  app.add_option("--store", options.store_file,
                 "JSON-lines file that every accepted record is appended to; records already in it are "
                 "loaded and their ids continued. Without it, records are kept in memory only");
  app.add_option("--latency-ms", options.latency_ms, "Delay in milliseconds before answering each import request")
      ->check(CLI::Range(0, 3'600'000));
  auto* fail_status =
      app.add_option("--fail-status", options.fail_status, "HTTP status for the first --fail-count import requests")
          ->check(CLI::Range(400, 599));
  auto* fail_count = app.add_option("--fail-count", options.fail_count,
                                    "Number of import requests, counted from start, that get --fail-status")
                         ->check(CLI::Range(1, 1'000'000'000));
  fail_status->needs(fail_count);
  fail_count->needs(fail_status);
  app.add_option("--log-level", options.log_level, "Log level; debug logs one line per request")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "critical", "off"}))
      ->capture_default_str();

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    int code = app.exit(error);
    return code == 0 ? kExitOk : kExitUsage;
  }
  return -1;
}

void configure_logging(const std::string& level) {
  auto logger = spdlog::stderr_color_mt("cc-mock-api");
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %^%l%$ [%n] %v", spdlog::pattern_time_type::utc);
  spdlog::set_default_logger(logger);
  spdlog::set_level(spdlog::level::from_str(level));
  spdlog::flush_on(spdlog::level::trace);
}

// Waits for SIGINT or SIGTERM, or for the listener to end on its own. Returns the signal, or 0.
int wait_for_stop(const sigset_t& stop_signals, std::future<bool>& listener_done) {
  // This loop runs for the server's lifetime by design, and each pass waits at most 250 ms.
  while (true) {
    timespec timeout{0, 250'000'000};
    int received = sigtimedwait(&stop_signals, nullptr, &timeout);
    if (received > 0) {
      return received;
    }
    if (listener_done.wait_for(std::chrono::seconds(0)) == std::future_status::ready) {
      return 0;
    }
  }
}

int run(const Options& options, const sigset_t& stop_signals) {
  std::string api_key;
  std::unique_ptr<cc::mock_api::RecordStore> store;
  try {
    api_key = load_api_key(options);
    store = options.store_file.empty() ? std::make_unique<cc::mock_api::RecordStore>()
                                       : std::make_unique<cc::mock_api::RecordStore>(options.store_file);
  } catch (const std::runtime_error& error) {
    spdlog::error("{}", error.what());
    return kExitUsage;
  }
  if (store->file()) {
    spdlog::info("appending accepted records to {} ({} already there)", store->file()->string(), store->size());
  }

  cc::mock_api::FailurePlan plan;
  plan.set_latency(std::chrono::milliseconds(options.latency_ms));
  if (options.fail_count > 0) {
    plan.fail_next(cc::mock_api::InjectedFailure{options.fail_status, std::nullopt, false}, options.fail_count);
  }
  if (options.latency_ms > 0 || options.fail_count > 0) {
    spdlog::info("failure injection: {}", plan.describe());
  }

  cc::mock_api::MockServer server(std::move(api_key), *store, plan);
  std::optional<int> port = server.bind(options.bind_address, options.port);
  if (!port) {
    spdlog::error(
        "failed to listen on {}:{}; the address may be in use or not local, pass another --port or --bind "
        "(--port 0 picks a free port)",
        options.bind_address, options.port);
    return kExitRuntimeError;
  }

  std::promise<bool> listener_result;
  std::future<bool> listener_done = listener_result.get_future();
  std::thread listener([&] { listener_result.set_value(server.listen()); });

  // httplib's stop() does nothing until listen() has started, so a stop signal that arrived
  // earlier would be lost. Each pass waits at most 10 ms, for at most 5 s in all.
  for (int attempt = 0; attempt < 500 && !server.is_running(); attempt++) {
    if (listener_done.wait_for(std::chrono::milliseconds(10)) == std::future_status::ready) {
      break;
    }
  }

  int exit_code = kExitOk;
  try {
    if (!options.port_file.empty()) {
      write_port_file(options.port_file, *port);
    }
    spdlog::info("listening on http://{}:{}", url_host(options.bind_address), *port);

    int signal_number = wait_for_stop(stop_signals, listener_done);
    if (signal_number != 0) {
      spdlog::info("stopping on {}", signal_number == SIGTERM ? "SIGTERM" : "SIGINT");
    } else {
      spdlog::error("the HTTP listener stopped unexpectedly; see the errors above");
      exit_code = kExitRuntimeError;
    }
  } catch (const std::runtime_error& error) {
    spdlog::error("{}", error.what());
    exit_code = kExitRuntimeError;
  }

  server.stop();
  if (listener_done.wait_for(kShutdownGrace) != std::future_status::ready) {
    // Stored records are already written, so leaving without joining the workers loses nothing.
    spdlog::warn("connections still open {} s after stopping; exiting without waiting for them",
                 kShutdownGrace.count());
    spdlog::shutdown();
    std::_Exit(exit_code);
  }
  listener.join();
  spdlog::info("stopped");
  return exit_code;
}

}  // namespace

int main(int argc, char** argv) {
  // Block the stop signals before any thread starts, so every thread inherits the mask and
  // only the sigtimedwait() in the main thread receives them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  // A client that hangs up early must not kill the server while a response is being written.
  signal(SIGPIPE, SIG_IGN);

  Options options;
  int parse_result = parse_command_line(argc, argv, options);
  if (parse_result >= 0) {
    return parse_result;
  }

  configure_logging(options.log_level);
  return run(options, stop_signals);
}
