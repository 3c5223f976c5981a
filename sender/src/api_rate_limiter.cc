#include "api_rate_limiter.h"

#include <algorithm>
#include <cmath>

namespace hookline::sender {

ApiRateLimiter::ApiRateLimiter(const Clock& clock, RateLimitOptions options)
    : clock_(clock), options_(options), overflow_(std::make_shared<Bucket>()) {
  overflow_->tokens = options_.burst;
  overflow_->updated_ns = NowNs();
}

int64_t ApiRateLimiter::NowNs() const {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(clock_.Now().time_since_epoch())
      .count();
}

void ApiRateLimiter::Refill(Bucket& b, int64_t now_ns) const {
  if (now_ns <= b.updated_ns) return;  // no time passed, or the wall clock stepped back
  double elapsed_s = static_cast<double>(now_ns - b.updated_ns) / 1e9;
  b.tokens = std::min(options_.burst, b.tokens + elapsed_s * options_.rate_per_s);
  b.updated_ns = now_ns;
}

std::shared_ptr<ApiRateLimiter::Bucket> ApiRateLimiter::Find(const std::string& key) {
  {
    std::shared_lock lock(mu_);
    auto it = buckets_.find(key);
    if (it != buckets_.end()) return it->second;
  }
  std::unique_lock lock(mu_);
  auto it = buckets_.find(key);
  if (it != buckets_.end()) return it->second;
  int64_t now = NowNs();
  // A sweep walks every bucket under the exclusive lock: at most one a second,
  // so a flood of new keys costs a table lookup each, not a sweep each.
  if (buckets_.size() >= options_.max_keys && now - last_sweep_ns_ >= 1'000'000'000) {
    last_sweep_ns_ = now;
    for (auto i = buckets_.begin(); i != buckets_.end();) {
      bool full;
      {
        // Released before the erase: erasing may free the bucket and its mutex.
        std::lock_guard bucket_lock(i->second->mu);
        Refill(*i->second, now);
        full = i->second->tokens >= options_.burst;
      }
      i = full ? buckets_.erase(i) : std::next(i);
    }
  }
  if (buckets_.size() >= options_.max_keys) return overflow_;
  auto bucket = std::make_shared<Bucket>();
  bucket->tokens = options_.burst;
  bucket->updated_ns = now;
  buckets_.emplace(key, bucket);
  return bucket;
}

RateDecision ApiRateLimiter::Use(Bucket& b, bool take) {
  RateDecision d;
  d.limit = static_cast<int64_t>(options_.burst);
  std::lock_guard lock(b.mu);
  Refill(b, NowNs());
  if (take) {
    if (b.tokens >= 1) {
      b.tokens -= 1;
    } else {
      d.allowed = false;
      double wait_s = (1 - b.tokens) / options_.rate_per_s;
      d.retry_after_s = std::max<int64_t>(1, static_cast<int64_t>(std::ceil(wait_s)));
    }
  }
  d.remaining = static_cast<int64_t>(std::floor(b.tokens));
  d.reset_seconds =
      static_cast<int64_t>(std::ceil((options_.burst - b.tokens) / options_.rate_per_s));
  return d;
}

RateDecision ApiRateLimiter::Take(const std::string& key) {
  if (!enabled()) return RateDecision{};
  return Use(*Find(key), true);
}

RateDecision ApiRateLimiter::Peek(const std::string& key) {
  if (!enabled()) return RateDecision{};
  {
    std::shared_lock lock(mu_);
    auto it = buckets_.find(key);
    if (it != buckets_.end()) return Use(*it->second, false);
  }
  // An unknown key is a full bucket; do not create one for a peek.
  RateDecision d;
  d.limit = d.remaining = static_cast<int64_t>(options_.burst);
  return d;
}

size_t ApiRateLimiter::keys() const {
  std::shared_lock lock(mu_);
  return buckets_.size();
}

}  // namespace hookline::sender
