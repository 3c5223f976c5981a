// The dispatcher against a real SQLite outbox and a fake HTTP transport.
#include "dispatcher.h"

#include <atomic>
#include <catch2/catch.hpp>
#include <condition_variable>
#include <mutex>

#include "hookline/db/sqlite_outbox.h"
#include "hookline/encoding.h"
#include "hookline/ids.h"
#include "hookline/signing.h"
#include "support/process.h"
#include "support/temp_dir.h"

using namespace hookline;
using namespace hookline::sender;
using namespace std::chrono_literals;
using hookline::testing::Eventually;
using hookline::testing::TempDir;

namespace {

struct Call {
  std::string url;
  HeaderList headers;
  std::string body;
  std::string Header(const std::string& name) const {
    for (auto& [k, v] : headers) {
      if (k == name) return v;
    }
    return "";
  }
};

// Answers with `script(n)`; a script may block until Cancel() (a hung receiver).
class FakeHttp final : public HttpSender {
 public:
  std::function<AttemptResult(int n)> script = [](int) { return AttemptResult{200, "", "", "ok"}; };

  std::unique_ptr<HttpSession> NewSession() override { return std::make_unique<Session>(*this); }
  std::vector<Call> calls() {
    std::lock_guard lock(mu_);
    return calls_;
  }
  // For scripts: block until cancelled or `limit` passes.
  AttemptResult Hang(std::chrono::milliseconds limit) {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, limit, [&] { return cancelled_; });
    return AttemptResult{0, "cancelled", "", ""};
  }

 private:
  struct Session final : HttpSession {
    explicit Session(FakeHttp& f) : fake(f) {}
    AttemptResult Post(const Url& url, const HeaderList& headers, std::string_view body) override {
      int n;
      {
        std::lock_guard lock(fake.mu_);
        n = static_cast<int>(fake.calls_.size());
        fake.calls_.push_back(Call{url.Origin() + url.target, headers, std::string(body)});
      }
      return fake.script(n);
    }
    void Cancel() override {
      std::lock_guard lock(fake.mu_);
      fake.cancelled_ = true;
      fake.cv_.notify_all();
    }
    void CancelIfOverdue() override {}
    FakeHttp& fake;
  };
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Call> calls_;  // guarded by mu_
  bool cancelled_ = false;   // guarded by mu_
};

struct Fixture {
  TempDir dir;
  std::unique_ptr<db::Outbox> outbox = std::move(db::OpenSqliteOutbox(dir.File("h.db"))).value();
  FakeHttp http;
  DispatcherOptions options;
  Fixture() {
    options.workers = 2;
    options.schedule = *RetrySchedule::Parse("10ms,20ms", 0.0);
  }
  std::string AddEndpoint(const std::string& secret) {
    db::Endpoint e;
    e.url = "http://127.0.0.1:9/hook";
    e.secret = secret;
    e.created_at = SystemClock::Get().NowUnixMillis();
    return outbox->CreateEndpoint(e)->id;
  }
  std::string Ingest() {
    db::IngestRequest r;
    r.event.id = NewEventId();
    r.event.type = "t.x";
    r.event.body = R"({"type":"t.x","timestamp":"2026-01-01T00:00:00.000Z","data":{"a":1}})";
    r.event.created_at = r.now = SystemClock::Get().NowUnixMillis();
    REQUIRE(outbox->Ingest(r).ok());
    return r.event.id;
  }
  db::Delivery OnlyDelivery(const std::string& event_id) {
    db::DeliveryFilter f;
    f.event_id = event_id;
    return outbox->ListDeliveries(f)->items.at(0);
  }
};

constexpr const char* kSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

}  // namespace

TEST_CASE("each attempt is signed afresh over the same id and bytes", "[sender][dispatcher]") {
  Fixture f;
  f.AddEndpoint(kSecret);
  f.http.script = [](int n) { return AttemptResult{n < 2 ? 500 : 200, "", "", ""}; };
  Dispatcher d(*f.outbox, f.http, SystemClock::Get(), SystemRandom::Get(), f.options);
  REQUIRE(d.Start().ok());
  std::string event_id = f.Ingest();
  d.Notify();
  REQUIRE(Eventually(
      [&] { return f.OnlyDelivery(event_id).status == db::DeliveryStatus::kSucceeded; }));
  d.Stop(1s);

  auto calls = f.http.calls();
  REQUIRE(calls.size() == 3);
  Signer signer(*Secret::Parse(kSecret));
  for (const Call& c : calls) {
    CHECK(c.url == "http://127.0.0.1:9/hook");
    CHECK(c.Header("webhook-id") == event_id);
    CHECK(c.Header("content-type") == "application/json");
    CHECK(c.body == calls[0].body);
    int64_t ts = std::stoll(c.Header("webhook-timestamp"));
    CHECK(std::abs(ts - SystemClock::Get().NowUnixSeconds()) < 60);
    CHECK(c.Header("webhook-signature") == signer.Sign(event_id, ts, c.body));
  }
  db::Delivery del = f.OnlyDelivery(event_id);
  CHECK(del.attempts == 3);
  CHECK(f.outbox->ListAttempts(del.id)->size() == 3);
}

TEST_CASE("during a rotation both secrets sign", "[sender][dispatcher]") {
  Fixture f;
  std::string ep = f.AddEndpoint(kSecret);
  Secret next = Secret::Generate();
  int64_t now = SystemClock::Get().NowUnixMillis();
  REQUIRE(f.outbox->RotateSecret(ep, next.Reveal(), now + 60'000, now).ok());
  Dispatcher d(*f.outbox, f.http, SystemClock::Get(), SystemRandom::Get(), f.options);
  REQUIRE(d.Start().ok());
  std::string event_id = f.Ingest();
  d.Notify();
  REQUIRE(Eventually([&] { return f.http.calls().size() == 1; }));
  d.Stop(1s);
  Call c = f.http.calls()[0];
  int64_t ts = std::stoll(c.Header("webhook-timestamp"));
  CHECK(c.Header("webhook-signature") ==
        Signer(next).Sign(event_id, ts, c.body) + " " +
            Signer(*Secret::Parse(kSecret)).Sign(event_id, ts, c.body));
}

TEST_CASE("attempts stop when the schedule is exhausted", "[sender][dispatcher]") {
  Fixture f;
  f.AddEndpoint(kSecret);
  f.http.script = [](int) { return AttemptResult{0, "connection failed", "", ""}; };
  Dispatcher d(*f.outbox, f.http, SystemClock::Get(), SystemRandom::Get(), f.options);
  REQUIRE(d.Start().ok());
  std::string event_id = f.Ingest();
  d.Notify();
  REQUIRE(
      Eventually([&] { return f.OnlyDelivery(event_id).status == db::DeliveryStatus::kFailed; }));
  d.Stop(1s);
  CHECK(f.http.calls().size() == 3);  // 1 + two retries
  CHECK(f.OnlyDelivery(event_id).last_error.find("attempts exhausted") != std::string::npos);
}

TEST_CASE("shutdown cancels a hung attempt after the grace and gives its claim back",
          "[sender][dispatcher]") {
  Fixture f;
  f.AddEndpoint(kSecret);
  f.http.script = [&](int) { return f.http.Hang(10s); };
  auto d = std::make_unique<Dispatcher>(*f.outbox, f.http, SystemClock::Get(), SystemRandom::Get(),
                                        f.options);
  REQUIRE(d->Start().ok());
  std::string event_id = f.Ingest();
  d->Notify();
  REQUIRE(Eventually([&] { return f.http.calls().size() == 1; }));
  auto started = std::chrono::steady_clock::now();
  d->Stop(50ms);
  CHECK(std::chrono::steady_clock::now() - started < 5s);  // did not wait for the 10 s hang
  CHECK_FALSE(d->running());
  db::Delivery del = f.OnlyDelivery(event_id);
  CHECK(del.status == db::DeliveryStatus::kPending);
  CHECK(del.attempts == 0);  // an interrupted attempt is not counted against the schedule
}

TEST_CASE("an ending attempt wakes the scheduler to claim the endpoint's next deliveries",
          "[sender][dispatcher]") {
  // One endpoint capped at 1 attempt at a time: each claim may take only a few
  // of its deliveries, so draining the backlog takes one claim per few
  // attempts. Those claims must follow the attempts that free the slots, not
  // the scheduler's kLimitRecheck safety net (250 ms each: 300 deliveries
  // would take about 19 s).
  Fixture f;
  f.options.gates.default_max_in_flight = 1;
  f.AddEndpoint(kSecret);
  constexpr int kBacklog = 300;
  std::vector<std::string> events;
  for (int i = 0; i < kBacklog; ++i) events.push_back(f.Ingest());
  Dispatcher d(*f.outbox, f.http, SystemClock::Get(), SystemRandom::Get(), f.options);
  auto started = std::chrono::steady_clock::now();
  REQUIRE(d.Start().ok());
  d.Notify();
  auto drained = [&] {
    auto counts = f.outbox->CountDeliveries();
    return counts.ok() && counts->succeeded == kBacklog;
  };
  CHECK(Eventually(drained, 20s));
  auto took = std::chrono::steady_clock::now() - started;
  d.Stop(1s);
  CHECK(f.http.calls().size() == kBacklog);
  INFO("drained in " << std::chrono::duration_cast<std::chrono::milliseconds>(took).count()
                     << " ms");
  CHECK(took < 8s);
}

TEST_CASE("start-up releases what a dead process left inflight", "[sender][dispatcher]") {
  Fixture f;
  f.AddEndpoint(kSecret);
  std::string event_id = f.Ingest();
  int64_t now = SystemClock::Get().NowUnixMillis();
  REQUIRE(f.outbox->ClaimDue(now, 10, now + 3'600'000, {})->size() == 1);  // an hour-long lease
  Dispatcher d(*f.outbox, f.http, SystemClock::Get(), SystemRandom::Get(), f.options);
  REQUIRE(d.Start().ok());
  REQUIRE(Eventually(
      [&] { return f.OnlyDelivery(event_id).status == db::DeliveryStatus::kSucceeded; }));
  d.Stop(1s);
}
