// Deliveries from a real hookd to real receivers on loopback, with fast schedules.
#include <catch2/catch.hpp>

#include "hookline/secret.h"
#include "hookline/signing.h"
#include "support/hookd_fixture.h"
#include "support/test_receiver.h"

using namespace hookline;
using namespace hookline::testing;
using namespace std::chrono_literals;

namespace {

constexpr const char* kSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

Json WaitForDelivery(const Hookd& hookd, const std::string& event_id, const std::string& status) {
  Json found;
  Eventually([&] {
    Json list = hookd.Deliveries(event_id);
    if (list.size() == 1 && list[0]["status"] == status) found = list[0];
    return !found.is_null();
  });
  return found;
}

// A port that nothing listens on (bound once, then released).
int FreePort() {
  TestReceiver probe;
  return probe.port();
}

std::vector<std::string> Processed(int port) {
  httplib::Client cli("127.0.0.1", port);
  auto r = cli.Get("/processed");
  if (!r || r->status != 200) return {};
  return Json::parse(r->body)["processed"].get<std::vector<std::string>>();
}

}  // namespace

TEST_CASE("an event reaches the example receiver and verifies there", "[integration][delivery]") {
  TempDir dir;
  ChildProcess receiver({RECEIVER_SERVER_PATH, "--port", "0", "--secret", kSecret},
                        dir.File("receiver.log"));
  REQUIRE(receiver.WaitListening() > 0);
  Hookd hookd(dir);
  std::string url = "http://127.0.0.1:" + std::to_string(receiver.port()) + "/webhooks";
  REQUIRE_FALSE(hookd.CreateEndpoint(url, Json{{"secret", kSecret}}).empty());
  std::string id = hookd.PostEvent("user.created", Json{{"name", "Ada"}});
  REQUIRE_FALSE(id.empty());
  INFO(hookd.Log() << receiver.Log());
  CHECK(Eventually([&] { return Processed(receiver.port()) == std::vector<std::string>{id}; }));
  CHECK_FALSE(WaitForDelivery(hookd, id, "succeeded").is_null());
}

TEST_CASE("the signed request has the Standard Webhooks shape", "[integration][delivery]") {
  TempDir dir;
  TestReceiver receiver;
  Hookd hookd(dir);
  REQUIRE_FALSE(hookd.CreateEndpoint(receiver.url(), Json{{"secret", kSecret}}).empty());
  std::string id = hookd.PostEvent("invoice.paid", Json{{"amount", 10}});
  REQUIRE(Eventually([&] { return receiver.count() == 1; }));
  ReceivedRequest r = receiver.requests()[0];
  CHECK(r.id == id);
  CHECK(r.content_type == "application/json");
  Signer signer(*Secret::Parse(kSecret));
  CHECK(r.signature == signer.Sign(id, std::stoll(r.timestamp), r.body));
  Json body = Json::parse(r.body);
  CHECK(body["type"] == "invoice.paid");
  CHECK(body["data"]["amount"] == 10);
  CHECK(body["timestamp"].get<std::string>().size() == 24);  // RFC 3339 with milliseconds
}

TEST_CASE("a receiver failing N times gets N+1 attempts, spaced by the jittered schedule",
          "[integration][delivery]") {
  TempDir dir;
  TestReceiver receiver([](int n, const ReceivedRequest&) {
    return Answer{n < 3 ? 503 : 200, n < 3 ? "down" : "ok", {}};
  });
  Hookd hookd(dir, {"--retry-schedule", "200ms,400ms,800ms", "--retry-jitter", "0.2"});
  REQUIRE_FALSE(hookd.CreateEndpoint(receiver.url()).empty());
  std::string id = hookd.PostEvent("a.b");
  Json done = WaitForDelivery(hookd, id, "succeeded");
  REQUIRE_FALSE(done.is_null());
  CHECK(done["attempts"] == 4);
  auto reqs = receiver.requests();
  REQUIRE(reqs.size() == 4);
  const double base[] = {200, 400, 800};
  for (size_t i = 1; i < reqs.size(); ++i) {
    double gap = std::chrono::duration<double, std::milli>(reqs[i].at - reqs[i - 1].at).count();
    INFO("gap " << i << " = " << gap << " ms");
    CHECK(reqs[i].id == id);                // the same webhook-id every time
    CHECK(reqs[i].body == reqs[0].body);    // byte-identical
    CHECK(gap >= base[i - 1] * 0.8 - 5);    // never early
    CHECK(gap <= base[i - 1] * 1.2 + 500);  // late only by scheduling noise
  }
  Json detail = hookd.Get("/v1/deliveries/" + done["id"].get<std::string>()).body;
  REQUIRE(detail["history"].size() == 4);
  CHECK(detail["history"][0]["status_code"] == 503);
  CHECK(detail["history"][0]["response_excerpt"] == "down");
  CHECK(detail["history"][3]["status_code"] == 200);
}

TEST_CASE("a 4xx other than 408/429 fails at once", "[integration][delivery]") {
  TempDir dir;
  TestReceiver receiver([](int, const ReceivedRequest&) { return Answer{422, "bad payload", {}}; });
  Hookd hookd(dir);
  REQUIRE_FALSE(hookd.CreateEndpoint(receiver.url()).empty());
  std::string id = hookd.PostEvent("a.b");
  Json failed = WaitForDelivery(hookd, id, "failed");
  REQUIRE_FALSE(failed.is_null());
  CHECK(failed["attempts"] == 1);
  CHECK(failed["last_status_code"] == 422);
  std::this_thread::sleep_for(800ms);  // longer than the whole retry schedule
  CHECK(receiver.count() == 1);
}

TEST_CASE("429 with Retry-After delays the next attempt", "[integration][delivery]") {
  TempDir dir;
  TestReceiver receiver([](int n, const ReceivedRequest&) {
    return n == 0 ? Answer{429, "slow down", {{"Retry-After", "1"}}} : Answer{};
  });
  Hookd hookd(dir);
  REQUIRE_FALSE(hookd.CreateEndpoint(receiver.url()).empty());
  std::string id = hookd.PostEvent("a.b");
  REQUIRE_FALSE(WaitForDelivery(hookd, id, "succeeded").is_null());
  auto reqs = receiver.requests();
  REQUIRE(reqs.size() == 2);
  CHECK(reqs[1].at - reqs[0].at >= 950ms);  // the schedule alone would say ~100 ms
}

TEST_CASE("410 Gone fails the delivery and disables the endpoint", "[integration][delivery]") {
  TempDir dir;
  TestReceiver receiver([](int, const ReceivedRequest&) { return Answer{410, "gone", {}}; });
  Hookd hookd(dir);
  std::string ep = hookd.CreateEndpoint(receiver.url());
  std::string id = hookd.PostEvent("a.b");
  Json failed = WaitForDelivery(hookd, id, "failed");
  REQUIRE_FALSE(failed.is_null());
  Json endpoint = hookd.Get("/v1/endpoints/" + ep).body;
  CHECK(endpoint["disabled"] == true);
  CHECK(endpoint["disabled_reason"].get<std::string>().find("410") != std::string::npos);
  ApiReply next = hookd.Post("/v1/events", Json{{"type", "a.b"}, {"data", 1}});
  CHECK(next.body["deliveries"] == 0);  // disabled endpoints get no new deliveries
}

TEST_CASE("a receiver down past the schedule leaves a failed delivery that a retry delivers",
          "[integration][delivery]") {
  TempDir dir;
  int port = FreePort();
  Hookd hookd(dir);
  REQUIRE_FALSE(hookd
                    .CreateEndpoint("http://127.0.0.1:" + std::to_string(port) + "/webhooks",
                                    Json{{"secret", kSecret}})
                    .empty());
  std::string id = hookd.PostEvent("a.b");
  Json failed = WaitForDelivery(hookd, id, "failed");
  REQUIRE_FALSE(failed.is_null());
  CHECK(failed["attempts"] == 4);
  CHECK(failed["last_error"].get<std::string>().find("attempts exhausted") != std::string::npos);

  ChildProcess receiver({RECEIVER_SERVER_PATH, "--port", std::to_string(port), "--secret", kSecret},
                        dir.File("receiver.log"));
  REQUIRE(receiver.WaitListening() == port);
  ApiReply retry =
      hookd.Post("/v1/deliveries/" + failed["id"].get<std::string>() + "/retry", Json::object());
  CHECK(retry.status == 202);
  CHECK(retry.body["status"] == "pending");
  // Pending or in flight: not twice (409). The dispatcher may also have
  // delivered it already, and a succeeded delivery may be sent again on
  // purpose (202): then it is attempted once more, and the receiver, which
  // dedupes by webhook-id, still processes it once.
  ApiReply again =
      hookd.Post("/v1/deliveries/" + failed["id"].get<std::string>() + "/retry", Json::object());
  int attempts = 5;
  if (again.status == 202) {
    attempts = 6;
  } else {
    CHECK(again.status == 409);
  }
  CHECK(Eventually([&] { return Processed(port) == std::vector<std::string>{id}; }));
  Json done;
  bool settled = Eventually([&] {
    Json list = hookd.Deliveries(id);
    if (list.size() == 1) done = list[0];
    return done.is_object() && done["status"] == "succeeded" && done["attempts"] == attempts;
  });
  INFO(done.dump());
  CHECK(settled);
}

TEST_CASE("bulk retry re-drives an endpoint's failed deliveries", "[integration][delivery]") {
  TempDir dir;
  std::atomic<bool> healthy{false};
  TestReceiver receiver([&](int, const ReceivedRequest&) {
    return healthy ? Answer{} : Answer{400, "broken handler", {}};
  });
  Hookd hookd(dir);
  std::string ep = hookd.CreateEndpoint(receiver.url());
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) ids.push_back(hookd.PostEvent("a.b"));
  for (auto& id : ids) REQUIRE_FALSE(WaitForDelivery(hookd, id, "failed").is_null());
  ApiReply dry = hookd.Post("/v1/deliveries/retry", Json{{"endpoint_id", ep}, {"dry_run", true}});
  CHECK(dry.body["count"] == 3);
  CHECK(receiver.count() == 3);
  healthy = true;
  ApiReply run =
      hookd.Post("/v1/deliveries/retry", Json{{"status", "failed"}, {"endpoint_id", ep}});
  CHECK(run.status == 202);
  CHECK(run.body["count"] == 3);
  for (auto& id : ids) CHECK_FALSE(WaitForDelivery(hookd, id, "succeeded").is_null());
  CHECK(receiver.count() == 6);
}

TEST_CASE("events are routed by the endpoints' type filters", "[integration][delivery]") {
  TempDir dir;
  TestReceiver invoices, users;
  Hookd hookd(dir);
  REQUIRE_FALSE(hookd.CreateEndpoint(invoices.url(), Json{{"event_types", {"invoice.*"}}}).empty());
  REQUIRE_FALSE(hookd.CreateEndpoint(users.url(), Json{{"event_types", {"user.created"}}}).empty());
  hookd.PostEvent("invoice.paid");
  hookd.PostEvent("user.created");
  hookd.PostEvent("user.deleted");
  CHECK(Eventually([&] { return invoices.count() == 1 && users.count() == 1; }));
  std::this_thread::sleep_for(200ms);
  CHECK(invoices.count() == 1);
  CHECK(users.count() == 1);
}

TEST_CASE("https endpoints must present a certificate the system trusts",
          "[integration][delivery]") {
  TempDir dir;
  std::string cert = dir.File("cert.pem"), key = dir.File("key.pem");
  std::string cmd =
      "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 -keyout " + key +
      " -out " + cert + " >/dev/null 2>&1";
  REQUIRE(std::system(cmd.c_str()) == 0);
  httplib::SSLServer tls(cert.c_str(), key.c_str());
  REQUIRE(tls.is_valid());
  std::atomic<int> served{0};
  tls.Post(".*", [&](const httplib::Request&, httplib::Response& res) {
    ++served;
    res.set_content("ok", "text/plain");
  });
  int port = tls.bind_to_any_port("127.0.0.1");
  std::thread server([&] { tls.listen_after_bind(); });
  {
    Hookd hookd(dir, {"--retry-schedule", "50ms"});
    REQUIRE_FALSE(hookd.CreateEndpoint("https://127.0.0.1:" + std::to_string(port) + "/h").empty());
    std::string id = hookd.PostEvent("a.b");
    Json failed = WaitForDelivery(hookd, id, "failed");
    REQUIRE_FALSE(failed.is_null());
    Json history = hookd.Get("/v1/deliveries/" + failed["id"].get<std::string>()).body["history"];
    INFO(history.dump());
    CHECK(history[0]["error"].get<std::string>().find("TLS") != std::string::npos);
    CHECK(served == 0);  // the self-signed server never got the payload
  }
  tls.stop();
  server.join();
}

TEST_CASE("the attempt timeout bounds the whole answer, even one trickled byte by byte",
          "[integration][delivery]") {
  TempDir dir;
  // Headers at once, then one body byte every 200 ms for 3 s: every read succeeds
  // within a socket timeout, so only a total deadline ends the attempt.
  httplib::Server slow;
  slow.Post(".*", [](const httplib::Request&, httplib::Response& res) {
    res.set_chunked_content_provider("text/plain", [](size_t offset, httplib::DataSink& sink) {
      if (offset >= 15) return false;
      std::this_thread::sleep_for(200ms);
      sink.write("x", 1);
      if (offset + 1 >= 15) sink.done();
      return true;
    });
  });
  int port = slow.bind_to_any_port("127.0.0.1");
  std::thread server([&] { slow.listen_after_bind(); });
  {
    Hookd hookd(dir, {"--timeout", "500ms", "--retry-schedule", "50ms"});
    REQUIRE_FALSE(hookd.CreateEndpoint("http://127.0.0.1:" + std::to_string(port) + "/").empty());
    std::string id = hookd.PostEvent("a.b");
    // Without a total deadline each attempt would end after 3 s with a 200.
    Json failed = WaitForDelivery(hookd, id, "failed");
    REQUIRE_FALSE(failed.is_null());
    Json history = hookd.Get("/v1/deliveries/" + failed["id"].get<std::string>()).body["history"];
    INFO(history.dump());
    REQUIRE(history.size() == 2);
    CHECK(history[0]["error"].get<std::string>().find("timeout") != std::string::npos);
  }
  slow.stop();
  server.join();
}
