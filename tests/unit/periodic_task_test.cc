#include "hookline/periodic_task.h"

#include <atomic>
#include <catch2/catch.hpp>

#include "support/process.h"

using namespace hookline;
using namespace std::chrono_literals;

TEST_CASE("a periodic task runs repeatedly until stopped", "[common][periodic]") {
  std::atomic<int> runs{0};
  PeriodicTask task(5ms, [&] { ++runs; });
  CHECK(testing::Eventually([&] { return runs >= 3; }));
  task.Stop();
  int after_stop = runs;
  std::this_thread::sleep_for(30ms);
  CHECK(runs == after_stop);
  task.Stop();  // idempotent
}

TEST_CASE("stopping does not wait for the period", "[common][periodic]") {
  std::atomic<int> runs{0};
  {
    PeriodicTask task(1h, [&] { ++runs; });
  }  // if Stop() waited for the period, this test would hit ctest's timeout
  CHECK(runs == 0);
}
