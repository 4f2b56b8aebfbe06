#include "delivery/backoff.h"

#include <algorithm>

namespace cc::delivery {

Backoff::Backoff(std::chrono::milliseconds initial, std::chrono::milliseconds maximum)
    : initial_(initial), maximum_(std::max(initial, maximum)), random_(std::random_device{}()) {}

std::chrono::milliseconds Backoff::ceiling(int attempts) const {
  std::chrono::milliseconds::rep wait = initial_.count();
  for (int i = 1; i < attempts && wait < maximum_.count(); ++i) {
    wait *= 2;
  }
  return std::chrono::milliseconds(std::min(wait, maximum_.count()));
}

std::chrono::milliseconds Backoff::next_delay(int attempts) {
  std::uniform_int_distribution<long long> pick(0, ceiling(attempts).count());
  return std::chrono::milliseconds(pick(random_));
}

}  // namespace cc::delivery
