#include "mock_api/failure_plan.h"

#include <algorithm>
#include <sstream>

namespace cc::mock_api {

namespace {

std::string describe_limit(const std::optional<int>& remaining) {
  return remaining ? " (" + std::to_string(*remaining) + " left)" : "";
}

std::string describe_failure(const InjectedFailure& failure) {
  if (failure.drop) {
    return "drop connection";
  }
  std::string text = std::to_string(failure.status);
  if (failure.retry_after) {
    text += " (Retry-After: " + *failure.retry_after + ")";
  }
  return text;
}

}  // namespace

void FailurePlan::fail_next(const InjectedFailure& failure, int count) {
  std::lock_guard lock(mutex_);
  if (count <= 0) {
    next_.reset();
    return;
  }
  next_ = CountRule{failure, count};
}

void FailurePlan::fail_every(const InjectedFailure& failure, int period, std::optional<int> max_failures) {
  std::lock_guard lock(mutex_);
  if (period <= 0 || (max_failures && *max_failures <= 0)) {
    every_.reset();
    return;
  }
  every_ = PeriodRule{failure, period, 0, max_failures};
}

void FailurePlan::fail_for(const InjectedFailure& failure, std::chrono::milliseconds duration,
                           std::optional<int> max_failures, Clock::time_point now) {
  std::lock_guard lock(mutex_);
  if (duration.count() <= 0 || (max_failures && *max_failures <= 0)) {
    window_.reset();
    return;
  }
  window_ = DeadlineRule{failure, now + duration, max_failures};
}

void FailurePlan::set_latency(std::chrono::milliseconds latency) {
  std::lock_guard lock(mutex_);
  latency_ = latency.count() > 0 ? latency : std::chrono::milliseconds{0};
}

std::chrono::milliseconds FailurePlan::latency() const {
  std::lock_guard lock(mutex_);
  return latency_;
}

void FailurePlan::reset() {
  std::lock_guard lock(mutex_);
  next_.reset();
  every_.reset();
  window_.reset();
  latency_ = std::chrono::milliseconds{0};
}

std::optional<InjectedFailure> FailurePlan::next_request(Clock::time_point now) {
  std::lock_guard lock(mutex_);

  // The period counter advances on every request, including those another rule fails, so
  // "every 40th request" keeps its rhythm while a short outage is injected on top of it.
  bool period_hit = false;
  if (every_) {
    every_->seen++;
    period_hit = every_->seen % static_cast<std::uint64_t>(every_->period) == 0;
  }

  if (next_) {
    InjectedFailure failure = next_->failure;
    if (--next_->remaining <= 0) {
      next_.reset();
    }
    return failure;
  }

  if (window_ && now >= window_->until) {
    window_.reset();
  }
  if (window_) {
    InjectedFailure failure = window_->failure;
    if (window_->remaining && --*window_->remaining <= 0) {
      window_.reset();
    }
    return failure;
  }

  if (period_hit) {
    InjectedFailure failure = every_->failure;
    if (every_->remaining && --*every_->remaining <= 0) {
      every_.reset();
    }
    return failure;
  }
  return std::nullopt;
}

std::string FailurePlan::describe() const {
  std::lock_guard lock(mutex_);
  std::ostringstream text;
  const char* separator = "";
  if (next_) {
    text << separator << "next " << next_->remaining << (next_->remaining == 1 ? " request: " : " requests: ")
         << describe_failure(next_->failure);
    separator = "; ";
  }
  if (window_) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(window_->until - Clock::now());
    text << separator << "all requests for " << std::max<long long>(left.count(), 0)
         << " ms: " << describe_failure(window_->failure) << describe_limit(window_->remaining);
    separator = "; ";
  }
  if (every_) {
    text << separator << "one in every " << every_->period << " requests: " << describe_failure(every_->failure)
         << describe_limit(every_->remaining);
    separator = "; ";
  }
  if (latency_.count() > 0) {
    text << separator << "latency " << latency_.count() << " ms";
    separator = "; ";
  }
  if (text.tellp() == 0) {
    return "no failures, no latency";
  }
  return text.str();
}

}  // namespace cc::mock_api
