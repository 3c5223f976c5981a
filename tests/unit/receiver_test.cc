#include "hookline/receiver/receiver.h"

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <latch>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "hookline/clock.h"
#include "hookline/receiver/memory_dedupe_store.h"
#include "hookline/secret.h"
#include "hookline/signing.h"

using namespace hookline;
using namespace hookline::receiver;

namespace {

constexpr const char* kBody =
    R"({"type":"invoice.paid","timestamp":"2026-01-01T00:00:00.000Z","data":{"amount":42}})";

// A store whose every operation fails, as a database that is down would.
class BrokenStore final : public DedupeStore {
 public:
  Result<ClaimResult> Claim(std::string_view) override {
    return Status::Unavailable("database is locked");
  }
  Status Complete(std::string_view) override { return Status::Unavailable("down"); }
  Status Release(std::string_view) override { return Status::Unavailable("down"); }
};

struct Fixture {
  FakeClock clock;
  Secret secret = Secret::Generate();
  MemoryDedupeStore store{MemoryDedupeStore::Options{.clock = &clock}};
  std::atomic<int> calls{0};
  std::function<Status(const Event&)> behaviour = [](const Event&) { return Status::Ok(); };
  std::mutex mu;
  std::vector<Event> seen;  // guarded by mu (copies without raw_body)

  Verifier MakeVerifier() {
    auto v = Verifier::Create({secret.Reveal()}, {.clock = &clock});
    REQUIRE(v.ok());
    return std::move(v).value();
  }

  Receiver Make(DedupeStore& s) {
    return Receiver(MakeVerifier(), s, [this](const Event& e) {
      ++calls;
      {
        std::lock_guard<std::mutex> lock(mu);
        seen.push_back(e);
        seen.back().raw_body = {};
      }
      return behaviour(e);
    });
  }

  Headers Signed(const std::string& id, std::string_view body, int64_t ts = -1) {
    if (ts < 0) ts = clock.NowUnixSeconds();
    return {{"webhook-id", id},
            {"webhook-timestamp", std::to_string(ts)},
            {"webhook-signature", Sign(secret, id, ts, body)}};
  }
};

std::string StatusField(const Response& r) {
  return nlohmann::json::parse(r.body).at("status").get<std::string>();
}
std::string ReasonField(const Response& r) {
  return nlohmann::json::parse(r.body).at("reason").get<std::string>();
}

}  // namespace

TEST_CASE("a first delivery is processed and handed over whole", "[receiver]") {
  Fixture f;
  Receiver receiver = f.Make(f.store);
  std::string_view seen_raw;
  f.behaviour = [&](const Event& e) {
    seen_raw = e.raw_body;
    return Status::Ok();
  };
  Response r = receiver.Handle(f.Signed("evt_1", kBody), kBody);
  CHECK(r.status == 200);
  CHECK(r.body == R"({"status":"processed"})");
  REQUIRE(f.seen.size() == 1);
  CHECK(f.seen[0].id == "evt_1");
  CHECK(f.seen[0].type == "invoice.paid");
  CHECK(f.seen[0].timestamp == "2026-01-01T00:00:00.000Z");
  CHECK(f.seen[0].data == R"({"amount":42})");
  CHECK(seen_raw.data() == std::string_view(kBody).data());
  auto claim = f.store.Claim("evt_1");
  REQUIRE(claim.ok());
  CHECK(*claim == ClaimResult::kDone);
}

TEST_CASE("a redelivery of a processed event is a duplicate", "[receiver]") {
  Fixture f;
  Receiver receiver = f.Make(f.store);
  CHECK(receiver.Handle(f.Signed("evt_1", kBody), kBody).status == 200);
  for (int i = 0; i < 3; ++i) {
    f.clock.Advance(std::chrono::seconds(30));  // a later attempt: new timestamp, same id
    Response r = receiver.Handle(f.Signed("evt_1", kBody), kBody);
    CHECK(r.status == 200);
    CHECK(r.body == R"({"status":"duplicate"})");
  }
  CHECK(f.calls == 1);
  CHECK(receiver.Handle(f.Signed("evt_2", kBody), kBody).status == 200);
  CHECK(f.calls == 2);
}

TEST_CASE("bad headers answer 400, bad signatures and stale timestamps 401", "[receiver]") {
  Fixture f;
  Receiver receiver = f.Make(f.store);
  Headers good = f.Signed("evt_1", kBody);

  Headers no_sig{{"webhook-id", "evt_1"},
                 {"webhook-timestamp", std::string(*good.Get("webhook-timestamp"))}};
  Response missing = receiver.Handle(no_sig, kBody);
  CHECK(missing.status == 400);
  CHECK(ReasonField(missing) == "missing_header");
  CHECK(nlohmann::json::parse(missing.body).at("message") == "missing webhook-signature header");

  Headers bad_ts{{"webhook-id", "evt_1"},
                 {"webhook-timestamp", "12a"},
                 {"webhook-signature", std::string(*good.Get("webhook-signature"))}};
  CHECK(receiver.Handle(bad_ts, kBody).status == 400);
  CHECK(ReasonField(receiver.Handle(bad_ts, kBody)) == "malformed_timestamp");

  Response tampered = receiver.Handle(good, R"({"type":"invoice.paid","data":{"amount":1}})");
  CHECK(tampered.status == 401);
  CHECK(ReasonField(tampered) == "no_matching_signature");
  CHECK(StatusField(tampered) == "rejected");

  int64_t now = f.clock.NowUnixSeconds();
  Response stale = receiver.Handle(f.Signed("evt_1", kBody, now - 301), kBody);
  CHECK(stale.status == 401);
  CHECK(ReasonField(stale) == "timestamp_too_old");
  Response future = receiver.Handle(f.Signed("evt_1", kBody, now + 301), kBody);
  CHECK(future.status == 401);
  CHECK(ReasonField(future) == "timestamp_too_new");

  CHECK(f.calls == 0);
  // None of that touched the dedupe store.
  auto claim = f.store.Claim("evt_1");
  REQUIRE(claim.ok());
  CHECK(*claim == ClaimResult::kNew);
}

TEST_CASE("a signed body that is not an event answers 400 and claims nothing", "[receiver]") {
  Fixture f;
  Receiver receiver = f.Make(f.store);
  const char* bodies[] = {"",
                          "not json",
                          "[1,2,3]",
                          "\"invoice.paid\"",
                          R"({"data":{}})",
                          R"({"type":42})",
                          R"({"type":null})",
                          R"({"type":"x")",
                          "{\"type\":\"\xff\xfe\"}"};
  for (const char* body : bodies) {
    INFO(body);
    Response r = receiver.Handle(f.Signed("evt_bad", body), body);
    CHECK(r.status == 400);
    CHECK(ReasonField(r) == "bad_body");
  }
  CHECK(f.calls == 0);
  CHECK(f.store.size() == 0);
  // A minimal event is fine: timestamp and data are optional.
  CHECK(receiver.Handle(f.Signed("evt_min", R"({"type":"t"})"), R"({"type":"t"})").status == 200);
  REQUIRE(f.seen.size() == 1);
  CHECK(f.seen[0].data == "null");
  CHECK(f.seen[0].timestamp.empty());
}

TEST_CASE("an event being processed elsewhere answers 409", "[receiver]") {
  Fixture f;
  Receiver receiver = f.Make(f.store);
  auto claim = f.store.Claim("evt_busy");
  REQUIRE(claim.ok());
  Response r = receiver.Handle(f.Signed("evt_busy", kBody), kBody);
  CHECK(r.status == 409);
  CHECK(ReasonField(r) == "in_progress");
  CHECK(f.calls == 0);
  REQUIRE(f.store.Complete("evt_busy").ok());
  CHECK(StatusField(receiver.Handle(f.Signed("evt_busy", kBody), kBody)) == "duplicate");
}

TEST_CASE("a failing handler answers 500 and the retry processes", "[receiver]") {
  Fixture f;
  Receiver receiver = f.Make(f.store);
  SECTION("returned error") {
    f.behaviour = [](const Event&) { return Status::Unavailable("warehouse down"); };
    Response r = receiver.Handle(f.Signed("evt_1", kBody), kBody);
    CHECK(r.status == 500);
    CHECK(ReasonField(r) == "handler_failed");
    CHECK(nlohmann::json::parse(r.body).at("message") == "unavailable: warehouse down");
  }
  SECTION("thrown exception") {
    f.behaviour = [](const Event&) -> Status { throw std::runtime_error("boom"); };
    Response r = receiver.Handle(f.Signed("evt_1", kBody), kBody);
    CHECK(r.status == 500);
    CHECK(nlohmann::json::parse(r.body).at("message") == "internal: handler threw: boom");
  }
  SECTION("thrown non-exception") {
    f.behaviour = [](const Event&) -> Status { throw 7; };
    CHECK(receiver.Handle(f.Signed("evt_1", kBody), kBody).status == 500);
  }
  f.behaviour = [](const Event&) { return Status::Ok(); };
  f.clock.Advance(std::chrono::seconds(5));
  CHECK(StatusField(receiver.Handle(f.Signed("evt_1", kBody), kBody)) == "processed");
  CHECK(StatusField(receiver.Handle(f.Signed("evt_1", kBody), kBody)) == "duplicate");
  CHECK(f.calls == 2);
}

TEST_CASE("a failing dedupe store answers 503 without calling the handler", "[receiver]") {
  Fixture f;
  auto broken = std::make_shared<BrokenStore>();
  Receiver receiver(f.MakeVerifier(), broken, [&](const Event&) {
    ++f.calls;
    return Status::Ok();
  });
  Response r = receiver.Handle(f.Signed("evt_1", kBody), kBody);
  CHECK(r.status == 503);
  CHECK(ReasonField(r) == "dedupe_unavailable");
  CHECK(f.calls == 0);
}

TEST_CASE("8 threads delivering one event run the handler once", "[receiver]") {
  Fixture f;
  Receiver receiver = f.Make(f.store);
  f.behaviour = [](const Event&) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    return Status::Ok();
  };
  for (int round = 0; round < 5; ++round) {
    std::string id = "evt_concurrent_" + std::to_string(round);
    Headers headers = f.Signed(id, kBody);
    std::latch start(8);
    std::atomic<int> processed{0}, duplicate{0}, busy{0}, other{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 8; ++t) {
      threads.emplace_back([&] {
        start.arrive_and_wait();
        Response r = receiver.Handle(headers, kBody);
        if (r.status == 200 && StatusField(r) == "processed") {
          ++processed;
        } else if (r.status == 200) {
          ++duplicate;
        } else if (r.status == 409) {
          ++busy;
        } else {
          ++other;
        }
      });
    }
    for (auto& th : threads) th.join();
    CHECK(processed == 1);
    CHECK(duplicate + busy == 7);
    CHECK(other == 0);
    // The senders that got 409 retry later and learn it is done.
    CHECK(StatusField(receiver.Handle(headers, kBody)) == "duplicate");
  }
  CHECK(f.calls == 5);
}
