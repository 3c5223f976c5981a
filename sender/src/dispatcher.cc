#include "dispatcher.h"

#include <spdlog/spdlog.h>

#include "hookline/signing.h"

namespace hookline::sender {
namespace {

using std::chrono::milliseconds;

// When the store fails (disk full, locked), back off instead of spinning.
constexpr milliseconds kErrorBackoff{500};
// An upper bound on any sleep: a safety net, not the hot path (new work wakes
// the scheduler through Notify(), and due times are waited for exactly).
constexpr milliseconds kMaxIdleWait{5000};

}  // namespace

Dispatcher::Dispatcher(db::Outbox& outbox, HttpSender& http, const Clock& clock, Random& random,
                       DispatcherOptions options)
    : outbox_(outbox),
      http_(http),
      clock_(clock),
      random_(random),
      options_(std::move(options)),
      refill_at_(MaxOutstanding(options_) / 2) {}

Dispatcher::~Dispatcher() {
  if (scheduler_.joinable()) Stop(milliseconds(0));
}

Status Dispatcher::Start() {
  auto released = outbox_.ReleaseAllInflight(clock_.NowUnixMillis());
  if (!released.ok()) return released.status();
  if (*released > 0) {
    spdlog::warn("released {} deliveries left inflight by a previous run; they are due now",
                 *released);
  }
  running_ = true;
  {
    std::lock_guard lock(mu_);
    last_attempt_started_at_ = clock_.NowUnixMillis();
  }
  for (int i = 0; i < options_.workers; ++i) sessions_.push_back(http_.NewSession());
  recorder_ = std::thread([this] { RecorderLoop(); });
  for (size_t i = 0; i < sessions_.size(); ++i) workers_.emplace_back([this, i] { WorkerLoop(i); });
  scheduler_ = std::thread([this] { SchedulerLoop(); });
  // Sessions are fixed once started, and their Cancel methods are thread-safe.
  watchdog_ = std::make_unique<PeriodicTask>(options_.watchdog_period, [this] {
    for (auto& s : sessions_) s->CancelIfOverdue();
  });
  return Status::Ok();
}

void Dispatcher::Notify() {
  {
    std::lock_guard lock(mu_);
    notified_ = true;
  }
  scheduler_cv_.notify_one();
}

size_t Dispatcher::MaxOutstanding(const DispatcherOptions& o) {
  return std::max(static_cast<size_t>(o.workers) * 2, static_cast<size_t>(o.claim_batch));
}

void Dispatcher::SchedulerLoop() {
  // Claims are taken in batches (one claim costs about as much as completing
  // one delivery) and topped up when the local queue falls to half, so the
  // workers never run dry while the claim is in flight. The lease (see
  // MaxOutstanding) is long enough for the last claim in the queue.
  const size_t max_outstanding = MaxOutstanding(options_);
  std::unique_lock lock(mu_);
  while (!stopping_) {
    size_t outstanding = queue_.size() + static_cast<size_t>(busy_workers_);
    if (outstanding > refill_at_) {
      scheduler_cv_.wait(lock);
      continue;
    }
    notified_ = false;
    int want = static_cast<int>(
        std::min<size_t>(max_outstanding - outstanding, static_cast<size_t>(options_.claim_batch)));
    lock.unlock();
    int64_t now = clock_.NowUnixMillis();
    auto claimed = outbox_.ClaimDue(now, want, now + options_.lease.count());
    std::optional<int64_t> next_due;
    bool failed = !claimed.ok();
    if (failed) {
      spdlog::error("cannot claim deliveries: {}; retrying in {} ms", claimed.status().ToString(),
                    kErrorBackoff.count());
    } else if (static_cast<int>(claimed->size()) < want) {
      auto next = outbox_.NextDueAt();
      if (next.ok()) next_due = *next;
    }
    lock.lock();
    if (!failed) {
      if (queue_.empty() && !claimed->empty()) queued_since_ = clock_.NowUnixMillis();
      for (auto& c : *claimed) queue_.push_back(std::move(c));
      if (!claimed->empty()) worker_cv_.notify_all();
      if (static_cast<int>(claimed->size()) == want) continue;  // there may be more due now
    }
    if (stopping_ || notified_) continue;
    milliseconds wait = kMaxIdleWait;
    if (failed) {
      wait = kErrorBackoff;
    } else if (next_due) {
      // At least 1 ms: something that fell due between the claim and this read.
      wait = std::clamp(milliseconds(*next_due - clock_.NowUnixMillis()), milliseconds(1),
                        kMaxIdleWait);
    }
    scheduler_cv_.wait_for(lock, wait, [&] { return stopping_ || notified_; });
  }
  running_ = false;
}

void Dispatcher::WorkerLoop(size_t index) {
  HttpSession& session = *sessions_[index];
  std::unique_lock lock(mu_);
  for (;;) {
    worker_cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
    if (stopping_) return;  // queued claims are given back by Stop()
    db::ClaimedDelivery c = std::move(queue_.front());
    queue_.pop_front();
    ++busy_workers_;
    last_attempt_started_at_ = clock_.NowUnixMillis();
    lock.unlock();
    db::Outcome outcome = Attempt(session, c);
    lock.lock();
    --busy_workers_;
    bool give_back = abandon_;
    // Wake the scheduler only when it has something to do: the queue fell to the
    // refill mark, or (for Stop) the last attempt ended.
    bool wake =
        queue_.size() + static_cast<size_t>(busy_workers_) == refill_at_ || busy_workers_ == 0;
    lock.unlock();
    if (give_back) {
      std::lock_guard olock(outcomes_mu_);
      released_.push_back(c.delivery_id);
    } else {
      PushOutcome(std::move(outcome));
    }
    if (wake) scheduler_cv_.notify_one();
    lock.lock();
  }
}

db::Outcome Dispatcher::Attempt(HttpSession& session, const db::ClaimedDelivery& c) {
  db::Outcome o;
  o.delivery_id = c.delivery_id;
  o.endpoint_id = c.endpoint_id;
  int64_t started = clock_.NowUnixMillis();
  auto started_steady = std::chrono::steady_clock::now();
  o.attempt.attempted_at = started;
  int attempts_made = c.attempts_made + 1;
  AttemptResult result;
  auto url = ParseUrl(c.url);
  if (!url.ok()) {
    result.error = "endpoint url is invalid: " + url.status().message();
  } else {
    // Signed afresh for every attempt: a new timestamp over the same id and bytes.
    int64_t ts = started / 1000;
    std::string signatures;
    for (const std::string& text : c.secrets) {
      auto secret = Secret::Parse(text);
      if (!secret.ok()) continue;
      if (!signatures.empty()) signatures += ' ';
      signatures += Sign(*secret, c.event_id, ts, c.body);
    }
    HeaderList headers = {{"content-type", "application/json"},
                          {"user-agent", "hookline/0.1"},
                          {"webhook-id", c.event_id},
                          {"webhook-timestamp", std::to_string(ts)},
                          {"webhook-signature", signatures}};
    result = session.Post(*url, headers, c.body);
  }
  int64_t finished = clock_.NowUnixMillis();
  ++attempts_made_;
  if (options_.metrics) {
    options_.metrics->RecordAttempt(result, std::chrono::steady_clock::now() - started_steady,
                                    milliseconds(finished - c.event_created_at));
  }
  o.attempt.latency_ms = finished - started;
  if (result.status > 0) o.attempt.status_code = result.status;
  o.attempt.response_excerpt = result.excerpt;
  Decision d =
      Decide(result, attempts_made, options_.schedule, random_, options_.max_retry_after, finished);
  o.next_status = d.next;
  o.next_attempt_at = finished + d.delay.count();
  o.disable_endpoint_reason = d.disable_endpoint_reason;
  // A final failure records why it is final; otherwise the network error, if any.
  o.attempt.error = d.next == db::DeliveryStatus::kFailed ? d.reason : result.error;
  std::string what = result.status > 0 ? "HTTP " + std::to_string(result.status) : result.error;
  if (d.next == db::DeliveryStatus::kSucceeded) {
    spdlog::info("delivered event={} endpoint={} delivery={} attempt={} status={} latency_ms={}",
                 c.event_id, c.endpoint_id, c.delivery_id, attempts_made, result.status,
                 o.attempt.latency_ms);
  } else if (d.next == db::DeliveryStatus::kPending) {
    spdlog::info(
        "retrying event={} endpoint={} delivery={} attempt={} status={} latency_ms={} "
        "result=\"{}\" in_ms={}",
        c.event_id, c.endpoint_id, c.delivery_id, attempts_made, result.status,
        o.attempt.latency_ms, what, d.delay.count());
  } else {
    spdlog::warn(
        "failed event={} endpoint={} delivery={} attempt={} status={} latency_ms={} "
        "result=\"{}\" reason=\"{}\"",
        c.event_id, c.endpoint_id, c.delivery_id, attempts_made, result.status,
        o.attempt.latency_ms, what, d.reason);
  }
  if (!d.disable_endpoint_reason.empty()) {
    spdlog::warn("disabling endpoint={}: {}", c.endpoint_id, d.disable_endpoint_reason);
  }
  return o;
}

Dispatcher::Progress Dispatcher::progress() {
  std::lock_guard lock(mu_);
  Progress p;
  p.last_attempt_started_at = last_attempt_started_at_;
  if (!queue_.empty()) p.queued_since = queued_since_;
  return p;
}

void Dispatcher::PushOutcome(db::Outcome outcome) {
  {
    std::lock_guard lock(outcomes_mu_);
    outcomes_.push_back(std::move(outcome));
  }
  outcomes_cv_.notify_one();
}

void Dispatcher::RecorderLoop() {
  std::unique_lock lock(outcomes_mu_);
  for (;;) {
    outcomes_cv_.wait(
        lock, [&] { return recorder_stopping_ || !outcomes_.empty() || !released_.empty(); });
    if (outcomes_.empty() && released_.empty()) return;  // stopping and drained
    std::vector<db::Outcome> batch;
    std::vector<std::string> release;
    batch.swap(outcomes_);
    release.swap(released_);
    lock.unlock();
    Status s = outbox_.RecordOutcomes(batch);
    if (s.ok()) s = outbox_.ReleaseClaims(release, clock_.NowUnixMillis());
    bool retry_soon = false;
    for (const auto& o : batch) retry_soon |= o.next_status == db::DeliveryStatus::kPending;
    lock.lock();
    if (!s.ok()) {
      // Keep them: an outcome is never dropped. Until recorded, the lease covers them.
      spdlog::error("cannot record {} outcomes: {}; retrying", batch.size(), s.ToString());
      outcomes_.insert(outcomes_.begin(), batch.begin(), batch.end());
      released_.insert(released_.begin(), release.begin(), release.end());
      if (recorder_stopping_) {
        spdlog::error(
            "giving up on {} outcomes at shutdown; their leases will expire and they "
            "will be attempted again",
            outcomes_.size());
        return;
      }
      outcomes_cv_.wait_for(lock, kErrorBackoff, [&] { return recorder_stopping_; });
      continue;
    }
    if (retry_soon) {
      // A retry may be due before the scheduler's current timer.
      lock.unlock();
      Notify();
      lock.lock();
    }
  }
}

void Dispatcher::Stop(milliseconds grace) {
  std::vector<std::string> unstarted;
  {
    std::lock_guard lock(mu_);
    if (stopping_ && !scheduler_.joinable()) return;
    stopping_ = true;
    for (auto& c : queue_) unstarted.push_back(c.delivery_id);
    queue_.clear();
  }
  scheduler_cv_.notify_all();
  worker_cv_.notify_all();
  if (scheduler_.joinable()) scheduler_.join();
  if (watchdog_) watchdog_->Stop();
  {
    std::lock_guard olock(outcomes_mu_);
    released_.insert(released_.end(), unstarted.begin(), unstarted.end());
  }
  outcomes_cv_.notify_one();
  // Attempts in flight get the grace period to finish.
  auto deadline = std::chrono::steady_clock::now() + grace;
  {
    std::unique_lock lock(mu_);
    scheduler_cv_.wait_until(lock, deadline, [&] { return busy_workers_ == 0; });
    if (busy_workers_ > 0) {
      spdlog::warn("shutdown grace over: cancelling {} attempts in flight; they will be retried",
                   busy_workers_);
      abandon_ = true;
    }
  }
  for (auto& s : sessions_) s->Cancel();
  for (auto& t : workers_) {
    if (t.joinable()) t.join();
  }
  {
    std::lock_guard olock(outcomes_mu_);
    recorder_stopping_ = true;
  }
  outcomes_cv_.notify_one();
  if (recorder_.joinable()) recorder_.join();
  running_ = false;
}

}  // namespace hookline::sender
