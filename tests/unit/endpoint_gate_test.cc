// The dispatcher's per-endpoint admission: concurrency cap, token bucket,
// circuit breaker and auto-disable, on a clock the test sets.
#include "endpoint_gate.h"

#include <algorithm>
#include <catch2/catch.hpp>

using namespace hookline;
using namespace hookline::sender;
using namespace std::chrono_literals;
using Kind = EndpointGates::Verdict::Kind;

namespace {

constexpr int64_t kT0 = 1'800'000'000'000;

db::ClaimedDelivery Claim(const std::string& endpoint, db::EndpointLimits limits = {},
                          db::EndpointHealth health = {}) {
  db::ClaimedDelivery c;
  c.delivery_id = "dlv_1";
  c.endpoint_id = endpoint;
  c.limits = limits;
  c.health = health;
  return c;
}

GateOptions Options() {
  GateOptions o;
  o.default_max_in_flight = 2;
  o.breaker_threshold = 3;
  o.breaker_cooldown = 1000ms;
  o.auto_disable_after = 10000ms;
  return o;
}

}  // namespace

TEST_CASE("the concurrency cap admits max_in_flight attempts, then one per ending attempt",
          "[gate]") {
  EndpointGates gates(Options());
  gates.Learn(Claim("ep_a"));
  CHECK(gates.Admit("ep_a", kT0).kind == Kind::kGo);
  CHECK(gates.Admit("ep_a", kT0).kind == Kind::kGo);
  auto v = gates.Admit("ep_a", kT0);
  CHECK(v.kind == Kind::kWait);
  CHECK(v.until == 0);  // no timer: an ending attempt frees the slot
  CHECK(gates.Slots("ep_a", kT0) == 0);
  CHECK(gates.Admit("ep_b", kT0).kind == Kind::kGo);  // another endpoint is not held back
  gates.Finish("ep_a", true, kT0 + 5, "HTTP 200");
  CHECK(gates.Slots("ep_a", kT0 + 5) == 1);
  CHECK(gates.Admit("ep_a", kT0 + 5).kind == Kind::kGo);
  gates.Abandon("ep_a");  // cancelled at shutdown: frees the slot too
  CHECK(gates.Admit("ep_a", kT0 + 6).kind == Kind::kGo);
}

TEST_CASE("an endpoint's own max_in_flight overrides the default", "[gate]") {
  EndpointGates gates(Options());
  db::EndpointLimits limits;
  limits.max_in_flight = 3;
  gates.Learn(Claim("ep_a", limits));
  for (int i = 0; i < 3; ++i) CHECK(gates.Admit("ep_a", kT0).kind == Kind::kGo);
  CHECK(gates.Admit("ep_a", kT0).kind == Kind::kWait);
}

TEST_CASE("the rate limit spends a burst, then admits at the rate with a timer", "[gate]") {
  EndpointGates gates(Options());
  db::EndpointLimits limits;
  limits.rate_limit_per_s = 10;  // one per 100 ms
  limits.rate_limit_burst = 2;
  limits.max_in_flight = 100;
  gates.Learn(Claim("ep_a", limits));
  CHECK(gates.Admit("ep_a", kT0).kind == Kind::kGo);
  CHECK(gates.Admit("ep_a", kT0).kind == Kind::kGo);
  auto v = gates.Admit("ep_a", kT0);
  REQUIRE(v.kind == Kind::kWait);
  CHECK(v.until == kT0 + 100);
  CHECK(gates.Admit("ep_a", kT0 + 99).kind == Kind::kWait);
  CHECK(gates.Admit("ep_a", kT0 + 100).kind == Kind::kGo);
  CHECK(gates.Admit("ep_a", kT0 + 100).kind == Kind::kWait);
  // A quiet spell refills no more than the burst.
  CHECK(gates.Slots("ep_a", kT0 + 60'000) == 2);
  // Changing the limit starts a new, full bucket.
  limits.rate_limit_burst = 5;
  gates.Learn(Claim("ep_a", limits));
  CHECK(gates.Slots("ep_a", kT0 + 100) == 5);
}

TEST_CASE("consecutive failures open the breaker, one probe decides after the cool-down",
          "[gate]") {
  EndpointGates gates(Options());
  db::EndpointLimits limits;
  limits.max_in_flight = 10;
  gates.Learn(Claim("ep_a", limits));
  for (int i = 0; i < 2; ++i) {
    REQUIRE(gates.Admit("ep_a", kT0).kind == Kind::kGo);
    auto f = gates.Finish("ep_a", false, kT0 + i, "HTTP 500");
    REQUIRE(f.health);
    CHECK(f.health->consecutive_failures == i + 1);
    CHECK(f.health->failing_since == kT0);
    CHECK_FALSE(f.opened);
  }
  REQUIRE(gates.Admit("ep_a", kT0 + 10).kind == Kind::kGo);
  auto opened = gates.Finish("ep_a", false, kT0 + 10, "timeout");
  CHECK(opened.opened);
  CHECK(opened.health->circuit_open_until == kT0 + 1010);
  CHECK(CircuitStateOf(*opened.health, 3, kT0 + 10) == CircuitState::kOpen);

  auto deferred = gates.Admit("ep_a", kT0 + 500);
  CHECK(deferred.kind == Kind::kDefer);
  CHECK(deferred.until == kT0 + 1010);
  CHECK(gates.ClaimAllowances(kT0 + 500).per_endpoint ==
        std::vector<std::pair<std::string, int>>{{"ep_a", 0}});

  // Half-open: exactly one probe at a time.
  CHECK(gates.Admit("ep_a", kT0 + 1010).kind == Kind::kGo);
  CHECK(gates.Admit("ep_a", kT0 + 1010).kind == Kind::kWait);
  auto reopened = gates.Finish("ep_a", false, kT0 + 1020, "HTTP 503");
  CHECK(reopened.opened);
  CHECK(reopened.health->circuit_open_until == kT0 + 2020);
  CHECK(reopened.health->consecutive_failures == 4);

  REQUIRE(gates.Admit("ep_a", kT0 + 2020).kind == Kind::kGo);
  auto closed = gates.Finish("ep_a", true, kT0 + 2030, "HTTP 200");
  REQUIRE(closed.health);  // recovery is written once
  CHECK(closed.health->consecutive_failures == 0);
  CHECK(closed.health->failing_since == 0);
  CHECK(closed.health->circuit_open_until == 0);
  // ... and reported as a recovery from what it cleared (endpoint.recovered).
  REQUIRE(closed.recovered_from);
  CHECK(closed.recovered_from->consecutive_failures == 4);
  CHECK(closed.recovered_from->failing_since == kT0);
  CHECK(gates.Admit("ep_a", kT0 + 2030).kind == Kind::kGo);
  CHECK(gates.Admit("ep_a", kT0 + 2030).kind == Kind::kGo);  // closed: no probe limit
  // A success of a healthy endpoint writes nothing.
  CHECK_FALSE(gates.Finish("ep_a", true, kT0 + 2040, "HTTP 200").health);
}

TEST_CASE("failures of attempts already in flight do not extend an open breaker", "[gate]") {
  EndpointGates gates(Options());
  db::EndpointLimits limits;
  limits.max_in_flight = 10;
  gates.Learn(Claim("ep_a", limits));
  for (int i = 0; i < 5; ++i) REQUIRE(gates.Admit("ep_a", kT0).kind == Kind::kGo);
  for (int i = 0; i < 3; ++i) gates.Finish("ep_a", false, kT0 + 100, "timeout");
  auto late = gates.Finish("ep_a", false, kT0 + 600, "timeout");
  CHECK_FALSE(late.opened);
  CHECK(late.health->circuit_open_until == kT0 + 1100);
}

TEST_CASE("a success after failures that never opened the breaker is no recovery", "[gate]") {
  EndpointGates gates(Options());
  REQUIRE(gates.Admit("ep_a", kT0).kind == Kind::kGo);
  gates.Finish("ep_a", false, kT0, "HTTP 500");
  REQUIRE(gates.Admit("ep_a", kT0 + 1).kind == Kind::kGo);
  auto ok = gates.Finish("ep_a", true, kT0 + 1, "HTTP 200");
  REQUIRE(ok.health);              // the streak is cleared...
  CHECK_FALSE(ok.recovered_from);  // ...but one failure is not an outage worth a notice
}

TEST_CASE("a breaker threshold of 0 never opens", "[gate]") {
  GateOptions o = Options();
  o.breaker_threshold = 0;
  EndpointGates gates(o);
  for (int i = 0; i < 50; ++i) {
    REQUIRE(gates.Admit("ep_a", kT0 + i).kind == Kind::kGo);
    CHECK_FALSE(gates.Finish("ep_a", false, kT0 + i, "HTTP 500").opened);
  }
}

TEST_CASE("an endpoint failing everything for auto_disable_after is disabled with a reason",
          "[gate]") {
  EndpointGates gates(Options());
  // After a restart the streak's start comes from the store.
  db::EndpointHealth stored;
  stored.consecutive_failures = 1;
  stored.failing_since = kT0;
  gates.Learn(Claim("ep_a", {}, stored));
  REQUIRE(gates.Admit("ep_a", kT0 + 9000).kind == Kind::kGo);
  CHECK(gates.Finish("ep_a", false, kT0 + 9000, "HTTP 500").disable_reason.empty());
  // A second claim does not reset what the gate learned since.
  gates.Learn(Claim("ep_a", {}, db::EndpointHealth{}));
  REQUIRE(gates.Admit("ep_a", kT0 + 10'000).kind == Kind::kGo);
  auto f = gates.Finish("ep_a", false, kT0 + 10'000, "HTTP 502");
  CHECK_THAT(f.disable_reason, Catch::Contains("HTTP 502") && Catch::Contains("10s") &&
                                   Catch::Contains("3 in a row"));
}

TEST_CASE("claim allowances keep an endpoint's held claims to a few rounds of its cap", "[gate]") {
  GateOptions o = Options();
  o.claim_multiple = 4;
  EndpointGates gates(o);
  CHECK(gates.ClaimAllowances(kT0).default_per_endpoint == 8);
  gates.Learn(Claim("ep_a"));
  gates.Queued("ep_a", 5);
  REQUIRE(gates.Admit("ep_a", kT0).kind == Kind::kGo);
  gates.Queued("ep_a", -1);
  CHECK(gates.ClaimAllowances(kT0).per_endpoint ==
        std::vector<std::pair<std::string, int>>{{"ep_a", 3}});  // 8 - 4 queued - 1 in flight
  db::EndpointLimits slow;
  slow.rate_limit_per_s = 0.2;  // a few seconds' worth: 1
  gates.Learn(Claim("ep_b", slow));
  auto limits = gates.ClaimAllowances(kT0);
  CHECK(std::find(limits.per_endpoint.begin(), limits.per_endpoint.end(),
                  std::pair<std::string, int>{"ep_b", 1}) != limits.per_endpoint.end());
}
