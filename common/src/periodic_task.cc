#include "hookline/periodic_task.h"

namespace hookline {

PeriodicTask::PeriodicTask(std::chrono::milliseconds period, std::function<void()> fn)
    : period_(period), fn_(std::move(fn)) {
  thread_ = std::thread([this] {
    std::unique_lock lock(mu_);
    while (!cv_.wait_for(lock, period_, [&] { return stopping_; })) {
      lock.unlock();
      fn_();
      lock.lock();
    }
  });
}

void PeriodicTask::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

}  // namespace hookline
