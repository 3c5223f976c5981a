// Stall detection for /readyz: hookd is alive but deliveries or commits stopped.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "dispatcher.h"
#include "hookline/clock.h"
#include "hookline/db/outbox.h"
#include "hookline/periodic_task.h"
#include "hookline/status.h"

namespace hookline::sender {

// What the verdict is made of. Times are Unix ms.
struct StallInputs {
  int64_t now = 0;
  // The earliest due time of claimable work in the store (Outbox::NextDueAt).
  std::optional<int64_t> next_due_at;
  // Claims waiting in the dispatcher's queue since (nullopt: none waiting).
  std::optional<int64_t> queued_since;
  int64_t last_attempt_started_at = 0;
  // How long the oldest uncommitted write has waited (OutboxStats::write_wait).
  std::chrono::milliseconds write_wait{0};
  // Dispatcher::Progress: what is due waits for endpoint limits, as the
  // scheduler found at its last claim.
  bool held_by_limits = false;
  int64_t last_claim_at = 0;
};

// Unavailable, with a reason for people, when
//  - a write has waited `stall_after` without a commit (the database is stuck), or
//  - work has been due for `stall_after` (in the store or in the dispatcher's
//    queue) and no attempt has started for `stall_after` either.
// OK otherwise: in particular an idle hookd (nothing due) is never stalled,
// however long ago its last attempt was, nor is one that keeps starting
// attempts while a backlog drains, nor one whose due work waits for endpoint
// limits (an endpoint rate-limited to an attempt a minute) while its scheduler
// keeps claiming (it rechecks at least every 250 ms).
Status JudgeStall(const StallInputs& in, std::chrono::milliseconds stall_after);

// Checks every min(stall_after / 2, 5 s) and logs a warning when hookd becomes
// stalled (with the reason) and an info line when it recovers; /readyz asks
// Check() directly, so its answer is never older than the probe.
//
// Thread-safe. `outbox`, `dispatcher` and `clock` must outlive it.
class StallDetector {
 public:
  StallDetector(db::Outbox& outbox, Dispatcher& dispatcher, const Clock& clock,
                std::chrono::milliseconds stall_after);
  ~StallDetector();
  StallDetector(const StallDetector&) = delete;
  StallDetector& operator=(const StallDetector&) = delete;

  // Starts the periodic check (the log lines). Call once.
  void Start();
  void Stop();
  // The verdict now (see JudgeStall); a failing store read is Unavailable too.
  Status Check();

 private:
  db::Outbox& outbox_;
  Dispatcher& dispatcher_;
  const Clock& clock_;
  const std::chrono::milliseconds stall_after_;
  std::mutex mu_;
  bool stalled_ = false;  // guarded by mu_: the last verdict, to log changes only
  std::unique_ptr<PeriodicTask> task_;
};

}  // namespace hookline::sender
