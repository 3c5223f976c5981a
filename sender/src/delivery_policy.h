// What one attempt's result means for its delivery: done, retry when, or fail.
// Pure functions, so every rule is unit-tested without a network.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "hookline/db/outbox.h"
#include "hookline/random.h"
#include "hookline/retry_schedule.h"

namespace hookline::sender {

// What came back from one POST.
struct AttemptResult {
  int status = 0;           // 0: no HTTP response
  std::string error;        // network error / timeout description when status == 0
  std::string retry_after;  // the Retry-After header, if any
  std::string excerpt;      // the start of the response body
};

struct Decision {
  db::DeliveryStatus next = db::DeliveryStatus::kPending;
  std::chrono::milliseconds delay{0};   // for kPending: wait this long
  std::string reason;                   // why it failed, for the record
  std::string disable_endpoint_reason;  // non-empty: disable the endpoint
};

// 2xx succeeded. No response, 408, 429, 5xx: retry after the schedule's next
// (jittered) delay, or at least Retry-After on 429/503 capped at
// `max_retry_after`; failed once the schedule is exhausted. 410: failed and the
// endpoint disabled. Anything else (other 4xx, 1xx, 3xx: redirects are not
// followed): failed at once, since retrying will not fix it.
// `attempts_made` counts this attempt.
Decision Decide(const AttemptResult& result, int attempts_made, const RetrySchedule& schedule,
                Random& random, std::chrono::milliseconds max_retry_after, int64_t now_unix_ms);

// Retry-After as delay-seconds or an HTTP-date; nullopt if malformed.
std::optional<std::chrono::milliseconds> ParseRetryAfter(std::string_view value,
                                                         int64_t now_unix_ms);

}  // namespace hookline::sender
