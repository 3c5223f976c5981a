// Periodic housekeeping of the outbox, off the request and delivery paths.
#pragma once

#include <chrono>
#include <memory>

#include "hookline/clock.h"
#include "hookline/db/outbox.h"
#include "hookline/periodic_task.h"

namespace hookline::sender {

// Every `interval`, forgets idempotency keys past their 24 h, in small batches
// so that ingest never waits long behind a purge. Start()/Stop() from one thread.
class Maintenance {
 public:
  Maintenance(db::Outbox& outbox, const Clock& clock, std::chrono::milliseconds interval)
      : outbox_(outbox), clock_(clock), interval_(interval) {}
  ~Maintenance() { Stop(); }
  Maintenance(const Maintenance&) = delete;
  Maintenance& operator=(const Maintenance&) = delete;

  void Start();
  void Stop();
  // One pass; returns the keys purged (for tests and the log).
  int64_t RunOnce();

 private:
  db::Outbox& outbox_;
  const Clock& clock_;
  const std::chrono::milliseconds interval_;
  std::unique_ptr<PeriodicTask> task_;
};

}  // namespace hookline::sender
