#include "stall_detector.h"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace hookline::sender {
namespace {

std::string Seconds(int64_t ms) {
  return std::to_string(ms / 1000) + "." + std::to_string(ms % 1000 / 100) + " s";
}

}  // namespace

Status JudgeStall(const StallInputs& in, std::chrono::milliseconds stall_after) {
  const int64_t after = stall_after.count();
  if (in.write_wait.count() >= after) {
    return Status::Unavailable("stalled: the database has not committed for " +
                               Seconds(in.write_wait.count()) +
                               " while writes wait (--stall-after " + Seconds(after) + ")");
  }
  std::optional<int64_t> due_since;
  if (in.next_due_at && *in.next_due_at <= in.now) due_since = *in.next_due_at;
  if (in.queued_since)
    due_since = due_since ? std::min(*due_since, *in.queued_since) : *in.queued_since;
  if (!due_since) return Status::Ok();
  int64_t due_for = in.now - *due_since;
  int64_t idle_for = in.now - in.last_attempt_started_at;
  // Waiting by design: the limits an operator set hold it back, and the
  // scheduler that takes due work from the store once they allow is alive
  // (while work is due there, it rechecks at least every 250 ms).
  if (in.held_by_limits) {
    bool due_in_store = in.next_due_at && *in.next_due_at <= in.now;
    if (!due_in_store || in.now - in.last_claim_at < after) return Status::Ok();
  }
  if (due_for >= after && idle_for >= after) {
    return Status::Unavailable("stalled: deliveries have been due for " + Seconds(due_for) +
                               " but no attempt has started for " + Seconds(idle_for) +
                               " (every worker busy or stuck? --stall-after " + Seconds(after) +
                               ")");
  }
  return Status::Ok();
}

StallDetector::StallDetector(db::Outbox& outbox, Dispatcher& dispatcher, const Clock& clock,
                             std::chrono::milliseconds stall_after)
    : outbox_(outbox), dispatcher_(dispatcher), clock_(clock), stall_after_(stall_after) {}

StallDetector::~StallDetector() { Stop(); }

void StallDetector::Start() {
  auto period =
      std::clamp(stall_after_ / 2, std::chrono::milliseconds(10), std::chrono::milliseconds(5000));
  task_ = std::make_unique<PeriodicTask>(period, [this] { (void)Check(); });
}

void StallDetector::Stop() {
  if (task_) task_->Stop();
}

Status StallDetector::Check() {
  StallInputs in;
  // Progress first: an attempt starting after this read is then not missed by
  // a store read that already sees its delivery claimed.
  Dispatcher::Progress p = dispatcher_.progress();
  in.last_attempt_started_at = p.last_attempt_started_at;
  in.queued_since = p.queued_since;
  in.held_by_limits = p.held_by_limits;
  in.last_claim_at = p.last_claim_at;
  in.write_wait = outbox_.Stats().write_wait;
  Status verdict = Status::Ok();
  if (in.write_wait < stall_after_) {
    // Reads do not go through the writer, so this answers even when it is stuck.
    auto next = outbox_.NextDueAt();
    if (!next.ok()) {
      verdict = Status::Unavailable("cannot read the outbox: " + next.status().message());
    } else {
      in.next_due_at = *next;
    }
  }
  in.now = clock_.NowUnixMillis();
  if (verdict.ok()) verdict = JudgeStall(in, stall_after_);
  std::lock_guard lock(mu_);
  if (!verdict.ok() && !stalled_) {
    spdlog::warn("not ready: {}", verdict.message());
  } else if (verdict.ok() && stalled_) {
    spdlog::info("ready again: deliveries and commits are making progress");
  }
  stalled_ = !verdict.ok();
  return verdict;
}

}  // namespace hookline::sender
