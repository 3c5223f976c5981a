// Per-endpoint resilience of a real hookd on loopback: concurrency cap, rate
// limit, circuit breaker, auto-disable, secret rotation grace and retention.
#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <filesystem>
#include <thread>

#include "hookline/receiver/verifier.h"
#include "support/hookd_fixture.h"
#include "support/test_receiver.h"

using namespace hookline;
using namespace hookline::testing;
using namespace std::chrono_literals;

namespace {

using Steady = std::chrono::steady_clock;

Json Endpoint(const Hookd& hookd, const std::string& id) {
  return hookd.Get("/v1/endpoints/" + id).body;
}

// Every delivery of the endpoint, as hookd lists them.
Json DeliveriesOf(const Hookd& hookd, const std::string& endpoint) {
  return hookd.Get("/v1/deliveries?limit=1000&endpoint_id=" + endpoint).body["data"];
}

bool AllSucceeded(const Hookd& hookd, const std::string& endpoint, size_t n) {
  Json list = DeliveriesOf(hookd, endpoint);
  if (list.size() != n) return false;
  for (const Json& d : list) {
    if (d["status"] != "succeeded") return false;
  }
  return true;
}

std::string Metrics(const Hookd& hookd) {
  httplib::Client cli("127.0.0.1", hookd.port());
  cli.set_read_timeout(10);
  auto r = cli.Get("/metrics");
  return r && r->status == 200 ? r->body : "";
}

int64_t AttemptsOf(const Hookd& hookd, const std::string& endpoint) {
  int64_t n = 0;
  for (const Json& d : DeliveriesOf(hookd, endpoint)) n += d["attempts"].get<int64_t>();
  return n;
}

}  // namespace

TEST_CASE("a hanging endpoint holds only its own slots while a healthy one keeps flowing",
          "[integration][resilience]") {
  TempDir dir;
  std::atomic<bool> stop_hanging{false};
  TestReceiver hanging([&](int, const ReceivedRequest&) {
    for (int i = 0; i < 300 && !stop_hanging; ++i) std::this_thread::sleep_for(10ms);
    return Answer{};
  });
  TestReceiver healthy;
  Hookd hookd(dir, {"--workers", "4", "--endpoint-max-in-flight", "2", "--timeout", "2s",
                    "--breaker-threshold", "0"});
  std::string slow = hookd.CreateEndpoint(hanging.url());
  std::string fast = hookd.CreateEndpoint(healthy.url());
  REQUIRE_FALSE(slow.empty());
  REQUIRE_FALSE(fast.empty());
  auto start = Steady::now();
  for (int i = 0; i < 20; ++i) REQUIRE_FALSE(hookd.PostEvent("order.paid").empty());
  INFO(hookd.Log());
  // Without the cap, the hanging endpoint's attempts take all 4 workers for two
  // seconds at a time and the healthy endpoint's 20 need about 10 s.
  REQUIRE(Eventually([&] { return healthy.count() >= 20; }, 20s));
  auto healthy_done = Steady::now() - start;
  CHECK(healthy_done < 5s);
  // Within its first timeout the hanging endpoint saw only its cap.
  size_t early = 0;
  for (const auto& r : hanging.requests()) early += r.at - start < 1800ms;
  CHECK(early <= 2);
  // The receiver has them all; hookd records outcomes a moment later.
  CHECK(Eventually([&] { return AllSucceeded(hookd, fast, 20); }));
  stop_hanging = true;
}

TEST_CASE("a rate-limited endpoint is sent at its rate without spending attempts",
          "[integration][resilience]") {
  TempDir dir;
  TestReceiver receiver;
  Hookd hookd(dir);
  std::string ep = hookd.CreateEndpoint(
      receiver.url(),
      Json{{"rate_limit_per_s", 10}, {"rate_limit_burst", 1}, {"max_in_flight", 4}});
  REQUIRE_FALSE(ep.empty());
  Json shown = Endpoint(hookd, ep);
  CHECK(shown["rate_limit_per_s"] == 10);
  CHECK(shown["rate_limit_burst"] == 1);
  for (int i = 0; i < 8; ++i) REQUIRE_FALSE(hookd.PostEvent("order.paid").empty());
  INFO(hookd.Log());
  REQUIRE(Eventually([&] { return AllSucceeded(hookd, ep, 8); }));
  auto requests = receiver.requests();
  REQUIRE(requests.size() == 8);
  // 8 sends at 10/s with a burst of 1: at least 7 intervals of 100 ms.
  CHECK(requests.back().at - requests.front().at >= 650ms);
  CHECK(AttemptsOf(hookd, ep) == 8);
  // 7 of the 8 claims waited for a token, each counted once.
  CHECK_THAT(
      Metrics(hookd),
      Catch::Contains("hookline_endpoint_rate_limited_waits_total{endpoint=\"" + ep + "\"} "));

  // Bad limits are refused with the field named.
  for (const Json& bad : {Json{{"rate_limit_per_s", 0}}, Json{{"rate_limit_per_s", "fast"}},
                          Json{{"rate_limit_burst", 0}}, Json{{"max_in_flight", 5000}},
                          Json{{"max_in_flight", 1.5}}}) {
    Json body = bad;
    body["url"] = receiver.url();
    ApiReply r = hookd.Post("/v1/endpoints", body);
    CHECK(r.status == 400);
    CHECK_THAT(r.body.dump(), Catch::Contains(bad.begin().key()));
  }
  // PATCH changes only what it names; null clears a limit.
  ApiReply patched = hookd.Call("PATCH", "/v1/endpoints/" + ep, R"({"rate_limit_per_s":null})");
  REQUIRE(patched.status == 200);
  CHECK(patched.body["rate_limit_per_s"].is_null());
  CHECK(patched.body["max_in_flight"] == 4);
}

TEST_CASE("the breaker opens after consecutive failures, holds deliveries, and a probe closes it",
          "[integration][resilience]") {
  TempDir dir;
  std::atomic<bool> failing{true};
  TestReceiver receiver([&](int, const ReceivedRequest&) {
    return Answer{failing ? 500 : 200, failing ? "down" : "ok", {}};
  });
  Hookd hookd(
      dir, {"--breaker-threshold", "3", "--breaker-cooldown", "1500ms", "--endpoint-max-in-flight",
            "1", "--retry-schedule", "50ms,50ms,50ms,50ms,50ms,50ms,50ms,50ms,50ms,50ms"});
  std::string ep = hookd.CreateEndpoint(receiver.url());
  REQUIRE_FALSE(ep.empty());
  for (int i = 0; i < 5; ++i) REQUIRE_FALSE(hookd.PostEvent("order.paid").empty());
  INFO(hookd.Log());
  REQUIRE(Eventually([&] { return Endpoint(hookd, ep)["circuit"]["state"] == "open"; }));
  Json circuit = Endpoint(hookd, ep)["circuit"];
  CHECK(circuit["consecutive_failures"] >= 3);
  CHECK(circuit["open_until"].is_string());
  CHECK(circuit["failing_since"].is_string());
  CHECK_THAT(Metrics(hookd), Catch::Contains("hookline_endpoint_circuit_state{endpoint=\"" + ep +
                                             "\",state=\"open\"} 1"));
  // While open, nothing is sent and no attempt is counted.
  size_t sent = receiver.count();
  std::this_thread::sleep_for(700ms);
  CHECK(receiver.count() == sent);
  CHECK(AttemptsOf(hookd, ep) == static_cast<int64_t>(sent));
  for (const Json& d : DeliveriesOf(hookd, ep)) CHECK(d["status"] == "pending");

  failing = false;  // the receiver recovers; after the cool-down one probe closes the breaker
  REQUIRE(Eventually([&] { return AllSucceeded(hookd, ep, 5); }));
  CHECK(Endpoint(hookd, ep)["circuit"]["state"] == "closed");
  CHECK(Endpoint(hookd, ep)["circuit"]["consecutive_failures"] == 0);
  CHECK_THAT(Metrics(hookd), !Catch::Contains("hookline_endpoint_circuit_state{endpoint"));
  CHECK_THAT(hookd.Log(), Catch::Contains("circuit open endpoint=" + ep));
  CHECK_THAT(hookd.Log(), Catch::Contains("endpoint=" + ep + " recovered"));
}

TEST_CASE(
    "an endpoint that fails everything for --auto-disable-after is disabled and keeps its "
    "queue for when it is enabled",
    "[integration][resilience]") {
  TempDir dir;
  std::atomic<bool> failing{true};
  TestReceiver receiver([&](int, const ReceivedRequest&) {
    return Answer{failing ? 503 : 200, "", {}};
  });
  Hookd hookd(dir, {"--auto-disable-after", "1s", "--breaker-threshold", "0", "--retry-schedule",
                    "200ms,200ms,200ms,200ms,200ms,200ms,200ms,200ms,200ms,200ms,200ms,200ms,"
                    "200ms,200ms,200ms,200ms,200ms,200ms,200ms,200ms"});
  std::string ep = hookd.CreateEndpoint(receiver.url());
  REQUIRE_FALSE(ep.empty());
  for (int i = 0; i < 3; ++i) REQUIRE_FALSE(hookd.PostEvent("order.paid").empty());
  INFO(hookd.Log());
  REQUIRE(Eventually([&] { return Endpoint(hookd, ep)["disabled"] == true; }));
  std::string reason = Endpoint(hookd, ep)["disabled_reason"];
  CHECK_THAT(reason, Catch::Contains("auto-disabled after 1s") && Catch::Contains("HTTP 503"));
  REQUIRE(Eventually([&] {
    Json list = DeliveriesOf(hookd, ep);
    if (list.size() != 3) return false;
    for (const Json& d : list) {
      if (d["status"] != "paused") return false;
    }
    return true;
  }));
  size_t sent = receiver.count();
  REQUIRE_FALSE(hookd.PostEvent("order.paid").empty());  // a disabled endpoint gets nothing new
  std::this_thread::sleep_for(500ms);
  CHECK(receiver.count() == sent);
  CHECK(DeliveriesOf(hookd, ep).size() == 3);

  failing = false;
  REQUIRE(hookd.Post("/v1/endpoints/" + ep + "/enable", Json::object()).status == 200);
  CHECK(Eventually([&] { return AllSucceeded(hookd, ep, 3); }));
}

TEST_CASE("a rotated secret signs beside the new one for --rotation-grace, then stops",
          "[integration][resilience]") {
  TempDir dir;
  TestReceiver receiver;
  Hookd hookd(dir, {"--rotation-grace", "1s"});
  const std::string old_secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
  const std::string new_secret = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";
  std::string ep = hookd.CreateEndpoint(receiver.url(), Json{{"secret", old_secret}});
  REQUIRE_FALSE(ep.empty());
  ApiReply rotated =
      hookd.Post("/v1/endpoints/" + ep + "/rotate-secret", Json{{"secret", new_secret}});
  REQUIRE(rotated.status == 200);
  REQUIRE(rotated.body["previous_secret_expires_at"].is_string());
  auto rotated_at = Steady::now();

  auto verifies = [](const ReceivedRequest& r, const std::string& secret) {
    auto verifier = receiver::Verifier::Create({secret});
    REQUIRE(verifier.ok());
    return verifier->Verify(r.id, r.timestamp, r.signature, r.body).outcome ==
           receiver::VerifyOutcome::kOk;
  };
  REQUIRE_FALSE(hookd.PostEvent("order.paid").empty());
  REQUIRE(Eventually([&] { return receiver.count() == 1; }));
  ReceivedRequest during = receiver.requests().at(0);
  INFO(during.signature);
  if (Steady::now() - rotated_at < 1s) {  // the grace could have passed on a very slow machine
    CHECK(std::count(during.signature.begin(), during.signature.end(), ' ') == 1);
    CHECK(verifies(during, old_secret));
  }
  CHECK(verifies(during, new_secret));

  std::this_thread::sleep_for(1100ms - (Steady::now() - rotated_at));
  REQUIRE_FALSE(hookd.PostEvent("order.paid").empty());
  REQUIRE(Eventually([&] { return receiver.count() == 2; }));
  ReceivedRequest after = receiver.requests().at(1);
  CHECK(after.signature.find(' ') == std::string::npos);
  CHECK(verifies(after, new_secret));
  CHECK_FALSE(verifies(after, old_secret));
}

TEST_CASE("with a short retention the database stops growing under a steady load",
          "[integration][resilience]") {
  TempDir dir;
  TestReceiver receiver;
  Hookd hookd(dir, {"--retention", "1s", "--failed-retention", "1s"});
  REQUIRE_FALSE(hookd.CreateEndpoint(receiver.url()).empty());
  auto file_bytes = [&](const char* suffix) -> uintmax_t {
    std::error_code ec;
    auto size = std::filesystem::file_size(hookd.db_path() + suffix, ec);
    return ec ? 0 : size;
  };
  Json data{{"padding", std::string(2000, 'x')}};
  std::string first = hookd.PostEvent("order.paid", data);
  REQUIRE_FALSE(first.empty());
  // About 100 events/s for 8 s (bounded by count and time): 1.6 MB of bodies.
  uintmax_t db_at_4s = 0, max_wal = 0;
  auto start = Steady::now();
  for (int i = 0; i < 800 && Steady::now() - start < 20s; ++i) {
    REQUIRE_FALSE(hookd.PostEvent("order.paid", data).empty());
    if (i == 400) db_at_4s = file_bytes("");
    max_wal = std::max(max_wal, file_bytes("-wal"));
    std::this_thread::sleep_for(10ms);
  }
  uintmax_t db_at_end = file_bytes("");
  INFO("database bytes after 400 events: " << db_at_4s << ", after 800: " << db_at_end
                                           << "; largest WAL: " << max_wal);
  // Without retention the second half adds ~0.8 MB of bodies alone; the WAL is
  // reset at 4 MiB (Checkpointer) and would otherwise grow without bound.
  CHECK(db_at_end <= db_at_4s + 200'000);
  CHECK(max_wal <= 8u << 20);
  CHECK(hookd.Get("/v1/events/" + first).status == 404);
  CHECK(receiver.count() >= 800);
}
