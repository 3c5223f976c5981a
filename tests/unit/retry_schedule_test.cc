#include "hookline/retry_schedule.h"

#include <catch2/catch.hpp>

using namespace hookline;
using namespace std::chrono_literals;

TEST_CASE("durations parse with units", "[common][retry]") {
  CHECK(*ParseDuration("250ms") == 250ms);
  CHECK(*ParseDuration("5s") == 5s);
  CHECK(*ParseDuration(" 5m ") == 5min);
  CHECK(*ParseDuration("2h") == 2h);
  CHECK(*ParseDuration("1d") == 24h);
  CHECK(*ParseDuration("0s") == 0ms);
  for (const char* bad :
       {"", "s", "5", "5x", "-5s", "1.5s", "5 s", "31d", "99999999999999999999s"}) {
    INFO(bad);
    CHECK_FALSE(ParseDuration(bad).ok());
  }
  CHECK(FormatDuration(5min) == "5m");
  CHECK(FormatDuration(1500ms) == "1500ms");
  CHECK(FormatDuration(0ms) == "0ms");
}

TEST_CASE("schedules parse", "[common][retry]") {
  auto s = RetrySchedule::Parse("5s,5m,30m,2h");
  REQUIRE(s.ok());
  CHECK(s->delays() == std::vector<std::chrono::milliseconds>{5s, 5min, 30min, 2h});
  CHECK(s->max_attempts() == 5);
  CHECK(s->ToString() == "5s,5m,30m,2h");
  auto fast = RetrySchedule::Parse("100ms, 200ms", 0.0);
  REQUIRE(fast.ok());
  CHECK(fast->delays() == std::vector<std::chrono::milliseconds>{100ms, 200ms});
  CHECK(RetrySchedule::Default().ToString() == "5s,5m,30m,2h,5h,10h,10h");
  CHECK(RetrySchedule::Default().max_attempts() == 8);
}

TEST_CASE("bad schedules are refused with a reason", "[common][retry]") {
  for (const char* bad : {"", " ", "5s,", ",5s", "5s,,5m", "5s,abc", "5"}) {
    INFO(bad);
    auto r = RetrySchedule::Parse(bad);
    REQUIRE_FALSE(r.ok());
    CHECK_FALSE(r.status().message().empty());
  }
  CHECK_FALSE(RetrySchedule::Parse("5s", -0.1).ok());
  CHECK_FALSE(RetrySchedule::Parse("5s", 1.0).ok());
  std::string many;
  for (int i = 0; i < 101; ++i) many += (i ? ",1s" : "1s");
  CHECK_FALSE(RetrySchedule::Parse(many).ok());
}

TEST_CASE("jitter scales each delay within [1-j, 1+j]", "[common][retry]") {
  auto s = RetrySchedule::Parse("10s,20s", 0.2);
  REQUIRE(s.ok());
  FakeRandom random;
  random.PushDouble(0.0);        // lowest factor: 0.8
  random.PushDouble(0.5);        // middle: 1.0
  random.PushDouble(0.9999999);  // just under 1.2
  CHECK(*s->NextDelay(1, random) == 8000ms);
  CHECK(*s->NextDelay(2, random) == 20000ms);
  CHECK(*s->NextDelay(1, random) == 12000ms);
  CHECK_FALSE(s->NextDelay(3, random).has_value());  // attempts exhausted
  CHECK_FALSE(s->NextDelay(0, random).has_value());
}

TEST_CASE("real jitter spreads delays inside the bounds", "[common][retry]") {
  auto s = RetrySchedule::Parse("1000ms", 0.2);
  REQUIRE(s.ok());
  int64_t lo = 1'000'000, hi = 0;
  for (int i = 0; i < 2000; ++i) {
    int64_t d = s->NextDelay(1, SystemRandom::Get())->count();
    lo = std::min(lo, d);
    hi = std::max(hi, d);
  }
  CHECK(lo >= 800);
  CHECK(hi <= 1200);
  CHECK(hi - lo > 300);  // actually spread, not a constant
}
