// The dispatcher: claims due deliveries, posts them signed, records outcomes.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "endpoint_gate.h"
#include "hookd_metrics.h"
#include "hookline/clock.h"
#include "hookline/db/outbox.h"
#include "hookline/periodic_task.h"
#include "hookline/random.h"
#include "hookline/retry_schedule.h"
#include "http_sender.h"

namespace hookline::sender {

struct DispatcherOptions {
  int workers = 8;
  int claim_batch = 100;
  RetrySchedule schedule = RetrySchedule::Default();
  std::chrono::milliseconds max_retry_after{3600 * 1000};
  // How long a claim is ours: longer than a claim can wait in the queue plus
  // its attempt, so live work is never claimed twice. Crash recovery does not
  // wait for it: a hookd releases abandoned claims at start-up.
  std::chrono::milliseconds lease{60000};
  // How often the watchdog looks for attempts past their timeout.
  std::chrono::milliseconds watchdog_period{100};
  GateOptions gates;  // per-endpoint concurrency, rate limit, circuit breaker
  // Counts attempts by outcome and their latencies when set. Not owned.
  HookdMetrics* metrics = nullptr;
  // The operations endpoint's id (see ops_notices.h); "" = no operational
  // webhooks. Its own deliveries raise no notices, so a failing operations
  // endpoint cannot feed itself.
  std::string ops_endpoint_id;
};

// Threads: one scheduler (claims), `workers` senders, one recorder (commits
// outcomes in batches so workers never wait for an fsync), one watchdog
// (cancels attempts past their total timeout).
//
// Per-endpoint limits (EndpointGates): a claim takes at most an endpoint's
// allowance; a worker takes the first queued claim whose endpoint admits it, so
// claims of an endpoint at its cap or rate wait in the queue without holding a
// worker; claims of an endpoint whose breaker is open go back to the store, due
// when it closes. None of this counts as an attempt.
//
// Thread-safe: Notify() may be called from any thread (the API calls it after
// each ingest). Start() and Stop() are called once each, from one thread.
class Dispatcher {
 public:
  Dispatcher(db::Outbox& outbox, HttpSender& http, const Clock& clock, Random& random,
             DispatcherOptions options);
  ~Dispatcher();  // Stop(0) if still running
  Dispatcher(const Dispatcher&) = delete;
  Dispatcher& operator=(const Dispatcher&) = delete;

  // Releases what a dead predecessor left inflight, then starts the threads.
  Status Start();
  // New work may be due now: wake the scheduler without waiting for its timer.
  void Notify();
  // Stops claiming; gives queued claims back; lets attempts in flight finish
  // for up to `grace`, then cancels them and gives their claims back; records
  // every outcome. Nothing is lost: what did not finish is pending again.
  void Stop(std::chrono::milliseconds grace);

  // How many claims may be queued or in flight at once. A claim may wait behind
  // MaxOutstanding / workers attempts, so the lease must cover that many timeouts.
  static size_t MaxOutstanding(const DispatcherOptions& options);

  // False once the scheduler has stopped (for /readyz).
  bool running() const { return running_.load(); }
  int64_t attempts_made() const { return attempts_made_.load(); }

  // For stall detection: when the last attempt started (Start() counts as
  // one), and since when claims have waited in the local queue for a free
  // worker (nullopt: the queue is empty). Unix ms.
  struct Progress {
    int64_t last_attempt_started_at = 0;
    std::optional<int64_t> queued_since;
    // No queued claim may go now, and what waits (queued claims, or due work
    // the last claim left) waits for endpoint limits (a rate limit, a cap):
    // by design, not because workers or the scheduler are stuck.
    bool held_by_limits = false;
    int64_t last_claim_at = 0;  // when the scheduler last claimed (Start() counts)
  };
  Progress progress();
  // Endpoints whose breaker is open or half-open (for /metrics). Thread-safe.
  std::vector<std::pair<std::string, CircuitState>> CircuitsNotClosed();

 private:
  struct QueuedClaim {
    db::ClaimedDelivery claim;
    int64_t queued_at = 0;
    bool counted_rate_wait = false;  // for the metric: one wait per claim
  };
  struct AttemptOutcome {
    db::Outcome outcome;
    bool success = false;
    std::string what;  // "HTTP 500", a network error
  };

  void SchedulerLoop();
  void WorkerLoop(size_t index);
  void RecorderLoop();
  AttemptOutcome Attempt(HttpSession& session, const db::ClaimedDelivery& c);
  // Under mu_: the endpoint's gate judges the attempt; fills the outcome's health
  // and its operational notices (ops_notices.h). True: worth a claim again.
  bool JudgeLocked(const db::ClaimedDelivery& c, AttemptOutcome& a);
  // Under mu_: claims queued past half their lease go back (due now) before it runs out.
  void ReleaseStaleLocked(int64_t now, std::vector<db::Release>& out);
  // Under mu_: queued claims that their endpoint would admit now.
  size_t ReadyLocked(int64_t now);
  // Whether outcomes of `c` raise operational notices.
  bool Notifies(const db::ClaimedDelivery& c) const {
    return !options_.ops_endpoint_id.empty() && c.endpoint_id != options_.ops_endpoint_id;
  }
  void PushOutcome(db::Outcome outcome);
  void PushReleases(std::vector<db::Release> releases);

  db::Outbox& outbox_;
  HttpSender& http_;
  const Clock& clock_;
  Random& random_;
  const DispatcherOptions options_;
  const size_t refill_at_;  // claim again when queued + in flight falls to this

  std::mutex mu_;
  std::condition_variable scheduler_cv_;  // new work, free capacity, or stop
  std::condition_variable worker_cv_;     // queued claims or stop
  std::deque<QueuedClaim> queue_;         // guarded by mu_
  EndpointGates gates_;                   // guarded by mu_
  int busy_workers_ = 0;                  // guarded by mu_
  bool notified_ = false;                 // guarded by mu_: Notify() since the last claim
  bool held_by_limits_ = false;           // guarded by mu_: the last claim's verdict
  int64_t last_claim_at_ = 0;             // guarded by mu_
  bool refilled_ = false;                 // guarded by mu_: an attempt freed claimable room
  bool stopping_ = false;                 // guarded by mu_
  bool abandon_ = false;                  // guarded by mu_: grace over, give claims back
  int64_t queued_since_ = 0;              // guarded by mu_: when queue_ last became non-empty
  int64_t last_attempt_started_at_ = 0;   // guarded by mu_
  std::vector<std::unique_ptr<HttpSession>> sessions_;  // one per worker; Cancel() is thread-safe

  std::mutex outcomes_mu_;
  std::condition_variable outcomes_cv_;
  std::vector<db::Outcome> outcomes_;  // guarded by outcomes_mu_
  std::vector<db::Release> released_;  // guarded by outcomes_mu_
  bool recorder_stopping_ = false;     // guarded by outcomes_mu_

  std::atomic<bool> running_{false};
  std::atomic<int64_t> attempts_made_{0};
  std::thread scheduler_;
  std::thread recorder_;
  std::unique_ptr<PeriodicTask> watchdog_;  // cancels attempts past their timeout
  std::vector<std::thread> workers_;
};

}  // namespace hookline::sender
