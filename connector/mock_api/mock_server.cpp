#include "mock_api/mock_server.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <charconv>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <stdexcept>
#include <string_view>

#include <spdlog/fmt/fmt.h>
#include <spdlog/spdlog.h>

namespace cc::mock_api {

namespace {

using Clock = std::chrono::steady_clock;
using OrderedJson = nlohmann::ordered_json;

constexpr const char* kImportPath = "/api/v2/import/record";

// Tests drive up to 16 concurrent senders, and each keep-alive connection occupies one worker
// thread while it is open, so 64 workers leave room for reconnects and admin calls.
constexpr std::size_t kWorkerThreads = 64;

// httplib closes a keep-alive connection after 5 requests by default. A higher limit lets a
// client reuse one connection for a whole batch, as it would against a production front end.
constexpr std::size_t kKeepAliveMaxRequests = 1000;

constexpr std::size_t kMaxBodyBytes = 16 * 1024 * 1024;

constexpr std::array<const char*, 9> kRequiredFields = {"req_firstname", "req_lastname", "req_accountname",
                                                        "req_street",    "req_city",     "req_state",
                                                        "req_zip",       "req_oppdate",  "req_oppnum"};

// Set per request by the pre-routing handler and read by the logger. httplib runs both, and the
// route handler, on the worker thread that owns the connection.
thread_local Clock::time_point t_request_start;
thread_local bool t_connection_dropped = false;

// An invalid request parameter. The message names the parameter and the expected value.
class BadParameter : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

std::string error_body(const std::string& message) {
  OrderedJson body;
  body["status"] = "error";
  body["message"] = message;
  return body.dump();
}

std::string format_utc_microseconds(std::chrono::system_clock::time_point time) {
  auto since_epoch = std::chrono::duration_cast<std::chrono::microseconds>(time.time_since_epoch());
  auto seconds = std::chrono::floor<std::chrono::seconds>(since_epoch);
  auto micros = (since_epoch - seconds).count();

  std::time_t whole_seconds = static_cast<std::time_t>(seconds.count());
  std::tm utc{};
  gmtime_r(&whole_seconds, &utc);

  char date_time[32];
  std::strftime(date_time, sizeof date_time, "%Y-%m-%dT%H:%M:%S", &utc);
  return fmt::format("{}.{:06}Z", date_time, micros);
}

int base64_sextet(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

// Decodes standard base64. Padding is optional, as some clients leave it out.
std::optional<std::string> decode_base64(std::string_view text) {
  for (int padding = 0; padding < 2 && !text.empty() && text.back() == '='; padding++) {
    text.remove_suffix(1);
  }
  if (text.size() % 4 == 1) {
    return std::nullopt;
  }

  std::string decoded;
  decoded.reserve(text.size() * 3 / 4);
  std::uint32_t buffer = 0;
  int bits = 0;
  for (char c : text) {
    int value = base64_sextet(c);
    if (value < 0) {
      return std::nullopt;
    }
    buffer = (buffer << 6) | static_cast<std::uint32_t>(value);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      decoded.push_back(static_cast<char>((buffer >> bits) & 0xFF));
    }
  }
  return decoded;
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string decode_form_component(std::string_view text) {
  std::string decoded;
  decoded.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); i++) {
    char c = text[i];
    if (c == '+') {
      decoded.push_back(' ');
      continue;
    }
    if (c == '%' && i + 2 < text.size() && hex_digit(text[i + 1]) >= 0 && hex_digit(text[i + 2]) >= 0) {
      decoded.push_back(static_cast<char>(hex_digit(text[i + 1]) * 16 + hex_digit(text[i + 2])));
      i += 2;
      continue;
    }
    decoded.push_back(c);
  }
  return decoded;
}

std::string lowercase(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

std::string_view trim(std::string_view text) {
  auto first = text.find_first_not_of(" \t");
  if (first == std::string_view::npos) {
    return {};
  }
  auto last = text.find_last_not_of(" \t");
  return text.substr(first, last - first + 1);
}

// Returns the media type of a Content-Type value in lower case, without parameters such as charset.
std::string media_type(const std::string& content_type) {
  std::string_view view(content_type);
  return lowercase(std::string(trim(view.substr(0, view.find(';')))));
}

// Converts a JSON object body to record fields. Throws BadParameter for a value that is an
// array or an object, because the import API takes flat fields only.
OrderedJson fields_from_json(const OrderedJson& body) {
  OrderedJson fields = OrderedJson::object();
  for (const auto& [name, value] : body.items()) {
    if (value.is_string()) {
      fields[name] = value;
    } else if (value.is_boolean()) {
      fields[name] = value.get<bool>() ? "true" : "false";
    } else if (value.is_number()) {
      fields[name] = value.dump();
    } else if (value.is_null()) {
      fields[name] = "";
    } else {
      throw BadParameter("field \"" + name + "\" has a JSON " + std::string(value.type_name()) +
                         " value; send a string, number or boolean");
    }
  }
  return fields;
}

bool has_all_required_fields(const OrderedJson& fields) {
  return std::all_of(kRequiredFields.begin(), kRequiredFields.end(), [&](const char* name) {
    auto field = fields.find(name);
    return field != fields.end() && field->is_string() && !field->get_ref<const std::string&>().empty();
  });
}

std::optional<std::pair<std::string, int>> socket_address(int fd, bool peer) {
  sockaddr_storage address{};
  socklen_t length = sizeof address;
  auto* raw = reinterpret_cast<sockaddr*>(&address);
  int result = peer ? ::getpeername(fd, raw, &length) : ::getsockname(fd, raw, &length);
  if (result != 0 || (address.ss_family != AF_INET && address.ss_family != AF_INET6)) {
    return std::nullopt;
  }
  char host[NI_MAXHOST];
  char service[NI_MAXSERV];
  if (::getnameinfo(raw, length, host, sizeof host, service, sizeof service, NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
    return std::nullopt;
  }
  return std::make_pair(std::string(host), std::atoi(service));
}

// Closes the request's connection without sending a response.
//
// httplib 0.11 gives handlers no access to the socket, so this finds the connection's file
// descriptor by matching the request's local port and remote address against the process's
// open sockets. shutdown() then ends the TCP stream, so the client reads EOF before any
// response byte. httplib's own write of the response fails afterwards and httplib closes the
// descriptor as usual, so no descriptor is closed twice or reused while the handler runs.
bool shut_down_connection(const httplib::Request& request) {
  std::error_code error;
  std::filesystem::directory_iterator entries("/proc/self/fd", error);
  if (error) {
    return false;
  }
  for (const auto& entry : entries) {
    std::string name = entry.path().filename().string();
    int fd = -1;
    auto [end, parse_error] = std::from_chars(name.data(), name.data() + name.size(), fd);
    if (parse_error != std::errc{} || end != name.data() + name.size()) {
      continue;
    }
    auto local = socket_address(fd, false);
    if (!local || local->second != request.local_port) {
      continue;
    }
    auto remote = socket_address(fd, true);
    if (!remote || remote->second != request.remote_port || remote->first != request.remote_addr) {
      continue;
    }
    return ::shutdown(fd, SHUT_RDWR) == 0;
  }
  return false;
}

std::optional<std::string> optional_param(const httplib::Request& request, const char* name) {
  if (!request.has_param(name)) {
    return std::nullopt;
  }
  return request.get_param_value(name);
}

long long integer_param(const httplib::Request& request, const char* name, long long min, long long max) {
  std::string text = request.get_param_value(name);
  long long value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc{} || end != text.data() + text.size() || value < min || value > max) {
    throw BadParameter("invalid " + std::string(name) + " '" + text + "': expected a whole number from " +
                       std::to_string(min) + " to " + std::to_string(max));
  }
  return value;
}

bool flag_param(const httplib::Request& request, const char* name) {
  auto text = optional_param(request, name);
  if (!text) {
    return false;
  }
  std::string value = lowercase(*text);
  if (value == "1" || value == "true" || value.empty()) {
    return true;
  }
  if (value == "0" || value == "false") {
    return false;
  }
  throw BadParameter("invalid " + std::string(name) + " '" + *text + "': expected 1 or 0");
}

// Reads the request body, or returns nothing if reading failed (then response.status is 400
// or 413). A body is read only when the request declares one: httplib 0.11 otherwise reads a
// POST until its 5 s read timeout and responds with 400, and "curl -X POST URL" sends such a request.
std::optional<std::string> read_declared_body(const httplib::Request& request, httplib::Response& response,
                                              const httplib::ContentReader& content_reader) {
  std::string body;
  if (!request.has_header("Content-Length") && !request.has_header("Transfer-Encoding")) {
    return body;
  }
  bool complete = content_reader([&body](const char* data, std::size_t length) {
    body.append(data, length);
    return true;
  });
  if (!complete) {
    if (response.status < 400) {
      response.status = 400;
    }
    return std::nullopt;
  }
  return body;
}

void answer_admin_error(httplib::Response& response, const std::string& message) {
  response.status = 400;
  response.set_content(error_body(message), "application/json");
}

void answer_admin_ok(httplib::Response& response, OrderedJson details) {
  OrderedJson body;
  body["status"] = "ok";
  for (auto& item : details.items()) {
    body[item.key()] = item.value();
  }
  response.status = 200;
  response.set_content(body.dump(), "application/json");
}

}  // namespace

nlohmann::json ServerStats::to_json() const {
  return {{"requests", requests},          {"accepted", accepted},
          {"unauthorized", unauthorized},  {"injected_failures", injected_failures},
          {"bad_requests", bad_requests},  {"in_flight", in_flight},
          {"max_in_flight", max_in_flight}};
}

std::optional<AuthForm> check_authorization(const std::string& header_value, const std::string& api_key) {
  std::string_view value = trim(header_value);
  constexpr std::string_view kScheme = "basic ";
  if (value.size() <= kScheme.size() || lowercase(std::string(value.substr(0, kScheme.size()))) != kScheme) {
    return std::nullopt;
  }
  auto credentials = decode_base64(trim(value.substr(kScheme.size())));
  if (!credentials) {
    return std::nullopt;
  }

  const std::string expected = "api:" + api_key;
  if (*credentials == expected) {
    return AuthForm::standard;
  }

  // The vendor's PHP example sends base64("api:" + KEY) as the user name with an empty
  // password, so the header carries base64 of that user name followed by ':'.
  if (!credentials->empty() && credentials->back() == ':') {
    auto inner = decode_base64(std::string_view(*credentials).substr(0, credentials->size() - 1));
    if (inner && *inner == expected) {
      return AuthForm::double_encoded;
    }
  }
  return std::nullopt;
}

OrderedJson parse_form_body(const std::string& body) {
  OrderedJson fields = OrderedJson::object();
  std::string_view rest(body);
  // Each pass consumes one '&'-separated pair, so the loop ends after at most body.size() + 1 passes.
  while (!rest.empty()) {
    auto separator = rest.find('&');
    std::string_view pair = rest.substr(0, separator);
    rest = separator == std::string_view::npos ? std::string_view{} : rest.substr(separator + 1);
    if (pair.empty()) {
      continue;
    }
    auto equals = pair.find('=');
    std::string name = decode_form_component(pair.substr(0, equals));
    if (name.empty()) {
      continue;
    }
    std::string value =
        equals == std::string_view::npos ? std::string{} : decode_form_component(pair.substr(equals + 1));
    fields[name] = value;
  }
  return fields;
}

MockServer::MockServer(std::string api_key, RecordStore& store, FailurePlan& plan)
    : store_(store), plan_(plan), api_key_(std::move(api_key)) {
  server_.new_task_queue = [] { return new httplib::ThreadPool(kWorkerThreads); };
  server_.set_tcp_nodelay(true);
  // httplib 0.11's default socket options add SO_REUSEPORT, which lets a second cc-mock-api
  // bind the same port and silently take part of the traffic. SO_REUSEADDR alone still allows
  // a quick restart on a port whose old connections are in TIME_WAIT.
  server_.set_socket_options([this](socket_t socket) {
    int enable = 1;
    ::setsockopt(socket, SOL_SOCKET, SO_REUSEADDR, &enable, sizeof enable);
    listening_socket_ = socket;
  });
  server_.set_keep_alive_max_count(kKeepAliveMaxRequests);
  server_.set_payload_max_length(kMaxBodyBytes);
  install_routes();
}

std::optional<int> MockServer::bind(const std::string& address, int port) {
  std::optional<int> bound;
  if (port == 0) {
    int any = server_.bind_to_any_port(address);
    bound = any > 0 ? std::optional<int>(any) : std::nullopt;
  } else {
    bound = server_.bind_to_port(address, port) ? std::optional<int>(port) : std::nullopt;
  }

  // Debian's httplib library listens with a backlog of 5. When more clients connect at once
  // (a connector at concurrency 16), the kernel drops the extra handshakes and each of those
  // clients stalls for a second or fails. Listening again on the bound socket raises the backlog.
  if (bound && listening_socket_ >= 0 && ::listen(listening_socket_, SOMAXCONN) != 0) {
    spdlog::warn("cannot raise the listen backlog: {}", std::strerror(errno));
  }
  return bound;
}

bool MockServer::listen() { return server_.listen_after_bind(); }

void MockServer::stop() {
  {
    std::lock_guard lock(stop_mutex_);
    stopping_ = true;
  }
  stop_signal_.notify_all();
  server_.stop();
}

ServerStats MockServer::stats() const {
  std::lock_guard lock(stats_mutex_);
  return stats_;
}

std::string MockServer::api_key() const {
  std::lock_guard lock(key_mutex_);
  return api_key_;
}

void MockServer::install_routes() {
  server_.set_pre_routing_handler([](const httplib::Request&, httplib::Response&) {
    t_request_start = Clock::now();
    t_connection_dropped = false;
    return httplib::Server::HandlerResponse::Unhandled;
  });

  // Logs the path without the query string, because /_mock/key carries the new key there.
  server_.set_logger([](const httplib::Request& request, const httplib::Response& response) {
    if (t_connection_dropped) {
      return;  // the import handler already logged the dropped connection
    }
    std::chrono::duration<double, std::milli> elapsed = Clock::now() - t_request_start;
    spdlog::debug("{} {} {} {:.1f} ms", request.method, request.path, response.status, elapsed.count());
  });

  httplib::Server::HandlerWithResponse error_handler = [](const httplib::Request& request,
                                                          httplib::Response& response) {
    if (!response.body.empty()) {
      return httplib::Server::HandlerResponse::Unhandled;
    }
    std::string message;
    if (response.status == 404) {
      message = "no route for " + request.method + " " + request.path + "; the import endpoint is POST " + kImportPath;
    } else if (response.status == 413) {
      message = "request body is larger than " + std::to_string(kMaxBodyBytes) + " bytes";
    } else {
      message = "request failed with HTTP " + std::to_string(response.status);
    }
    response.set_content(error_body(message), "application/json");
    return httplib::Server::HandlerResponse::Handled;
  };
  server_.set_error_handler(std::move(error_handler));

  server_.set_exception_handler(
      [](const httplib::Request& request, httplib::Response& response, std::exception_ptr error) {
        std::string error_message = "unknown exception";
        try {
          std::rethrow_exception(error);
        } catch (const std::exception& exception) {
          error_message = exception.what();
        } catch (...) {
        }
        spdlog::error("{} {} failed: {}", request.method, request.path, error_message);
        response.status = 500;
        response.set_content(error_body("internal error in cc-mock-api: " + error_message), "application/json");
      });

  using ContentReader = httplib::ContentReader;
  server_.Post(kImportPath,
               [this](const httplib::Request& request, httplib::Response& response,
                      const ContentReader& content_reader) { handle_import(request, response, content_reader); });
  server_.Post("/_mock/fail", [this](const httplib::Request& request, httplib::Response& response,
                                     const ContentReader& content_reader) {
    if (read_declared_body(request, response, content_reader)) {
      handle_fail(request, response);
    }
  });
  server_.Post("/_mock/latency", [this](const httplib::Request& request, httplib::Response& response,
                                        const ContentReader& content_reader) {
    if (read_declared_body(request, response, content_reader)) {
      handle_latency(request, response);
    }
  });
  server_.Post("/_mock/key", [this](const httplib::Request& request, httplib::Response& response,
                                    const ContentReader& content_reader) {
    if (auto body = read_declared_body(request, response, content_reader)) {
      handle_key(request, *body, response);
    }
  });
  server_.Post("/_mock/reset", [this](const httplib::Request& request, httplib::Response& response,
                                      const ContentReader& content_reader) {
    if (read_declared_body(request, response, content_reader)) {
      handle_reset(response);
    }
  });
  server_.Get("/_mock/records", [this](const httplib::Request&, httplib::Response& response) {
    response.set_content(store_.entries().dump(), "application/json");
  });
  server_.Get("/_mock/stats", [this](const httplib::Request&, httplib::Response& response) {
    response.set_content(stats().to_json().dump(), "application/json");
  });
  server_.Get("/_mock/health",
              [](const httplib::Request&, httplib::Response& response) { response.set_content("ok", "text/plain"); });
}

bool MockServer::wait_latency() {
  std::chrono::milliseconds latency = plan_.latency();
  std::unique_lock lock(stop_mutex_);
  if (latency.count() > 0) {
    stop_signal_.wait_for(lock, latency, [this] { return stopping_; });
  }
  return !stopping_;
}

void MockServer::handle_import(const httplib::Request& request, httplib::Response& response,
                               const httplib::ContentReader& content_reader) {
  // Taken before the injected latency, because benchmarks compare it with the commit time.
  const std::string received_at = format_utc_microseconds(std::chrono::system_clock::now());

  {
    std::lock_guard lock(stats_mutex_);
    stats_.requests++;
    stats_.in_flight++;
    stats_.max_in_flight = std::max(stats_.max_in_flight, stats_.in_flight);
  }
  struct InFlightRelease {
    MockServer& server;
    ~InFlightRelease() {
      std::lock_guard lock(server.stats_mutex_);
      server.stats_.in_flight--;
    }
  } release{*this};

  std::optional<std::string> body_text = read_declared_body(request, response, content_reader);
  if (!body_text) {
    answer_bad_request(response, response.status,
                       response.status == 413
                           ? "request body is larger than " + std::to_string(kMaxBodyBytes) + " bytes"
                           : std::string("failed to read the request body"));
    return;
  }

  // An injected outage hits every request, so it is decided before authentication.
  std::optional<InjectedFailure> failure = plan_.next_request();

  if (!wait_latency()) {
    response.status = 503;
    response.set_content(error_body("cc-mock-api is shutting down"), "application/json");
    return;
  }

  if (failure) {
    answer_injected_failure(request, response, *failure);
    return;
  }

  std::optional<AuthForm> auth = check_authorization(request.get_header_value("Authorization"), api_key());
  if (!auth) {
    {
      std::lock_guard lock(stats_mutex_);
      stats_.unauthorized++;
    }
    response.status = 401;
    response.set_header("WWW-Authenticate", "Basic realm=\"Contractors Cloud\"");
    response.set_content(error_body("Invalid API key"), "application/json");
    return;
  }

  RecordOrigin origin{received_at, "", *auth == AuthForm::standard ? "standard" : "double"};
  std::string type = media_type(request.get_header_value("Content-Type"));
  OrderedJson fields;
  if (type == "application/x-www-form-urlencoded") {
    origin.content_type = "form";
    fields = parse_form_body(*body_text);
  } else if (type == "application/json") {
    origin.content_type = "json";
    OrderedJson body;
    try {
      body = OrderedJson::parse(*body_text);
    } catch (const OrderedJson::parse_error& error) {
      answer_bad_request(response, 400, std::string("invalid JSON body: ") + error.what());
      return;
    }
    if (!body.is_object()) {
      answer_bad_request(
          response, 400,
          "JSON body must be an object of field names to values, not a JSON " + std::string(body.type_name()));
      return;
    }
    try {
      fields = fields_from_json(body);
    } catch (const BadParameter& error) {
      answer_bad_request(response, 400, error.what());
      return;
    }
  } else {
    std::string described_type = type.empty() ? "missing Content-Type" : "unsupported Content-Type " + type;
    answer_bad_request(response, 415, described_type + "; send application/x-www-form-urlencoded or application/json");
    return;
  }

  std::string id;
  try {
    id = store_.add(origin, fields);
  } catch (const std::runtime_error& error) {
    spdlog::error("failed to store a record: {}", error.what());
    response.status = 500;
    response.set_content(error_body("failed to store the record: " + std::string(error.what())), "application/json");
    return;
  }
  {
    std::lock_guard lock(stats_mutex_);
    stats_.accepted++;
  }

  OrderedJson body;
  body["status"] = "success";
  body["data"]["id"] = id;
  body["data"]["result"] = has_all_required_fields(fields) ? "created" : "queued";
  response.status = 200;
  response.set_content(body.dump(), "application/json");
}

void MockServer::answer_injected_failure(const httplib::Request& request, httplib::Response& response,
                                         const InjectedFailure& failure) {
  {
    std::lock_guard lock(stats_mutex_);
    stats_.injected_failures++;
  }

  if (failure.drop) {
    std::chrono::duration<double, std::milli> elapsed = Clock::now() - t_request_start;
    if (shut_down_connection(request)) {
      t_connection_dropped = true;
      spdlog::debug("{} {} dropped the connection without a response after {:.1f} ms", request.method, request.path,
                    elapsed.count());
      // httplib still tries to write this response, and that write fails on the shut-down socket.
      response.status = 503;
      return;
    }
    spdlog::warn("{} {}: socket of the connection not found, so it was not dropped; responding 503 instead",
                 request.method, request.path);
    response.status = 503;
    response.set_content(error_body("injected failure: connection drop emulation failed"), "application/json");
    return;
  }

  response.status = failure.status;
  if (failure.retry_after) {
    response.set_header("Retry-After", *failure.retry_after);
  }
  response.set_content(error_body("injected failure: HTTP " + std::to_string(failure.status)), "application/json");
}

void MockServer::answer_bad_request(httplib::Response& response, int status, const std::string& message) {
  {
    std::lock_guard lock(stats_mutex_);
    stats_.bad_requests++;
  }
  response.status = status;
  response.set_content(error_body(message), "application/json");
}

void MockServer::handle_fail(const httplib::Request& request, httplib::Response& response) {
  try {
    InjectedFailure failure;
    failure.drop = flag_param(request, "drop");
    if (request.has_param("status")) {
      // A 2xx status answers with the error body too: an API that says "200 OK" but did not
      // create the record.
      failure.status = static_cast<int>(integer_param(request, "status", 200, 599));
    } else if (!failure.drop) {
      throw BadParameter("missing status: pass status=CODE (200 to 599), or drop=1 to close connections");
    }
    if (auto retry_after = optional_param(request, "retry_after")) {
      if (retry_after->empty() || retry_after->find_first_of("\r\n") != std::string::npos) {
        throw BadParameter("invalid retry_after: expected a non-empty single-line header value");
      }
      failure.retry_after = *retry_after;
    }

    // With every or duration_ms, count caps the failures of that rule instead of setting up
    // a "next N requests" rule.
    std::optional<int> count;
    if (request.has_param("count")) {
      count = static_cast<int>(integer_param(request, "count", 0, 1'000'000'000));
    }
    bool has_every = request.has_param("every");
    bool has_duration = request.has_param("duration_ms");
    if (has_every && has_duration) {
      throw BadParameter("pass either every=K or duration_ms=MS, not both; call /_mock/fail once per rule");
    }
    if (has_every) {
      plan_.fail_every(failure, static_cast<int>(integer_param(request, "every", 0, 1'000'000'000)), count);
    } else if (has_duration) {
      plan_.fail_for(failure, std::chrono::milliseconds(integer_param(request, "duration_ms", 0, 86'400'000)), count);
    } else if (count) {
      plan_.fail_next(failure, *count);
    } else {
      throw BadParameter("missing rule: pass count=N, every=K or duration_ms=MS");
    }
  } catch (const BadParameter& error) {
    answer_admin_error(response, error.what());
    return;
  }

  std::string active = plan_.describe();
  spdlog::info("failure injection changed: {}", active);
  answer_admin_ok(response, {{"failures", active}});
}

void MockServer::handle_latency(const httplib::Request& request, httplib::Response& response) {
  try {
    if (!request.has_param("ms")) {
      throw BadParameter("missing ms: pass ms=N milliseconds, or ms=0 to remove the latency");
    }
    plan_.set_latency(std::chrono::milliseconds(integer_param(request, "ms", 0, 3'600'000)));
  } catch (const BadParameter& error) {
    answer_admin_error(response, error.what());
    return;
  }

  std::string active = plan_.describe();
  spdlog::info("failure injection changed: {}", active);
  answer_admin_ok(response, {{"failures", active}});
}

void MockServer::handle_key(const httplib::Request& request, const std::string& body_text,
                            httplib::Response& response) {
  std::optional<std::string> key = optional_param(request, "value");
  if (!key && media_type(request.get_header_value("Content-Type")) == "application/json") {
    OrderedJson body = OrderedJson::parse(body_text, nullptr, false);
    if (body.is_object() && body.contains("key") && body["key"].is_string()) {
      key = body["key"].get<std::string>();
    }
  }
  if (!key || key->empty()) {
    answer_admin_error(response,
                       "missing key: pass value=NEWKEY in the query string or a JSON body {\"key\": \"NEWKEY\"}");
    return;
  }

  {
    std::lock_guard lock(key_mutex_);
    api_key_ = *key;
  }
  spdlog::info("accepted API key changed");
  answer_admin_ok(response, OrderedJson::object());
}

void MockServer::handle_reset(httplib::Response& response) {
  plan_.reset();
  spdlog::info("failure injection changed: reset, stored records kept");
  answer_admin_ok(response, {{"failures", plan_.describe()}});
}

}  // namespace cc::mock_api
