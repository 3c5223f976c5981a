// Operational webhooks of a real hookd on loopback (--ops-endpoint): what the
// operations endpoint receives, signed with its own secret, and what it never
// receives.
#include <signal.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <thread>

#include "hookline/receiver/verifier.h"
#include "support/hookd_fixture.h"
#include "support/test_receiver.h"

using namespace hookline;
using namespace hookline::testing;
using namespace std::chrono_literals;

namespace {

constexpr const char* kOpsSecret = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";

// The operations endpoint as the API lists it ("" id when there is none).
Json OpsEndpoint(const Hookd& hookd) {
  Json list = hookd.Get("/v1/endpoints?limit=100").body["data"];
  for (const Json& e : list) {
    if (e["operations"] == true) return e;
  }
  return Json{{"id", ""}};
}

Json DeliveriesOf(const Hookd& hookd, const std::string& endpoint) {
  return hookd.Get("/v1/deliveries?limit=1000&endpoint_id=" + endpoint).body["data"];
}

// The notices received so far, parsed, after checking each one's signature
// against `secret` (and only it).
std::vector<Json> Notices(const TestReceiver& ops, const std::string& secret) {
  auto verifier = receiver::Verifier::Create({secret});
  REQUIRE(verifier.ok());
  std::vector<Json> out;
  for (const ReceivedRequest& r : ops.requests()) {
    auto v = verifier->Verify(r.id, r.timestamp, r.signature, r.body);
    INFO(v.message);
    CHECK(v.outcome == receiver::VerifyOutcome::kOk);
    Json body = Json::parse(r.body, nullptr, false);
    body["webhook_id"] = r.id;
    out.push_back(body);
  }
  return out;
}

size_t CountType(const std::vector<Json>& notices, const std::string& type) {
  size_t n = 0;
  for (const Json& j : notices) n += j["type"] == type ? 1 : 0;
  return n;
}

}  // namespace

TEST_CASE("a delivery that fails for good raises delivery.failed, signed with the ops secret",
          "[integration][ops]") {
  TempDir dir;
  TestReceiver ops;
  TestReceiver broken([](int, const ReceivedRequest&) { return Answer{500, "down", {}}; });
  Hookd hookd(dir, {"--ops-endpoint", ops.url("/ops")});
  Json ops_ep = OpsEndpoint(hookd);
  REQUIRE(ops_ep["id"] != "");
  CHECK(ops_ep["url"] == ops.url("/ops"));
  std::string secret = hookd.Get("/v1/endpoints/" + ops_ep["id"].get<std::string>() + "/secret")
                           .body["secret"]
                           .get<std::string>();
  std::string ep = hookd.CreateEndpoint(broken.url());
  REQUIRE(ep != "");
  CHECK(hookd.Get("/v1/endpoints/" + ep + "/secret").body["secret"] != secret);

  // An event applications post goes to their endpoints only.
  ApiReply posted = hookd.Post("/v1/events", Json{{"type", "order.created"}, {"data", {}}});
  REQUIRE(posted.status == 202);
  CHECK(posted.body["deliveries"] == 1);
  std::string event = posted.body["id"];

  // 1 attempt + 3 retries (100ms, 200ms, 400ms), then failed.
  REQUIRE(Eventually([&] { return ops.count() >= 1; }, 10s));
  std::this_thread::sleep_for(300ms);  // a second notice would have come by now
  std::vector<Json> notices = Notices(ops, secret);
  INFO(hookd.Log());
  REQUIRE(notices.size() == 1);
  const Json& n = notices[0];
  CHECK(n["type"] == "delivery.failed");
  CHECK(n["timestamp"].is_string());
  Json delivery = hookd.Deliveries(event)[0];
  CHECK(n["data"]["delivery_id"] == delivery["id"]);
  CHECK(n["data"]["event_id"] == event);
  CHECK(n["data"]["event_type"] == "order.created");
  CHECK(n["data"]["endpoint_id"] == ep);
  CHECK(n["data"]["attempts"] == 4);
  CHECK(n["data"]["last_status_code"] == 500);
  CHECK(n["data"]["reason"].get<std::string>().find("attempts exhausted (4)") != std::string::npos);
  CHECK(delivery["status"] == "failed");
  // The notice is an event of the outbox like any other, and was delivered once.
  ApiReply stored = hookd.Get("/v1/events/" + n["webhook_id"].get<std::string>());
  REQUIRE(stored.status == 200);
  CHECK(stored.body["type"] == "delivery.failed");
  REQUIRE(Eventually([&] {
    Json list = DeliveriesOf(hookd, ops_ep["id"]);
    return list.size() == 1 && list[0]["status"] == "succeeded";
  }));
}

TEST_CASE("a 410 raises one endpoint.disabled however many attempts were in flight",
          "[integration][ops]") {
  TempDir dir;
  TestReceiver ops;
  TestReceiver gone([](int, const ReceivedRequest&) {
    std::this_thread::sleep_for(20ms);  // keeps several attempts in flight together
    return Answer{410, "gone", {}};
  });
  Hookd hookd(dir, {"--ops-endpoint", ops.url("/ops"), "--ops-secret", kOpsSecret});
  std::string ep = hookd.CreateEndpoint(gone.url(), Json{{"max_in_flight", 4}});
  REQUIRE(ep != "");
  for (int i = 0; i < 8; ++i) REQUIRE(hookd.PostEvent("order.created") != "");

  auto settled = [&] {
    Json list = DeliveriesOf(hookd, ep);
    for (const Json& d : list) {
      if (d["status"] != "failed" && d["status"] != "paused") return false;
    }
    return list.size() == 8;
  };
  REQUIRE(Eventually(settled, 10s));
  size_t failed = 0;
  for (const Json& d : DeliveriesOf(hookd, ep)) failed += d["status"] == "failed" ? 1 : 0;
  CHECK(failed >= 1);
  REQUIRE(Eventually([&] { return ops.count() == failed + 1; }, 10s));
  std::this_thread::sleep_for(300ms);
  INFO(hookd.Log());
  std::vector<Json> notices = Notices(ops, kOpsSecret);  // the secret given on the command line
  CHECK(notices.size() == failed + 1);
  CHECK(CountType(notices, "endpoint.disabled") == 1);
  CHECK(CountType(notices, "delivery.failed") == failed);
  for (const Json& n : notices) {
    if (n["type"] != "endpoint.disabled") continue;
    CHECK(n["data"]["endpoint_id"] == ep);
    CHECK(n["data"]["reason"].get<std::string>().find("410") != std::string::npos);
  }
  CHECK(hookd.Get("/v1/endpoints/" + ep).body["disabled"] == true);
}

TEST_CASE("a success after the breaker opened raises endpoint.recovered", "[integration][ops]") {
  TempDir dir;
  TestReceiver ops;
  TestReceiver flaky([](int n, const ReceivedRequest&) {
    return Answer{n < 2 ? 503 : 200, "", {}};
  });
  Hookd hookd(dir, {"--ops-endpoint", ops.url("/ops"), "--ops-secret", kOpsSecret,
                    "--breaker-threshold", "2", "--breaker-cooldown", "300ms"});
  std::string ep = hookd.CreateEndpoint(flaky.url());
  REQUIRE(ep != "");
  std::string event = hookd.PostEvent("order.created");
  REQUIRE(event != "");
  REQUIRE(Eventually([&] { return ops.count() >= 1; }, 10s));
  std::this_thread::sleep_for(300ms);
  INFO(hookd.Log());
  std::vector<Json> notices = Notices(ops, kOpsSecret);
  REQUIRE(notices.size() == 1);
  CHECK(notices[0]["type"] == "endpoint.recovered");
  CHECK(notices[0]["data"]["endpoint_id"] == ep);
  CHECK(notices[0]["data"]["consecutive_failures"] == 2);
  CHECK(notices[0]["data"]["failing_since"].is_string());
  CHECK(hookd.Deliveries(event)[0]["status"] == "succeeded");
}

TEST_CASE("a failing operations endpoint raises no notices about itself", "[integration][ops]") {
  TempDir dir;
  TestReceiver ops([](int, const ReceivedRequest&) { return Answer{500, "ops down", {}}; });
  TestReceiver broken([](int, const ReceivedRequest&) { return Answer{400, "bad", {}}; });
  Hookd hookd(dir, {"--ops-endpoint", ops.url("/ops"), "--ops-secret", kOpsSecret});
  std::string ops_id = OpsEndpoint(hookd)["id"];
  std::string ep = hookd.CreateEndpoint(broken.url());
  REQUIRE(hookd.PostEvent("order.created") != "");
  // The user's delivery fails at once (400); its notice is tried 4 times and fails.
  REQUIRE(Eventually(
      [&] {
        Json list = DeliveriesOf(hookd, ops_id);
        return list.size() == 1 && list[0]["status"] == "failed";
      },
      10s));
  std::this_thread::sleep_for(500ms);
  INFO(hookd.Log());
  CHECK(DeliveriesOf(hookd, ops_id).size() == 1);
  auto requests = ops.requests();
  CHECK(requests.size() == 4);
  for (const auto& r : requests) CHECK(r.id == requests[0].id);
}

TEST_CASE("notices wait while hookd runs without --ops-endpoint and go when it is back",
          "[integration][ops]") {
  TempDir dir;
  std::atomic<bool> ops_up{false};
  TestReceiver ops([&](int, const ReceivedRequest&) { return Answer{ops_up ? 200 : 503, "", {}}; });
  TestReceiver broken([](int, const ReceivedRequest&) { return Answer{400, "bad", {}}; });
  std::string ops_id, ep;
  {
    // A slow schedule: the notice's first attempt fails and waits 1 s.
    Hookd first(dir, {"--ops-endpoint", ops.url("/ops"), "--retry-schedule", "1s"});
    ops_id = OpsEndpoint(first)["id"];
    ep = first.CreateEndpoint(broken.url());
    REQUIRE(first.PostEvent("order.created") != "");
    REQUIRE(Eventually([&] { return ops.count() == 1; }, 10s));
    first.process().Signal(SIGTERM);
    REQUIRE(first.process().Wait() == 0);
  }
  {
    Hookd without(dir);
    Json e = without.Get("/v1/endpoints/" + ops_id).body;
    CHECK(e["disabled"] == true);
    CHECK(e["disabled_reason"] == "hookd was started without --ops-endpoint");
    Json list = DeliveriesOf(without, ops_id);
    REQUIRE(list.size() == 1);
    CHECK(list[0]["status"] == "paused");
    std::this_thread::sleep_for(1200ms);  // past the notice's retry time
    CHECK(ops.count() == 1);
    without.process().Signal(SIGTERM);
    REQUIRE(without.process().Wait() == 0);
  }
  ops_up = true;
  Hookd again(dir, {"--ops-endpoint", ops.url("/ops")});
  CHECK(OpsEndpoint(again)["id"] == ops_id);
  CHECK(OpsEndpoint(again)["disabled"] == false);
  REQUIRE(Eventually(
      [&] {
        Json list = DeliveriesOf(again, ops_id);
        return list.size() == 1 && list[0]["status"] == "succeeded";
      },
      10s));
  INFO(again.Log());
  auto requests = ops.requests();
  REQUIRE(requests.size() == 2);
  CHECK(requests[1].id == requests[0].id);  // the same notice: receivers dedupe it by id
}

TEST_CASE("an operations endpoint the SSRF guard refuses stops hookd at start-up",
          "[integration][ops]") {
  TempDir dir;
  ChildProcess hookd({HOOKD_PATH, "--listen", "127.0.0.1:0", "--db", dir.File("h.db"),
                      "--api-token", Hookd::kToken, "--ops-endpoint", "http://127.0.0.1:9/ops"},
                     dir.File("hookd.log"));
  CHECK(hookd.Wait() == 1);
  CHECK(hookd.Log().find("--ops-endpoint host") != std::string::npos);
  CHECK(hookd.Log().find("--allow-private-networks") != std::string::npos);
}
