#include "dispatcher.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <optional>
#include <string_view>
#include <unordered_map>

#include "hookline/signing.h"
#include "ops_notices.h"

namespace hookline::sender {
namespace {

using std::chrono::milliseconds;

// When the store fails (disk full, locked), back off instead of spinning.
constexpr milliseconds kErrorBackoff{500};
// An upper bound on any sleep: a safety net, not the hot path (new work wakes
// the scheduler through Notify(), and due times are waited for exactly).
constexpr milliseconds kMaxIdleWait{5000};
// How often the scheduler looks again when due work is held back by endpoint
// limits and no ending attempt told it; also bounds how late a claim queued
// past half its lease is given back.
constexpr milliseconds kLimitRecheck{250};
// While everything due is held back by endpoint limits, how often a new event
// (Notify) may start a claim: each would walk the held-back rows to find
// little or nothing (profiled: a claim per ingested event).
constexpr milliseconds kBlockedClaimSpacing{5};

}  // namespace

Dispatcher::Dispatcher(db::Outbox& outbox, HttpSender& http, const Clock& clock, Random& random,
                       DispatcherOptions options)
    : outbox_(outbox),
      http_(http),
      clock_(clock),
      random_(random),
      options_(std::move(options)),
      refill_at_(MaxOutstanding(options_) / 2),
      gates_(options_.gates) {}

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
    last_attempt_started_at_ = last_claim_at_ = clock_.NowUnixMillis();
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
  // one delivery) and topped up when the claims ready to go fall to half, so
  // the workers never run dry while the claim is in flight. The lease (see
  // MaxOutstanding) is long enough for the last claim in the queue. Claims that
  // wait for their endpoint do not count as ready, so a stuck endpoint does not
  // stop the claims for the others; the queue as a whole stays bounded.
  const size_t max_outstanding = MaxOutstanding(options_);
  const size_t max_queued = 4 * max_outstanding;
  std::unique_lock lock(mu_);
  while (!stopping_) {
    int64_t now = clock_.NowUnixMillis();
    std::vector<db::Release> stale;
    ReleaseStaleLocked(now, stale);
    if (!stale.empty()) {
      lock.unlock();
      PushReleases(std::move(stale));
      lock.lock();
      continue;
    }
    size_t outstanding = ReadyLocked(now) + static_cast<size_t>(busy_workers_);
    if (outstanding > refill_at_ || queue_.size() >= max_queued) {
      scheduler_cv_.wait_for(lock, kLimitRecheck);
      continue;
    }
    notified_ = false;
    refilled_ = false;
    int want = static_cast<int>(
        std::min<size_t>(max_outstanding - outstanding, static_cast<size_t>(options_.claim_batch)));
    db::ClaimLimits limits = gates_.ClaimAllowances(now);
    lock.unlock();
    auto claimed = outbox_.ClaimDue(now, want, now + options_.lease.count(), limits);
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
    last_claim_at_ = clock_.NowUnixMillis();
    // Due already but not claimed: held back by endpoint limits.
    held_by_limits_ = !failed && next_due && *next_due <= last_claim_at_;
    if (!failed) {
      if (queue_.empty() && !claimed->empty()) queued_since_ = clock_.NowUnixMillis();
      for (auto& c : *claimed) {
        gates_.Learn(c);
        gates_.Queued(c.endpoint_id, +1);
        queue_.push_back(QueuedClaim{std::move(c), now});
      }
      if (!claimed->empty()) worker_cv_.notify_all();
      if (static_cast<int>(claimed->size()) == want) continue;  // there may be more due now
    }
    if (stopping_ || refilled_) continue;
    if (held_by_limits_) {
      // A freed slot (refilled_) claims at once; new events wait for the spacing.
      scheduler_cv_.wait_for(lock, kBlockedClaimSpacing, [&] { return stopping_ || refilled_; });
      if (stopping_ || refilled_ || notified_) continue;
      scheduler_cv_.wait_for(lock, kLimitRecheck - kBlockedClaimSpacing,
                             [&] { return stopping_ || notified_ || refilled_; });
      continue;
    }
    if (notified_) continue;
    milliseconds wait = kMaxIdleWait;
    if (failed) {
      wait = kErrorBackoff;
    } else if (next_due) {
      milliseconds until_due(*next_due - clock_.NowUnixMillis());
      wait = std::clamp(until_due, milliseconds(1), kMaxIdleWait);
    }
    scheduler_cv_.wait_for(lock, wait, [&] { return stopping_ || notified_ || refilled_; });
  }
  running_ = false;
}

void Dispatcher::ReleaseStaleLocked(int64_t now, std::vector<db::Release>& out) {
  const int64_t max_wait = options_.lease.count() / 2;
  for (auto it = queue_.begin(); it != queue_.end();) {
    if (now - it->queued_at < max_wait) {
      ++it;
      continue;
    }
    out.push_back(db::Release{it->claim.delivery_id, now});
    gates_.Queued(it->claim.endpoint_id, -1);
    it = queue_.erase(it);
  }
}

size_t Dispatcher::ReadyLocked(int64_t now) {
  // Per endpoint, no more queued claims count as ready than it has free slots.
  std::unordered_map<std::string_view, int> slots;
  size_t ready = 0;
  for (const QueuedClaim& q : queue_) {
    auto [it, fresh] = slots.try_emplace(q.claim.endpoint_id, 0);
    if (fresh) it->second = gates_.Slots(q.claim.endpoint_id, now);
    if (it->second > 0) {
      --it->second;
      ++ready;
    }
  }
  return ready;
}

void Dispatcher::WorkerLoop(size_t index) {
  HttpSession& session = *sessions_[index];
  std::unique_lock lock(mu_);
  for (;;) {
    if (stopping_) return;  // queued claims are given back by Stop()
    // The first queued claim whose endpoint admits it; claims of an endpoint
    // with an open breaker go back to the store, due when it closes.
    int64_t now = clock_.NowUnixMillis();
    int64_t wake_at = 0;
    std::vector<db::Release> deferred;
    std::optional<db::ClaimedDelivery> c;
    for (auto it = queue_.begin(); it != queue_.end();) {
      EndpointGates::Verdict v = gates_.Admit(it->claim.endpoint_id, now);
      if (v.kind == EndpointGates::Verdict::kGo) {
        c = std::move(it->claim);
        gates_.Queued(c->endpoint_id, -1);
        queue_.erase(it);
        break;
      }
      if (v.kind == EndpointGates::Verdict::kDefer) {
        deferred.push_back(db::Release{it->claim.delivery_id, v.until});
        gates_.Queued(it->claim.endpoint_id, -1);
        it = queue_.erase(it);
        continue;
      }
      if (v.until > 0) {
        wake_at = wake_at == 0 ? v.until : std::min(wake_at, v.until);
        if (options_.metrics && !it->counted_rate_wait) {
          it->counted_rate_wait = true;
          options_.metrics->RecordRateLimitedWait(it->claim.endpoint_id);
        }
      }
      ++it;
    }
    if (!c) {
      if (!deferred.empty()) {
        lock.unlock();
        PushReleases(std::move(deferred));
        scheduler_cv_.notify_one();
        lock.lock();
        continue;
      }
      // Everything queued waits for its endpoint: the scheduler may claim others' work.
      if (!queue_.empty()) scheduler_cv_.notify_one();
      if (wake_at > 0) {
        worker_cv_.wait_for(lock, milliseconds(std::max<int64_t>(1, wake_at - now)));
      } else {
        worker_cv_.wait(lock);
      }
      continue;
    }
    ++busy_workers_;
    last_attempt_started_at_ = clock_.NowUnixMillis();
    lock.unlock();
    if (!deferred.empty()) PushReleases(std::move(deferred));
    AttemptOutcome a = Attempt(session, *c);
    lock.lock();
    --busy_workers_;
    bool give_back = abandon_;
    bool was_at_allowance = false;
    if (give_back) {
      gates_.Abandon(c->endpoint_id);
    } else {
      was_at_allowance = JudgeLocked(*c, a);
    }
    // This worker looks at the queue again at once; another idle one may find
    // a claim that the slot just freed admits.
    if (!queue_.empty()) worker_cv_.notify_one();
    // Wake the scheduler only when it has something to do: the queue fell to the
    // refill mark, the endpoint may be claimed again, or (for Stop) the last
    // attempt ended.
    bool wake = queue_.size() + static_cast<size_t>(busy_workers_) == refill_at_ ||
                busy_workers_ == 0 || was_at_allowance;
    // The scheduler's idle wait ends on refilled_ (or notified_), not on the notification
    // alone: without it the wake is lost and the next claim waits for the
    // kLimitRecheck safety net (measured: 128 deliveries/s to one endpoint,
    // 32 claims per 250 ms, instead of thousands).
    if (wake) refilled_ = true;
    lock.unlock();
    if (give_back) {
      PushReleases({db::Release{c->delivery_id, clock_.NowUnixMillis()}});
    } else {
      PushOutcome(std::move(a.outcome));
    }
    if (wake) scheduler_cv_.notify_one();
    lock.lock();
  }
}

bool Dispatcher::JudgeLocked(const db::ClaimedDelivery& c, AttemptOutcome& a) {
  int64_t now = a.outcome.attempt.attempted_at + a.outcome.attempt.latency_ms;
  EndpointGates::Finished f = gates_.Finish(c.endpoint_id, a.success, now, a.what);
  a.outcome.health = f.health;
  if (f.opened) {
    spdlog::warn(
        "circuit open endpoint={} after {} consecutive failures (last: {}); "
        "its deliveries wait {} ms for one probe",
        c.endpoint_id, f.health->consecutive_failures, a.what, f.health->circuit_open_until - now);
  } else if (f.health && f.health->consecutive_failures == 0) {
    spdlog::info("endpoint={} recovered: attempt succeeded, circuit closed", c.endpoint_id);
  }
  if (!f.disable_reason.empty() && a.outcome.disable_endpoint_reason.empty()) {
    a.outcome.disable_endpoint_reason = f.disable_reason;
    spdlog::warn("disabling endpoint={}: {}", c.endpoint_id, f.disable_reason);
  }
  if (Notifies(c)) {
    db::Outcome& o = a.outcome;
    if (o.next_status == db::DeliveryStatus::kFailed) {
      // A final failure's attempt error is why it is final (see Attempt).
      o.notices.push_back(DeliveryFailedNotice(c, c.attempts_made + 1, o.attempt.status_code,
                                               o.attempt.error, now));
    }
    if (!o.disable_endpoint_reason.empty()) {
      o.notices.push_back(EndpointDisabledNotice(c, o.disable_endpoint_reason, now));
    }
    if (f.recovered_from) o.notices.push_back(EndpointRecoveredNotice(c, *f.recovered_from, now));
  }
  return f.was_at_allowance;
}

Dispatcher::AttemptOutcome Dispatcher::Attempt(HttpSession& session, const db::ClaimedDelivery& c) {
  AttemptOutcome a;
  db::Outcome& o = a.outcome;
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
  a.success = d.next == db::DeliveryStatus::kSucceeded;
  a.what = what;
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
  return a;
}

void Dispatcher::PushReleases(std::vector<db::Release> releases) {
  {
    std::lock_guard lock(outcomes_mu_);
    released_.insert(released_.end(), std::make_move_iterator(releases.begin()),
                     std::make_move_iterator(releases.end()));
  }
  outcomes_cv_.notify_one();
}

std::vector<std::pair<std::string, CircuitState>> Dispatcher::CircuitsNotClosed() {
  std::lock_guard lock(mu_);
  return gates_.NotClosed(clock_.NowUnixMillis());
}

Dispatcher::Progress Dispatcher::progress() {
  std::lock_guard lock(mu_);
  Progress p;
  p.last_attempt_started_at = last_attempt_started_at_;
  if (!queue_.empty()) p.queued_since = queued_since_;
  // Claims queued but none admissible now wait for their endpoints' limits;
  // so does due work the last claim left because of them.
  p.held_by_limits =
      (held_by_limits_ || !queue_.empty()) && ReadyLocked(clock_.NowUnixMillis()) == 0;
  p.last_claim_at = last_claim_at_;
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
    std::vector<db::Release> release;
    batch.swap(outcomes_);
    release.swap(released_);
    lock.unlock();
    Status s = outbox_.RecordOutcomes(batch);
    if (s.ok()) s = outbox_.ReleaseClaims(release);
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
  std::vector<db::Release> unstarted;
  {
    std::lock_guard lock(mu_);
    if (stopping_ && !scheduler_.joinable()) return;
    stopping_ = true;
    int64_t now = clock_.NowUnixMillis();
    for (auto& q : queue_) unstarted.push_back(db::Release{q.claim.delivery_id, now});
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
