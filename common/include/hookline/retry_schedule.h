// The redelivery schedule: a list of delays with multiplicative jitter.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "hookline/random.h"
#include "hookline/status.h"

namespace hookline {

constexpr std::chrono::milliseconds kMaxRetryDuration{30LL * 24 * 3600 * 1000};

// Parses "250ms", "5s", "5m", "2h", "1d" (a non-negative integer and a unit).
// InvalidArgument on anything else, including durations past `max` (30 days
// suits delays; retention periods pass a larger one).
Result<std::chrono::milliseconds> ParseDuration(std::string_view text,
                                                std::chrono::milliseconds max = kMaxRetryDuration);
// The inverse for display: the largest unit that divides exactly ("5m", "1500ms").
std::string FormatDuration(std::chrono::milliseconds d);

// Immutable after Parse(); thread-safe for concurrent use.
class RetrySchedule {
 public:
  static constexpr size_t kMaxSteps = 100;

  // `spec` is a comma-separated list of durations, e.g. "5s,5m,30m,2h" or
  // "100ms,200ms"; spaces around entries are ignored. `jitter` j in [0, 1)
  // scales each delay by a factor drawn uniformly from [1-j, 1+j], so that
  // deliveries that failed together do not come back together.
  static Result<RetrySchedule> Parse(std::string_view spec, double jitter = 0.2);

  // The default: 5s,5m,30m,2h,5h,10h,10h (eight attempts over about 28 hours).
  static RetrySchedule Default();

  // The delay before the next attempt after `attempts_made` (>= 1) attempts
  // failed, jittered with `random`; nullopt when the attempts are exhausted.
  std::optional<std::chrono::milliseconds> NextDelay(int attempts_made, Random& random) const;

  // The first attempt plus one per delay.
  int max_attempts() const { return static_cast<int>(delays_.size()) + 1; }
  const std::vector<std::chrono::milliseconds>& delays() const { return delays_; }
  double jitter() const { return jitter_; }
  // "5s,5m,..." (without the jitter).
  std::string ToString() const;

 private:
  RetrySchedule(std::vector<std::chrono::milliseconds> delays, double jitter)
      : delays_(std::move(delays)), jitter_(jitter) {}
  std::vector<std::chrono::milliseconds> delays_;
  double jitter_;
};

}  // namespace hookline
