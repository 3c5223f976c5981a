// hookd's Prometheus metrics: what is counted where, in one place.
#pragma once

#include <chrono>
#include <cstdint>
#include <string_view>

#include "delivery_policy.h"
#include "hookline/clock.h"
#include "hookline/db/outbox.h"
#include "hookline/metrics.h"

namespace hookline::sender {

// How one attempt ended, as hookline_delivery_attempts_total{outcome} names it.
enum class AttemptOutcome {
  kSuccess,             // 2xx
  kRetryableStatus,     // 408, 429, 5xx (retried while the schedule lasts)
  kNonRetryableStatus,  // any other status (failed at once; 410 disables the endpoint)
  kNetworkError,        // no HTTP response: refused, reset, TLS, bad URL
  kTimeout,             // no (complete) answer within --timeout or --connect-timeout
};
std::string_view AttemptOutcomeName(AttemptOutcome o);
// The same split as Decide() in delivery_policy.h; timeouts are told from
// other network errors by the error text HttpSession gives them.
AttemptOutcome ClassifyAttempt(const AttemptResult& result);

// The bounded route label for a request: the route's pattern with ids replaced
// by {id} (e.g. "/v1/endpoints/{id}/rotate-secret"), or "other" for any path
// that is not one of the API's routes, so that random paths cannot grow the
// number of series.
std::string_view RoutePattern(std::string_view path);
// GET, POST, ... as is; anything unusual "other".
std::string_view MethodLabel(std::string_view method);

// Owns the registry hookd renders at GET /metrics and the handles its hot
// paths update. Thread-safe (see hookline/metrics.h): every Record* method is a
// few relaxed atomic operations, plus a reader lock for RecordRequest's series.
class HookdMetrics {
 public:
  HookdMetrics();
  HookdMetrics(const HookdMetrics&) = delete;
  HookdMetrics& operator=(const HookdMetrics&) = delete;

  // The registry, e.g. for SqliteOutboxOptions::metrics, or for the lead's
  // per-endpoint families (cap them with FamilyOptions; see metrics.h).
  metrics::Registry& registry() { return registry_; }

  // Adds the scrape-time gauges read from `outbox` (queue depth by status, age
  // of the oldest due delivery). `outbox` must outlive this object; `clock`
  // too. Call once, before the first Render().
  void AddOutboxGauges(db::Outbox& outbox, const Clock& clock);

  void RecordIngested() { events_ingested_.Inc(); }
  // One finished attempt: its outcome, its duration, and for a success the
  // time since the event was created (end-to-end latency; < 0: unknown).
  void RecordAttempt(const AttemptResult& result, std::chrono::steady_clock::duration took,
                     std::chrono::milliseconds since_event_created);
  void RecordRequest(std::string_view method, std::string_view path, int status);
  // A claim waited for its endpoint's rate limit (counted once per claim).
  // At most 100 endpoints get their own series; the rest count as "other".
  void RecordRateLimitedWait(std::string_view endpoint) {
    rate_limited_waits_.WithLabels({std::string(endpoint)}).Inc();
  }

  std::string Render() const { return registry_.Render(); }

 private:
  metrics::Registry registry_;
  metrics::Counter& events_ingested_;
  metrics::Family<metrics::Counter>& attempts_;
  metrics::Counter* attempts_by_outcome_[5];
  metrics::Histogram& attempt_seconds_;
  metrics::Histogram& delivery_latency_seconds_;
  metrics::Family<metrics::Counter>& http_requests_;
  metrics::Family<metrics::Counter>& rate_limited_waits_;
};

}  // namespace hookline::sender
