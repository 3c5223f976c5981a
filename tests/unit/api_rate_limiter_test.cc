#include "api_rate_limiter.h"

#include <catch2/catch.hpp>
#include <thread>
#include <vector>

using namespace hookline;
using namespace hookline::sender;
using namespace std::chrono_literals;

TEST_CASE("a bucket allows the burst, refuses, then refills at the rate", "[sender][rate_limit]") {
  FakeClock clock;
  ApiRateLimiter limiter(clock, {.rate_per_s = 2, .burst = 3, .max_keys = 10});
  REQUIRE(limiter.enabled());
  for (int i = 0; i < 3; ++i) {
    RateDecision d = limiter.Take("token");
    CHECK(d.allowed);
    CHECK(d.limit == 3);
    CHECK(d.remaining == 2 - i);
  }
  RateDecision refused = limiter.Take("token");
  CHECK_FALSE(refused.allowed);
  CHECK(refused.remaining == 0);
  CHECK(refused.retry_after_s == 1);  // 0.5 s to the next token, rounded up
  CHECK(refused.reset_seconds == 2);  // 3 tokens at 2/s = 1.5 s, rounded up

  clock.Advance(499ms);
  CHECK_FALSE(limiter.Take("token").allowed);
  clock.Advance(1ms);
  RateDecision again = limiter.Take("token");
  CHECK(again.allowed);
  CHECK(again.remaining == 0);

  // Refill stops at the burst.
  clock.Advance(1h);
  RateDecision full = limiter.Peek("token");
  CHECK(full.remaining == 3);
  CHECK(full.reset_seconds == 0);
  for (int i = 0; i < 3; ++i) CHECK(limiter.Take("token").allowed);
  CHECK_FALSE(limiter.Take("token").allowed);
}

TEST_CASE("keys have their own buckets and peeking takes nothing", "[sender][rate_limit]") {
  FakeClock clock;
  ApiRateLimiter limiter(clock, {.rate_per_s = 1, .burst = 1, .max_keys = 10});
  CHECK(limiter.Take("a").allowed);
  CHECK_FALSE(limiter.Take("a").allowed);
  CHECK(limiter.Take("b").allowed);
  CHECK(limiter.Peek("c").remaining == 1);
  CHECK(limiter.Peek("c").remaining == 1);
  CHECK(limiter.keys() == 2);  // a peek creates no bucket
  CHECK(limiter.Take("c").allowed);
}

TEST_CASE("a slow rate gives Retry-After in whole seconds, at least 1", "[sender][rate_limit]") {
  FakeClock clock;
  ApiRateLimiter limiter(clock, {.rate_per_s = 0.1, .burst = 1, .max_keys = 10});
  CHECK(limiter.Take("k").allowed);
  RateDecision d = limiter.Take("k");
  CHECK_FALSE(d.allowed);
  CHECK(d.retry_after_s == 10);
  clock.Advance(9500ms);
  CHECK(limiter.Take("k").retry_after_s == 1);
}

TEST_CASE("the wall clock stepping back refills nothing", "[sender][rate_limit]") {
  FakeClock clock;
  ApiRateLimiter limiter(clock, {.rate_per_s = 1, .burst = 1, .max_keys = 10});
  CHECK(limiter.Take("k").allowed);
  clock.Advance(-1h);
  CHECK_FALSE(limiter.Take("k").allowed);
  clock.Advance(1h + 1s);
  CHECK(limiter.Take("k").allowed);
}

TEST_CASE("the table of buckets is bounded", "[sender][rate_limit]") {
  FakeClock clock;
  ApiRateLimiter limiter(clock, {.rate_per_s = 1, .burst = 2, .max_keys = 3});
  for (const char* k : {"a", "b", "c"}) CHECK(limiter.Take(k).allowed);
  CHECK(limiter.keys() == 3);
  // Full of busy buckets: new keys share the overflow bucket (burst 2).
  CHECK(limiter.Take("d").allowed);
  CHECK(limiter.Take("e").allowed);
  CHECK_FALSE(limiter.Take("f").allowed);
  CHECK(limiter.keys() == 3);
  // Once the old buckets have refilled they are dropped for new keys.
  clock.Advance(2s);
  CHECK(limiter.Take("g").allowed);
  CHECK(limiter.keys() == 1);
}

TEST_CASE("a rate of 0 turns limiting off", "[sender][rate_limit]") {
  FakeClock clock;
  ApiRateLimiter limiter(clock, {.rate_per_s = 0, .burst = 1, .max_keys = 10});
  CHECK_FALSE(limiter.enabled());
  for (int i = 0; i < 100; ++i) CHECK(limiter.Take("k").allowed);
  CHECK(limiter.keys() == 0);
}

TEST_CASE("concurrent takers never get more than the burst", "[sender][rate_limit]") {
  FakeClock clock;  // time stands still: only the burst is available
  ApiRateLimiter limiter(clock, {.rate_per_s = 1, .burst = 1000, .max_keys = 10});
  std::atomic<int> allowed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 500; ++i) {
        if (limiter.Take(t % 2 == 0 ? "x" : "y").allowed) ++allowed;
      }
    });
  }
  for (auto& th : threads) th.join();
  CHECK(allowed == 2000);  // 1000 for each of the two keys, of 4000 tries
}
