#include "delivery_policy.h"

#include <catch2/catch.hpp>

using namespace hookline;
using namespace hookline::sender;
using namespace std::chrono_literals;
using db::DeliveryStatus;

namespace {

constexpr int64_t kNow = 1'767'225'600'000;  // 2026-01-01T00:00:00Z

struct Fixture {
  RetrySchedule schedule = *RetrySchedule::Parse("10s,20s", 0.0);
  FakeRandom random;
  Decision Run(AttemptResult r, int attempts_made = 1) {
    return Decide(r, attempts_made, schedule, random, 1h, kNow);
  }
};

AttemptResult Http(int status, std::string retry_after = "") {
  AttemptResult r;
  r.status = status;
  r.retry_after = std::move(retry_after);
  return r;
}

}  // namespace

TEST_CASE("2xx succeeds", "[sender][policy]") {
  Fixture f;
  for (int s : {200, 201, 202, 204, 299}) CHECK(f.Run(Http(s)).next == DeliveryStatus::kSucceeded);
}

TEST_CASE("network errors, timeouts, 408, 429 and 5xx are retried on the schedule",
          "[sender][policy]") {
  Fixture f;
  AttemptResult net;
  net.error = "connection failed";
  for (const AttemptResult& r :
       {net, Http(408), Http(429), Http(500), Http(502), Http(503), Http(599)}) {
    INFO(r.status);
    Decision d = f.Run(r, 1);
    CHECK(d.next == DeliveryStatus::kPending);
    CHECK(d.delay == 10s);
    CHECK(f.Run(r, 2).delay == 20s);
    Decision last = f.Run(r, 3);
    CHECK(last.next == DeliveryStatus::kFailed);
    CHECK(last.reason.find("attempts exhausted") != std::string::npos);
  }
}

TEST_CASE("other 4xx and redirects fail at once, 410 disables the endpoint", "[sender][policy]") {
  Fixture f;
  for (int s : {301, 302, 400, 401, 403, 404, 413, 422}) {
    INFO(s);
    Decision d = f.Run(Http(s));
    CHECK(d.next == DeliveryStatus::kFailed);
    CHECK(d.disable_endpoint_reason.empty());
  }
  Decision gone = f.Run(Http(410));
  CHECK(gone.next == DeliveryStatus::kFailed);
  CHECK_FALSE(gone.disable_endpoint_reason.empty());
}

TEST_CASE("Retry-After on 429/503 delays at least that long, capped", "[sender][policy]") {
  Fixture f;
  CHECK(f.Run(Http(429, "120")).delay == 120s);
  CHECK(f.Run(Http(503, "3")).delay == 10s);      // the schedule's delay is longer
  CHECK(f.Run(Http(429, "999999")).delay == 1h);  // capped
  CHECK(f.Run(Http(500, "120")).delay == 10s);    // only 429 and 503 honour it
  CHECK(f.Run(Http(429, "Thu, 01 Jan 2026 00:05:00 GMT")).delay == 5min);
  CHECK(f.Run(Http(429, "garbage")).delay == 10s);
}

TEST_CASE("Retry-After parsing", "[sender][policy]") {
  CHECK(*ParseRetryAfter("0", kNow) == 0ms);
  CHECK(*ParseRetryAfter(" 7 ", kNow) == 7s);
  CHECK(*ParseRetryAfter("Wed, 31 Dec 2025 00:00:00 GMT", kNow) == 0ms);  // in the past
  CHECK_FALSE(ParseRetryAfter("", kNow));
  CHECK_FALSE(ParseRetryAfter("-5", kNow));
  CHECK_FALSE(ParseRetryAfter("5s", kNow));
  CHECK_FALSE(ParseRetryAfter("Thu, 01 Jan 2026 00:05:00", kNow));
}

TEST_CASE("jitter is applied to retry delays", "[sender][policy]") {
  Fixture f;
  f.schedule = *RetrySchedule::Parse("10s", 0.2);
  f.random.PushDouble(0.0);
  CHECK(f.Run(Http(500)).delay == 8s);
  f.random.PushDouble(0.75);
  CHECK(f.Run(Http(500)).delay == 11s);
}
