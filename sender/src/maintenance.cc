#include "maintenance.h"

#include <spdlog/spdlog.h>

namespace hookline::sender {
namespace {
constexpr int kBatch = 500;
constexpr int kMaxBatchesPerPass = 200;
}  // namespace

void Maintenance::Start() {
  thread_ = std::thread([this] {
    std::unique_lock lock(mu_);
    while (!cv_.wait_for(lock, interval_, [&] { return stopping_; })) {
      lock.unlock();
      RunOnce();
      lock.lock();
    }
  });
}

void Maintenance::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

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
