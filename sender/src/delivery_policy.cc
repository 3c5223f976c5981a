#include "delivery_policy.h"

#include <charconv>
#include <ctime>

namespace hookline::sender {

std::optional<std::chrono::milliseconds> ParseRetryAfter(std::string_view v, int64_t now_unix_ms) {
  while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
  while (!v.empty() && v.back() == ' ') v.remove_suffix(1);
  if (v.empty()) return std::nullopt;
  int64_t secs = 0;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), secs);
  if (ec == std::errc() && p == v.data() + v.size()) {
    if (secs < 0) return std::nullopt;
    return std::chrono::milliseconds(std::min<int64_t>(secs, 365LL * 86400) * 1000);
  }
  // IMF-fixdate, e.g. "Wed, 21 Oct 2015 07:28:00 GMT".
  std::tm tm{};
  std::string text(v);
  const char* end = strptime(text.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  if (end == nullptr || *end != '\0') return std::nullopt;
  int64_t at_ms = static_cast<int64_t>(timegm(&tm)) * 1000;
  return std::chrono::milliseconds(std::max<int64_t>(0, at_ms - now_unix_ms));
}

Decision Decide(const AttemptResult& r, int attempts_made, const RetrySchedule& schedule,
                Random& random, std::chrono::milliseconds max_retry_after, int64_t now_unix_ms) {
  Decision d;
  if (r.status >= 200 && r.status < 300) {
    d.next = db::DeliveryStatus::kSucceeded;
    return d;
  }
  if (r.status == 410) {
    d.next = db::DeliveryStatus::kFailed;
    d.reason = "receiver answered 410 Gone";
    d.disable_endpoint_reason = "receiver answered 410 Gone: it asked not to be sent more";
    return d;
  }
  bool retryable = r.status == 0 || r.status == 408 || r.status == 429 || r.status >= 500;
  if (!retryable) {
    d.next = db::DeliveryStatus::kFailed;
    d.reason = "receiver answered " + std::to_string(r.status) + " (not retried)";
    return d;
  }
  auto delay = schedule.NextDelay(attempts_made, random);
  if (!delay) {
    d.next = db::DeliveryStatus::kFailed;
    d.reason = "attempts exhausted (" + std::to_string(attempts_made) +
               "); last: " + (r.status == 0 ? r.error : "HTTP " + std::to_string(r.status));
    return d;
  }
  d.delay = *delay;
  if ((r.status == 429 || r.status == 503) && !r.retry_after.empty()) {
    if (auto ra = ParseRetryAfter(r.retry_after, now_unix_ms)) {
      d.delay = std::max(d.delay, std::min(*ra, max_retry_after));
    }
  }
  d.next = db::DeliveryStatus::kPending;
  return d;
}

}  // namespace hookline::sender
