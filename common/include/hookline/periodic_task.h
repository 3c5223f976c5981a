// A function run on its own thread at a fixed period, until stopped.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

namespace hookline {

// Runs `fn` every `period` (first run one period after construction) until
// Stop() or destruction. Stop() wakes the thread at once and waits for a run in
// progress to finish; it is idempotent and may be called from any thread but
// the task's own. `fn` must not throw.
class PeriodicTask {
 public:
  PeriodicTask(std::chrono::milliseconds period, std::function<void()> fn);
  ~PeriodicTask() { Stop(); }
  PeriodicTask(const PeriodicTask&) = delete;
  PeriodicTask& operator=(const PeriodicTask&) = delete;

  void Stop();

 private:
  const std::chrono::milliseconds period_;
  const std::function<void()> fn_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;  // guarded by mu_
  std::thread thread_;
};

}  // namespace hookline
