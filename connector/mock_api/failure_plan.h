#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>

namespace cc::mock_api {

// Replacement for the normal processing of an import request: an error status or a dropped connection.
struct InjectedFailure {
  int status = 503;
  std::optional<std::string> retry_after;  // value of the Retry-After header, if any
  bool drop = false;                       // close the connection without a response
};

// Failure injection and added latency for import requests, shared by all server threads.
//
// Three independent rules can be active at once: "next N requests", "every K-th request" and
// "all requests until a deadline". When several match one request, the next-N rule wins, then
// the deadline rule, then the every-K rule. Every member function is thread-safe.
class FailurePlan {
 public:
  using Clock = std::chrono::steady_clock;

  // Fails the next `count` import requests. A count of 0 clears the rule.
  void fail_next(const InjectedFailure& failure, int count);

  // Fails every `period`-th import request, counted from this call. A period of 0 clears the
  // rule. With `max_failures`, the rule ends after injecting that many failures.
  void fail_every(const InjectedFailure& failure, int period, std::optional<int> max_failures = std::nullopt);

  // Fails all import requests until `now + duration`. A duration of 0 clears the rule.
  // With `max_failures`, the rule ends after injecting that many failures.
  void fail_for(const InjectedFailure& failure, std::chrono::milliseconds duration,
                std::optional<int> max_failures = std::nullopt, Clock::time_point now = Clock::now());

  void set_latency(std::chrono::milliseconds latency);
  std::chrono::milliseconds latency() const;

  // Clears all failure rules and the latency.
  void reset();

  // Decides the outcome of one import request. Each call counts as one request for the rules,
  // so the server calls it once per import request.
  std::optional<InjectedFailure> next_request(Clock::time_point now = Clock::now());

  // Describes the active rules for the log, e.g. "next 2 requests: 503; latency 200 ms".
  std::string describe() const;

 private:
  struct CountRule {
    InjectedFailure failure;
    int remaining = 0;
  };
  struct PeriodRule {
    InjectedFailure failure;
    int period = 0;
    std::uint64_t seen = 0;
    std::optional<int> remaining;  // failures left to inject, or unlimited
  };
  struct DeadlineRule {
    InjectedFailure failure;
    Clock::time_point until;
    std::optional<int> remaining;  // failures left to inject, or unlimited
  };

  mutable std::mutex mutex_;
  std::optional<CountRule> next_;
  std::optional<PeriodRule> every_;
  std::optional<DeadlineRule> window_;
  std::chrono::milliseconds latency_{0};
};

}  // namespace cc::mock_api
