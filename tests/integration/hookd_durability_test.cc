// hookd's durability promises, against the real binary: nothing acknowledged is
// lost across kill -9 or SIGTERM, a database that cannot write answers 503 and
// stores nothing, and bad start-up configuration fails loudly.
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <filesystem>
#include <memory>
#include <random>
#include <set>
#include <thread>

#include "support/delivery_checks.h"
#include "support/event_load.h"
#include "support/hookd_fixture.h"
#include "support/port_holder.h"
#include "support/sqlite_peek.h"
#include "support/test_receiver.h"

using namespace hookline::testing;
using namespace std::chrono_literals;
using Catch::Contains;
using Catch::StartsWith;

// A CHECK that shows hookd's log when it fails.
#define CHECK_LOGGED(hookd, ...)                                                      \
  do {                                                                                \
    bool ok_ = static_cast<bool>(__VA_ARGS__);                                        \
    INFO(#__VA_ARGS__ << (ok_ ? std::string() : "\nhookd's log:\n" + (hookd).Log())); \
    CHECK(ok_);                                                                       \
  } while (false)

namespace {

void RequireStarted(const Hookd& hookd) {
  INFO("hookd did not start; its log:\n" << hookd.Log());
  REQUIRE(hookd.port() > 0);
}

std::vector<std::string> PostEvents(const Hookd& hookd, int n, const std::string& type) {
  std::vector<std::string> ids;
  for (int i = 0; i < n; ++i) ids.push_back(hookd.PostEvent(type, {{"n", i}}));
  REQUIRE(std::count(ids.begin(), ids.end(), "") == 0);
  return ids;
}

// For receiver handlers that hang: until `release` or `max`, whichever first.
void HoldUntil(const std::atomic<bool>& release, std::chrono::milliseconds max) {
  for (auto end = std::chrono::steady_clock::now() + max;
       !release && std::chrono::steady_clock::now() < end;) {
    std::this_thread::sleep_for(10ms);
  }
}

}  // namespace

TEST_CASE("kill -9 during a burst loses no acknowledged event", "[integration][durability]") {
  TempDir dir;
  TestReceiver receiver;
  Hookd hookd(dir);
  RequireStarted(hookd);
  const int port = hookd.port();
  REQUIRE(!hookd.CreateEndpoint(receiver.url()).empty());

  EventLoad load(port, Hookd::kToken, 4, 2000, "burst.test");

  const unsigned seed = std::random_device{}();
  INFO("kill times seed " << seed);
  std::mt19937 rng(seed);
  auto start = std::chrono::steady_clock::now();
  for (auto [lo, hi] : {std::pair{150, 600}, std::pair{100, 400}}) {
    std::this_thread::sleep_for(
        std::chrono::milliseconds(std::uniform_int_distribution(lo, hi)(rng)));
    hookd.process().Signal(SIGKILL);
    CHECK(hookd.process().Wait(10s) == 128 + SIGKILL);
    hookd.Start();  // same database, same port
    if (hookd.port() != port) break;
  }
  std::this_thread::sleep_until(start + 1500ms);
  load.Stop();
  RequireStarted(hookd);
  const std::vector<std::string> acked = load.acked();
  REQUIRE(acked.size() > 0);
  CHECK(load.unexpected() == 0);

  // Every acknowledged event reaches the receiver at least once, and nothing is
  // left pending or leased.
  CHECK_LOGGED(hookd, Eventually([&] { return Missing(receiver, acked).empty(); }, 20s));
  auto missing = Missing(receiver, acked);
  INFO("missing " << missing.size() << ", first " << (missing.empty() ? "-" : missing[0]));
  CHECK(missing.empty());
  CHECK_LOGGED(hookd, Eventually([&] { return Settled(hookd); }));
  CHECK(NoDeliveriesWith(hookd, "failed"));

  auto seen = CountById(receiver);
  std::set<std::string> acked_set(acked.begin(), acked.end());
  size_t unacked_delivered = 0;
  for (const auto& [id, n] : seen) unacked_delivered += acked_set.count(id) == 0;
  WARN("kill -9 x2 in a burst: " << acked.size() << " acknowledged, " << load.unanswered()
                                 << " unanswered, " << load.server_errors() << " 5xx; delivered "
                                 << seen.size() << " distinct ids (" << unacked_delivered
                                 << " never acknowledged), " << receiver.count() - seen.size()
                                 << " duplicates");
}

TEST_CASE("SIGTERM under load lets attempts finish, exits 0 and loses nothing",
          "[integration][durability]") {
  TempDir dir;
  std::atomic<bool> slow{true};
  TestReceiver receiver([&](int, const ReceivedRequest&) {
    if (slow) std::this_thread::sleep_for(300ms);
    return Answer{};
  });
  Hookd hookd(dir, {"--shutdown-grace", "5s"});
  RequireStarted(hookd);
  REQUIRE(!hookd.CreateEndpoint(receiver.url()).empty());
  auto ids = PostEvents(hookd, 50, "load.test");
  REQUIRE(Eventually([&] { return receiver.count() >= 4; }));

  hookd.process().Signal(SIGTERM);
  CHECK(hookd.process().Wait(15s) == 0);
  std::string log = hookd.Log();
  CHECK_THAT(log, Contains("hookd stopped cleanly"));
  CHECK_THAT(log, !Contains("cancelling"));  // 300 ms attempts fit in a 5 s grace
  size_t before_restart = receiver.count();
  slow = false;

  hookd.Start();
  RequireStarted(hookd);
  CHECK_LOGGED(hookd, Eventually([&] { return Missing(receiver, ids).empty(); }, 15s));
  CHECK_LOGGED(hookd, Eventually([&] { return Settled(hookd); }));
  CHECK(AllSucceeded(hookd, ids));
  // The attempts that finished within the grace were recorded: none was sent twice.
  auto seen = CountById(receiver);
  CHECK(receiver.count() == seen.size());
  WARN("graceful stop: " << before_restart << " delivered before the exit, "
                         << receiver.count() - before_restart << " after the restart, "
                         << receiver.count() - seen.size() << " duplicates");
}

TEST_CASE("SIGTERM with a short grace cancels hung attempts and they are sent after restart",
          "[integration][durability]") {
  TempDir dir;
  std::atomic<bool> release{false};
  std::atomic<int> hangs_ended{0};
  TestReceiver receiver([&](int n, const ReceivedRequest&) {
    if (n < 4) {  // the first run's attempts hang for 3 s
      HoldUntil(release, 3s);
      ++hangs_ended;
    }
    return Answer{};
  });
  Hookd hookd(dir, {"--shutdown-grace", "100ms", "--timeout", "10s"});
  RequireStarted(hookd);
  REQUIRE(!hookd.CreateEndpoint(receiver.url()).empty());
  auto ids = PostEvents(hookd, 4, "hang.test");
  REQUIRE(Eventually([&] { return receiver.count() >= 4; }));

  hookd.process().Signal(SIGTERM);
  CHECK(hookd.process().Wait(15s) == 0);
  CHECK(hangs_ended == 0);  // it exited while the receiver was still hanging
  release = true;
  std::string log = hookd.Log();
  CHECK_THAT(log, Contains("cancelling 4 attempts in flight"));
  CHECK_THAT(log, Contains("hookd stopped cleanly"));

  hookd.Start();
  RequireStarted(hookd);
  CHECK_LOGGED(hookd, Eventually([&] { return Missing(receiver, ids, 2).empty(); }));
  CHECK_LOGGED(hookd, Eventually([&] { return Settled(hookd); }));
  CHECK(AllSucceeded(hookd, ids));
  for (const auto& id : ids) CHECK(hookd.Deliveries(id)[0]["attempts"] == 1);  // given back
}

TEST_CASE("SIGTERM with an idle keep-alive API client exits within the grace",
          "[integration][durability]") {
  // Regression: httplib's server keeps an idle keep-alive connection after
  // stop() until its keep-alive timeout (30 s in hookd); hookd used to wait for
  // it and exit ~30 s after SIGTERM, whatever --shutdown-grace said.
  TempDir dir;
  Hookd hookd(dir);  // --shutdown-grace 2s
  RequireStarted(hookd);
  httplib::Client client("127.0.0.1", hookd.port());
  client.set_keep_alive(true);
  REQUIRE(client.Get("/healthz"));  // the connection stays open, idle

  hookd.process().Signal(SIGTERM);
  int code = hookd.process().Wait(10s);
  INFO(hookd.Log());
  CHECK(code == 0);
}

TEST_CASE("a database that cannot take a write answers 503 and stores nothing",
          "[integration][durability]") {
  TempDir dir;
  TestReceiver receiver;
  Hookd hookd(dir, {"--db-busy-timeout", "200ms"});
  RequireStarted(hookd);
  REQUIRE(!hookd.CreateEndpoint(receiver.url()).empty());
  auto before = PostEvents(hookd, 1, "before.lock");
  REQUIRE(Eventually([&] { return AllSucceeded(hookd, before); }));

  const Json event{{"id", "evt_while_locked"}, {"type", "locked.test"}, {"data", {{"n", 1}}}};
  {
    Db db = OpenDb(hookd.db_path());
    REQUIRE(sqlite3_exec(db.get(), "BEGIN EXCLUSIVE", nullptr, nullptr, nullptr) == SQLITE_OK);
    for (auto [path, body] : {std::pair{"/v1/events", event},
                              std::pair{"/v1/endpoints", Json{{"url", receiver.url("/2")}}}}) {
      INFO("POST " << path);
      ApiReply r = hookd.Post(path, body);
      CHECK(r.status == 503);
      CHECK(r.body["error"]["code"].is_string());
      CHECK(r.body["error"]["message"].is_string());
      CHECK(r.headers.count("Retry-After") == 1);
    }
    CHECK(hookd.Get("/readyz").status == 503);
    CHECK(hookd.Get("/healthz").status == 200);
    CHECK(hookd.Get("/v1/events/" + before[0]).status == 200);  // reads still work
    CHECK(sqlite3_exec(db.get(), "ROLLBACK", nullptr, nullptr, nullptr) == SQLITE_OK);
  }

  CHECK_LOGGED(hookd, Eventually([&] { return hookd.Get("/readyz").status == 200; }));
  CHECK(hookd.Get("/v1/events/evt_while_locked").status == 404);
  ApiReply again = hookd.Post("/v1/events", event);  // not a 409: the 503 stored nothing
  CHECK(again.status == 202);
  CHECK(again.body.value("id", "") == "evt_while_locked");
  CHECK(hookd.Get("/v1/events/evt_while_locked").status == 200);
  CHECK(hookd.Get("/v1/endpoints").body["data"].size() == 1);
  CHECK_LOGGED(hookd, Eventually([&] { return AllSucceeded(hookd, {"evt_while_locked"}); }));
  CHECK(hookd.Get("/v1/deliveries?limit=1000").body["data"].size() == 2);
  CHECK(receiver.count() == 2);
}

TEST_CASE("pending deliveries survive a restart and keep their webhook-id",
          "[integration][durability]") {
  TempDir dir;
  std::atomic<bool> up{false};
  TestReceiver receiver([&](int, const ReceivedRequest&) {
    return up ? Answer{} : Answer{503, "down for maintenance", {}};
  });
  Hookd hookd(dir, {"--retry-schedule", "1s,1s,1s,1s,1s"});
  RequireStarted(hookd);
  REQUIRE(!hookd.CreateEndpoint(receiver.url()).empty());
  auto ids = PostEvents(hookd, 5, "restart.test");
  // Each first attempt got a 503: pending, the next attempt about 1 s away.
  REQUIRE(Eventually([&] { return Missing(receiver, ids).empty(); }));
  hookd.process().Signal(SIGTERM);
  REQUIRE(hookd.process().Wait(15s) == 0);
  up = true;

  hookd.Start();
  RequireStarted(hookd);
  CHECK_LOGGED(hookd, Eventually([&] { return AllSucceeded(hookd, ids); }));
  auto seen = CountById(receiver);
  CHECK(seen.size() == ids.size());  // only these webhook-ids were ever sent
  for (const auto& id : ids) {
    INFO(id);
    CHECK(seen[id] >= 2);  // the 503 before the restart, the 200 after it, same webhook-id
    Json d = hookd.Deliveries(id);
    REQUIRE(d.size() == 1);
    Json history = hookd.Get("/v1/deliveries/" + d[0]["id"].get<std::string>()).body["history"];
    REQUIRE(history.size() >= 2);
    CHECK(history.front()["status_code"] == 503);
    CHECK(history.back()["status_code"] == 200);
  }
  CHECK(Settled(hookd));
}

TEST_CASE("inflight deliveries of a killed hookd are re-sent promptly after restart",
          "[integration][durability]") {
  TempDir dir;
  std::atomic<bool> release{false};
  TestReceiver receiver([&](int n, const ReceivedRequest&) {
    if (n < 3) HoldUntil(release, 5s);  // the first run's attempts get no answer
    return Answer{};
  });
  Hookd hookd(dir);
  RequireStarted(hookd);
  REQUIRE(!hookd.CreateEndpoint(receiver.url()).empty());
  auto ids = PostEvents(hookd, 3, "lease.test");
  REQUIRE(Eventually([&] { return receiver.count() >= 3; }));
  hookd.process().Signal(SIGKILL);
  REQUIRE(hookd.process().Wait(10s) == 128 + SIGKILL);
  release = true;
  {
    // The premise: the dead process left them inflight, leased for about a minute.
    Db db = OpenDb(hookd.db_path());
    CHECK(QueryInt(db.get(), "SELECT count(*) FROM deliveries WHERE status = 1") == 3);
    CHECK(QueryInt(db.get(),
                   "SELECT min(lease_until) - strftime('%s', 'now') * 1000 "
                   "FROM deliveries WHERE status = 1") > 30000);
  }

  hookd.Start();
  RequireStarted(hookd);
  // Well within the lease: the start-up released them.
  CHECK_LOGGED(hookd, Eventually([&] { return Missing(receiver, ids, 2).empty(); }));
  CHECK_LOGGED(hookd, Eventually([&] { return Settled(hookd); }));
  CHECK(AllSucceeded(hookd, ids));
  for (const auto& id : ids) CHECK(hookd.Deliveries(id)[0]["attempts"] == 1);  // given back
  CHECK_THAT(hookd.Log(), Contains("released 3 deliveries left inflight"));
}

TEST_CASE("bad flags: non-zero exit, one stderr line naming the flag, nothing listening",
          "[integration][durability]") {
  TempDir dir;
  const int port = FreePort();
  const std::string listen = "127.0.0.1:" + std::to_string(port);
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"--listen", listen, "--workers", "0"}, "--workers"},
      {{"--listen", listen, "--retry-schedule", "5x"}, "--retry-schedule"},
      {{"--listen", "nope"}, "--listen"},
      {{"--listen", listen, "--max-body", "0"}, "--max-body"},
      {{"--listen", listen, "--shutdown-grace", "soon"}, "--shutdown-grace"},
      {{"--listen", listen, "--frobnicate"}, "--frobnicate"},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    const auto& [args, flag] = cases[i];
    std::string db = dir.File("bad" + std::to_string(i) + ".db");
    std::vector<std::string> argv = {HOOKD_PATH, "--db", db, "--api-token", "t"};
    argv.insert(argv.end(), args.begin(), args.end());
    ChildProcess hookd(argv, dir.File("bad" + std::to_string(i) + ".log"));
    CHECK(hookd.WaitListening(5s) == -1);
    int code = hookd.Wait(10s);
    INFO("hookd ... " << args.back());
    CHECK(code > 0);
    CHECK(code < 128);  // an exit, not a crash
    std::string err = hookd.Log();
    INFO("stderr: " << err);
    CHECK(std::count(err.begin(), err.end(), '\n') == 1);  // one line
    CHECK_THAT(err, StartsWith("hookd: ") && Contains(flag));
    CHECK(!std::filesystem::exists(db));
    CHECK(!httplib::Client("127.0.0.1", port).Get("/healthz"));  // nothing listening
  }

  // --help: exit 0, and the schedule's default is shown (stdout sent to the log).
  ChildProcess help({"/bin/sh", "-c", std::string("exec '") + HOOKD_PATH + "' --help 1>&2"},
                    dir.File("help.log"));
  CHECK(help.Wait(10s) == 0);
  std::string text = help.Log();
  INFO(text);
  auto at = text.find("--retry-schedule");
  REQUIRE(at != std::string::npos);
  CHECK_THAT(text.substr(at, text.find('\n', at) - at), Contains("=5s,5m,30m,2h,5h,10h,10h"));
  CHECK_THAT(text, Contains("--shutdown-grace"));
  CHECK_THAT(text, Contains("--db-busy-timeout"));
}

TEST_CASE("a listening port in use: non-zero exit and a clear message",
          "[integration][durability]") {
  TempDir dir;
  auto start_on = [&](int port, const std::string& name) {
    return std::make_unique<ChildProcess>(
        std::vector<std::string>{HOOKD_PATH, "--db", dir.File(name + ".db"), "--api-token", "t",
                                 "--listen", "127.0.0.1:" + std::to_string(port)},
        dir.File(name + ".log"));
  };
  auto expect_refused = [](ChildProcess& hookd, int port) {
    CHECK(hookd.WaitListening(3s) == -1);
    int code = hookd.Wait(3s);
    CHECK(code > 0);
    CHECK(code < 128);
    std::string err = hookd.Log();
    INFO("stderr: " << err);
    CHECK(std::count(err.begin(), err.end(), '\n') == 1);  // one line
    CHECK_THAT(err, StartsWith("hookd: cannot listen on 127.0.0.1:" + std::to_string(port)));
  };

  SECTION("held by another program") {
    PortHolder holder;
    REQUIRE(holder.port() > 0);
    expect_refused(*start_on(holder.port(), "second"), holder.port());
  }
  SECTION("held by another hookd") {
    // Regression: httplib sets SO_REUSEPORT by default, which let a second
    // hookd bind the same port and silently take half of the connections.
    auto first = start_on(0, "first");
    int port = first->WaitListening();
    REQUIRE(port > 0);
    expect_refused(*start_on(port, "second"), port);
  }
}

TEST_CASE("a second hookd on the same database refuses to start", "[integration][durability]") {
  // Start-up releases every inflight delivery as abandoned: a second live owner
  // of the file would re-send the first one's work.
  TempDir dir;
  auto start = [&](const std::string& log) {
    return std::make_unique<ChildProcess>(
        std::vector<std::string>{HOOKD_PATH, "--db", dir.File("shared.db"), "--api-token", "t",
                                 "--listen", "127.0.0.1:0"},
        dir.File(log));
  };
  auto first = start("first.log");
  REQUIRE(first->WaitListening() > 0);
  auto second = start("second.log");
  CHECK(second->WaitListening(3s) == -1);
  CHECK(second->Wait(3s) == 1);
  std::string err = second->Log();
  INFO("stderr: " << err);
  CHECK_THAT(err, StartsWith("hookd: database "));
  CHECK(err.find("in use by another hookd") != std::string::npos);
  CHECK(first->running());
  first->Signal(SIGTERM);
  CHECK(first->Wait() == 0);
  auto third = start("third.log");  // the lock goes with the process
  CHECK(third->WaitListening() > 0);
}
