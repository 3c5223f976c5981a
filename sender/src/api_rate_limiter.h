// Token buckets for the API, one per client key (the bearer token presented,
// or the remote address of a request without a valid one).
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <unordered_map>

#include "hookline/clock.h"

namespace hookline::sender {

struct RateLimitOptions {
  double rate_per_s = 10000;  // refill; 0 turns limiting off
  double burst = 20000;       // bucket capacity: requests allowed at once
  size_t max_keys = 10000;    // buckets kept; see ApiRateLimiter
};

// What a request was allowed, in the terms of the X-RateLimit-* headers.
struct RateDecision {
  bool allowed = true;
  int64_t limit = 0;          // X-RateLimit-Limit: the burst
  int64_t remaining = 0;      // X-RateLimit-Remaining: whole requests left now
  int64_t reset_seconds = 0;  // X-RateLimit-Reset: seconds until the bucket is full again
  int64_t retry_after_s = 0;  // Retry-After when refused: seconds until one request fits (>= 1)
};

// Thread-safe. Each bucket has its own mutex; the table of buckets is behind a
// shared mutex taken exclusively only to add a key. At most `max_keys` buckets
// are kept: when the table is full, buckets that have refilled completely are
// dropped (a new bucket for them would be identical); if none has, new keys
// share one overflow bucket, so a flood of addresses cannot grow memory or
// reset anyone's bucket.
class ApiRateLimiter {
 public:
  // `clock` must outlive the limiter. Wall-clock steps backwards refill nothing.
  ApiRateLimiter(const Clock& clock, RateLimitOptions options);
  ApiRateLimiter(const ApiRateLimiter&) = delete;
  ApiRateLimiter& operator=(const ApiRateLimiter&) = delete;

  bool enabled() const { return options_.rate_per_s > 0; }
  // Takes one request from `key`'s bucket if it holds one.
  RateDecision Take(const std::string& key);
  // The bucket's state without taking anything (for answers hookd gives
  // before a request is routed, e.g. a malformed request line).
  RateDecision Peek(const std::string& key);
  size_t keys() const;

 private:
  struct Bucket {
    std::mutex mu;
    double tokens = 0;       // guarded by mu
    int64_t updated_ns = 0;  // guarded by mu
  };
  std::shared_ptr<Bucket> Find(const std::string& key);
  RateDecision Use(Bucket& b, bool take);
  void Refill(Bucket& b, int64_t now_ns) const;  // b.mu held
  int64_t NowNs() const;

  const Clock& clock_;
  const RateLimitOptions options_;
  mutable std::shared_mutex mu_;
  std::unordered_map<std::string, std::shared_ptr<Bucket>> buckets_;  // guarded by mu_
  int64_t last_sweep_ns_ = 0;                                         // guarded by mu_
  std::shared_ptr<Bucket> overflow_;                                  // set once
};

}  // namespace hookline::sender
