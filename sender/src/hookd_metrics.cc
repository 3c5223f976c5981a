#include "hookd_metrics.h"

#include <algorithm>
#include <array>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

namespace hookline::sender {
namespace {

using metrics::FamilyOptions;

constexpr std::array<AttemptOutcome, 5> kOutcomes = {
    AttemptOutcome::kSuccess, AttemptOutcome::kRetryableStatus, AttemptOutcome::kNonRetryableStatus,
    AttemptOutcome::kNetworkError, AttemptOutcome::kTimeout};

// One loopback attempt takes ~0.2 ms; a slow receiver up to --timeout (15 s).
const std::vector<double> kAttemptBuckets = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                             0.25,   0.5,   1,      2.5,   5,    10,    15,   30};
// From milliseconds (first try succeeds) to the ~28 h of the default schedule.
const std::vector<double> kDeliveryBuckets = {
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,  0.25,  0.5,   1,     2.5,   5,
    10,    30,     60,    300,  1800,  3600, 7200, 18000, 36000, 86400, 172800};

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

}  // namespace

std::string_view AttemptOutcomeName(AttemptOutcome o) {
  switch (o) {
    case AttemptOutcome::kSuccess:
      return "success";
    case AttemptOutcome::kRetryableStatus:
      return "retryable_status";
    case AttemptOutcome::kNonRetryableStatus:
      return "non_retryable_status";
    case AttemptOutcome::kNetworkError:
      return "network_error";
    case AttemptOutcome::kTimeout:
      return "timeout";
  }
  return "network_error";
}

AttemptOutcome ClassifyAttempt(const AttemptResult& r) {
  if (r.status >= 200 && r.status < 300) return AttemptOutcome::kSuccess;
  if (r.status > 0) {
    bool retryable = r.status == 408 || r.status == 429 || r.status >= 500;
    return retryable ? AttemptOutcome::kRetryableStatus : AttemptOutcome::kNonRetryableStatus;
  }
  // HttpSession's texts: "timeout after N ms", "timeout: no complete answer ...",
  // "connect timeout".
  if (StartsWith(r.error, "timeout") || StartsWith(r.error, "connect timeout")) {
    return AttemptOutcome::kTimeout;
  }
  return AttemptOutcome::kNetworkError;
}

std::string_view RoutePattern(std::string_view path) {
  // Split into at most four segments; more means no route of ours.
  std::string_view seg[4];
  size_t n = 0;
  if (path.empty() || path.front() != '/') return "other";
  std::string_view rest = path.substr(1);
  while (!rest.empty()) {
    if (n == 4) return "other";
    size_t slash = rest.find('/');
    seg[n++] = rest.substr(0, slash);
    rest = slash == std::string_view::npos ? std::string_view() : rest.substr(slash + 1);
  }
  if (n == 1) {
    if (seg[0] == "healthz") return "/healthz";
    if (seg[0] == "readyz") return "/readyz";
    if (seg[0] == "metrics") return "/metrics";
    return "other";
  }
  if (n < 2 || seg[0] != "v1") return "other";
  for (size_t i = 1; i < n; ++i) {
    if (seg[i].empty()) return "other";
  }
  const std::string_view res = seg[1];
  if (n == 2) {
    if (res == "endpoints") return "/v1/endpoints";
    if (res == "events") return "/v1/events";
    if (res == "deliveries") return "/v1/deliveries";
    if (res == "stats") return "/v1/stats";
    if (res == "openapi.json") return "/v1/openapi.json";
    return "other";
  }
  if (res == "endpoints") {
    if (n == 3) return "/v1/endpoints/{id}";
    if (seg[3] == "secret") return "/v1/endpoints/{id}/secret";
    if (seg[3] == "rotate-secret") return "/v1/endpoints/{id}/rotate-secret";
    if (seg[3] == "disable") return "/v1/endpoints/{id}/disable";
    if (seg[3] == "enable") return "/v1/endpoints/{id}/enable";
    return "other";
  }
  if (res == "events") return n == 3 ? "/v1/events/{id}" : "other";
  if (res == "deliveries") {
    if (n == 3) return seg[2] == "retry" ? "/v1/deliveries/retry" : "/v1/deliveries/{id}";
    if (seg[3] == "retry") return "/v1/deliveries/{id}/retry";
  }
  return "other";
}

std::string_view MethodLabel(std::string_view m) {
  for (std::string_view known : {"GET", "POST", "PATCH", "DELETE", "PUT", "HEAD", "OPTIONS"}) {
    if (m == known) return known;
  }
  return "other";
}

HookdMetrics::HookdMetrics()
    : events_ingested_(registry_.AddCounter(
          "hookline_events_ingested_total",
          "Events stored by POST /v1/events (idempotent replays not counted).")),
      attempts_(registry_.AddCounterFamily(
          "hookline_delivery_attempts_total",
          "Delivery attempts by outcome: success (2xx), retryable_status (408, 429, 5xx), "
          "non_retryable_status (other statuses), network_error, timeout.",
          {"outcome"})),
      attempts_by_outcome_{},
      attempt_seconds_(registry_.AddHistogram(
          "hookline_attempt_duration_seconds",
          "Duration of one delivery attempt: signing, connecting, sending and reading the answer.",
          kAttemptBuckets)),
      delivery_latency_seconds_(registry_.AddHistogram(
          "hookline_delivery_latency_seconds",
          "End-to-end latency of successful deliveries: from the event's creation to the end of "
          "the attempt that succeeded (includes retries).",
          kDeliveryBuckets)),
      http_requests_(
          registry_.AddCounterFamily("hookline_http_requests_total",
                                     "HTTP API requests by route pattern, method and status code.",
                                     {"route", "method", "status"},
                                     // Routes x methods x statuses in practice stay far below this;
                                     // the cap only guards against a bug feeding raw paths.
                                     FamilyOptions{500})),
      rate_limited_waits_(registry_.AddCounterFamily(
          "hookline_endpoint_rate_limited_waits_total",
          "Claims that waited for their endpoint's rate limit (without spending an attempt); "
          "100 endpoints at most, the rest as endpoint=\"other\".",
          {"endpoint"})) {
  // Created up front so that every outcome is exported (as 0) from the start:
  // rate() over a series that appears late misses its first increments.
  for (AttemptOutcome o : kOutcomes) {
    attempts_by_outcome_[static_cast<size_t>(o)] = &attempts_.WithLabels({AttemptOutcomeName(o)});
  }
}

void HookdMetrics::AddOutboxGauges(db::Outbox& outbox, const Clock& clock) {
  // One query per scrape serves both families; the first callback caches it
  // for the second (Render() calls them in order, on one thread at a time per
  // scrape, but scrapes may overlap: the cache is per call, guarded).
  struct Shared {
    std::mutex mu;
    std::optional<db::Counts> counts;  // guarded by mu
  };
  auto shared = std::make_shared<Shared>();
  registry_.AddCallback("hookline_deliveries",
                        "Deliveries in the outbox by status, read at scrape time.",
                        metrics::MetricType::kGauge, {"status"},
                        [&outbox, shared](std::vector<metrics::Sample>& out) {
                          auto c = outbox.CountDeliveries();
                          {
                            std::lock_guard lock(shared->mu);
                            shared->counts = c.ok() ? std::optional<db::Counts>(*c) : std::nullopt;
                          }
                          if (!c.ok()) return;  // no samples: absent beats a wrong zero
                          out.push_back({{"pending"}, static_cast<double>(c->pending)});
                          out.push_back({{"inflight"}, static_cast<double>(c->inflight)});
                          out.push_back({{"succeeded"}, static_cast<double>(c->succeeded)});
                          out.push_back({{"failed"}, static_cast<double>(c->failed)});
                          out.push_back({{"paused"}, static_cast<double>(c->paused)});
                        });
  registry_.AddCallback(
      "hookline_oldest_due_delivery_age_seconds",
      "Seconds since the earliest pending delivery fell due (0 when none is due).",
      metrics::MetricType::kGauge, {}, [&clock, shared](std::vector<metrics::Sample>& out) {
        std::optional<db::Counts> c;
        {
          std::lock_guard lock(shared->mu);
          c = shared->counts;
        }
        if (!c) return;
        double age = 0;
        if (c->oldest_due_at) {
          age =
              std::max<double>(0, static_cast<double>(clock.NowUnixMillis() - *c->oldest_due_at)) /
              1000.0;
        }
        out.push_back({{}, age});
      });
  registry_.AddCallback(
      "hookline_db_write_wait_seconds",
      "How long the oldest database write not yet committed has waited (0: none waiting). "
      "Growing means the database has stopped committing.",
      metrics::MetricType::kGauge, {}, [&outbox](std::vector<metrics::Sample>& out) {
        out.push_back({{}, static_cast<double>(outbox.Stats().write_wait.count()) / 1000.0});
      });
}

void HookdMetrics::RecordAttempt(const AttemptResult& result,
                                 std::chrono::steady_clock::duration took,
                                 std::chrono::milliseconds since_event_created) {
  AttemptOutcome o = ClassifyAttempt(result);
  attempts_by_outcome_[static_cast<size_t>(o)]->Inc();
  attempt_seconds_.Observe(std::chrono::duration<double>(took).count());
  if (o == AttemptOutcome::kSuccess && since_event_created.count() >= 0) {
    delivery_latency_seconds_.Observe(static_cast<double>(since_event_created.count()) / 1000.0);
  }
}

void HookdMetrics::RecordRequest(std::string_view method, std::string_view path, int status) {
  http_requests_
      .WithLabels({RoutePattern(path), MethodLabel(method),
                   std::to_string(status < 100 || status > 599 ? 0 : status)})
      .Inc();
}

}  // namespace hookline::sender
