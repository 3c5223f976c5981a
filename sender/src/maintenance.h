// Periodic housekeeping of the outbox, off the request and delivery paths.
#pragma once

#include <chrono>
#include <memory>

#include "hookline/clock.h"
#include "hookline/db/outbox.h"
#include "hookline/periodic_task.h"

namespace hookline::sender {

struct MaintenanceOptions {
  std::chrono::milliseconds interval{60000};
  // Succeeded deliveries (with attempts and events) and failed ones are kept
  // this long after they last changed.
  std::chrono::milliseconds retention{30LL * 24 * 3600 * 1000};
  std::chrono::milliseconds failed_retention{90LL * 24 * 3600 * 1000};
};

// Every `interval`: forgets idempotency keys past their 24 h and purges history
// past its retention, in small batches (one short transaction each) so that
// ingest and delivery never wait long behind a purge. Start()/Stop() from one
// thread; RunOnce() must not run concurrently with the periodic pass.
class Maintenance {
 public:
  Maintenance(db::Outbox& outbox, const Clock& clock, MaintenanceOptions options)
      : outbox_(outbox), clock_(clock), options_(options) {}
  ~Maintenance() { Stop(); }
  Maintenance(const Maintenance&) = delete;
  Maintenance& operator=(const Maintenance&) = delete;

  void Start();
  void Stop();

  struct Pass {
    int64_t idempotency_keys = 0;
    int64_t history_rows = 0;  // deliveries and events
  };
  // One pass (for tests and the log).
  Pass RunOnce();

 private:
  db::Outbox& outbox_;
  const Clock& clock_;
  const MaintenanceOptions options_;
  std::unique_ptr<PeriodicTask> task_;
};

}  // namespace hookline::sender
