#include "maintenance.h"

#include <spdlog/spdlog.h>

namespace hookline::sender {
namespace {
constexpr int kBatch = 500;
constexpr int kMaxBatchesPerPass = 200;
}  // namespace

void Maintenance::Start() {
  task_ = std::make_unique<PeriodicTask>(interval_, [this] { RunOnce(); });
}

void Maintenance::Stop() { task_.reset(); }

int64_t Maintenance::RunOnce() {
  int64_t before = clock_.NowUnixMillis() - db::kIdempotencyKeyTtl.count();
  int64_t total = 0;
  for (int i = 0; i < kMaxBatchesPerPass; ++i) {
    auto n = outbox_.PurgeIdempotencyKeys(before, kBatch);
    if (!n.ok()) {
      spdlog::warn("maintenance: cannot purge idempotency keys: {}", n.status().ToString());
      break;
    }
    total += *n;
    if (*n < kBatch) break;
  }
  if (total > 0) spdlog::debug("maintenance: forgot {} idempotency keys older than 24 h", total);
  return total;
}

}  // namespace hookline::sender
