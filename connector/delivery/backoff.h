#pragma once

#include <chrono>
#include <random>

namespace cc::delivery {

// Exponential backoff with full jitter: the wait before attempt n+1 is uniform in
// [0, min(maximum, initial * 2^(n-1))], so that many rows failing together do not retry together.
class Backoff {
 public:
  Backoff(std::chrono::milliseconds initial, std::chrono::milliseconds maximum);

  // The ceiling of the wait after `attempts` failed attempts (1 or more).
  std::chrono::milliseconds ceiling(int attempts) const;

  // A random wait in [0, ceiling(attempts)].
  std::chrono::milliseconds next_delay(int attempts);

 private:
  std::chrono::milliseconds initial_;
  std::chrono::milliseconds maximum_;
  std::mt19937_64 random_;
};

}  // namespace cc::delivery
