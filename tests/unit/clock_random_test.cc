#include <catch2/catch.hpp>

#include "hookline/clock.h"
#include "hookline/random.h"
#include "hookline/status.h"

using namespace hookline;

TEST_CASE("the fake clock moves only when told", "[common][clock]") {
  FakeClock clock;
  int64_t start = clock.NowUnixMillis();
  CHECK(clock.NowUnixMillis() == start);
  clock.Advance(std::chrono::milliseconds(1500));
  CHECK(clock.NowUnixMillis() == start + 1500);
  CHECK(clock.NowUnixSeconds() == (start + 1500) / 1000);
  clock.SetUnixSeconds(1614265330);
  CHECK(clock.NowUnixSeconds() == 1614265330);
}

TEST_CASE("RFC 3339 formatting", "[common][clock]") {
  CHECK(FormatRfc3339(FromUnixMillis(1614265330123)) == "2021-02-25T15:02:10.123Z");
  CHECK(FormatRfc3339(FromUnixMillis(0)) == "1970-01-01T00:00:00.000Z");
}

TEST_CASE("the fake random replays its script", "[common][random]") {
  FakeRandom r;
  r.PushU64(7);
  r.PushDouble(0.25);
  CHECK(r.NextU64() == 7);
  CHECK(r.NextU64() == 7);  // repeats the last
  CHECK(r.Uniform(0.0, 4.0) == 1.0);
  SystemRandom& s = SystemRandom::Get();
  double d = s.NextDouble();
  CHECK(d >= 0.0);
  CHECK(d < 1.0);
}

TEST_CASE("Status and Result carry codes and values", "[common][status]") {
  Status ok;
  CHECK(ok.ok());
  CHECK(ok.ToString() == "ok");
  Status bad = Status::NotFound("no endpoint ep_1");
  CHECK_FALSE(bad.ok());
  CHECK(bad.ToString() == "not_found: no endpoint ep_1");
  Result<int> r = 5;
  CHECK(r.ok());
  CHECK(*r == 5);
  Result<int> e = Status::Unavailable("busy");
  CHECK_FALSE(e.ok());
  CHECK(e.status().code() == StatusCode::kUnavailable);
}
