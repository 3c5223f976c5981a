#include "maintenance.h"

#include <spdlog/spdlog.h>

namespace hookline::sender {
namespace {
constexpr int kBatch = 500;
// A pass stops after this many batches (a million rows) and the next pass goes
// on: the bound keeps one pass from running for minutes after a long outage.
constexpr int kMaxBatchesPerPass = 2000;

template <typename PurgeBatch>
int64_t PurgeInBatches(const char* what, PurgeBatch purge) {
  int64_t total = 0;
  for (int i = 0; i < kMaxBatchesPerPass; ++i) {
    auto n = purge();
    if (!n.ok()) {
      spdlog::warn("maintenance: cannot purge {}: {}", what, n.status().ToString());
      break;
    }
    total += *n;
    if (*n < kBatch) break;
  }
  return total;
}

}  // namespace

void Maintenance::Start() {
  task_ = std::make_unique<PeriodicTask>(options_.interval, [this] { RunOnce(); });
}

void Maintenance::Stop() { task_.reset(); }

Maintenance::Pass Maintenance::RunOnce() {
  int64_t now = clock_.NowUnixMillis();
  Pass pass;
  pass.idempotency_keys = PurgeInBatches("idempotency keys", [&] {
    return outbox_.PurgeIdempotencyKeys(now - db::kIdempotencyKeyTtl.count(), kBatch);
  });
  pass.history_rows = PurgeInBatches("delivery history", [&] {
    return outbox_.PurgeHistory(now - options_.retention.count(),
                                now - options_.failed_retention.count(), kBatch);
  });
  if (pass.idempotency_keys > 0 || pass.history_rows > 0) {
    spdlog::debug(
        "maintenance: forgot {} idempotency keys older than 24 h and {} deliveries/events past "
        "retention",
        pass.idempotency_keys, pass.history_rows);
  }
  return pass;
}

}  // namespace hookline::sender
