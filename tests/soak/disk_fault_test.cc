// Disk faults under load, against the real hookd: while its files cannot grow,
// POST /v1/events answers 503 (never 500, never a hang, never a 202 that is
// then lost) and /readyz fails; when space returns hookd recovers by itself,
// without a restart, and every acknowledged event is delivered.
//
// Two ways to take the space away:
// - RLIMIT_FSIZE lowered on the running hookd with prlimit(2): works for any
//   user on any machine (CI runs as root, where chmod cannot make a file
//   read-only, and may not be allowed to mount). Every write then fails with
//   EFBIG (SQLite: an I/O error), and the kernel sends SIGXFSZ, which hookd must
//   ignore rather than die of.
// - A small tmpfs filled to the last page: a real ENOSPC (SQLite: SQLITE_FULL).
//   Needs mount privileges; where mount is refused the case says so and ends.
#include <signal.h>
#include <sys/mount.h>
#include <sys/resource.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>

#include "support/delivery_checks.h"
#include "support/event_load.h"
#include "support/hookd_fixture.h"
#include "support/test_receiver.h"

using namespace hookline::testing;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

// What the test does to the disk: take the space away, give it back.
struct Fault {
  std::function<bool()> inject;  // false: could not inject (a test failure)
  std::function<bool()> clear;
};

// Runs the scenario on a started hookd whose database `fault` controls.
// `nothing_writable`: every write fails (so /readyz's one-row heartbeat does
// too, and no post may get a 202). On a full filesystem space comes and goes
// while faulty: a small write can land in space the WAL already holds, and the
// checkpointer's WAL truncation gives space back; there hookd must answer 503
// at least once and lose nothing it acknowledged, but may acknowledge some.
void RunScenario(Hookd& hookd, TestReceiver& receiver, const Fault& fault, bool nothing_writable) {
  {
    INFO("hookd did not start; its log:\n" << hookd.Log());
    REQUIRE(hookd.port() > 0);
  }
  const pid_t pid = hookd.process().pid();
  REQUIRE(!hookd.CreateEndpoint(receiver.url()).empty());
  std::vector<std::string> before;
  for (int i = 0; i < 20; ++i) before.push_back(hookd.PostEvent("before.fault", {{"n", i}}));
  REQUIRE(std::count(before.begin(), before.end(), "") == 0);
  REQUIRE(Eventually([&] { return Missing(receiver, before).empty(); }));

  EventLoad load(hookd.port(), Hookd::kToken, 3, 200000, "during.fault");
  REQUIRE(Eventually([&] { return load.acked_count() >= 50; }));

  REQUIRE(fault.inject());
  // Writes fail from the next commit on; a commit already past its last write
  // may still answer 202 (and that event is checked below like any other).
  CHECK(Eventually(
      [&] {
        return hookd.Post("/v1/events", Json{{"type", "probe"}, {"data", Json::object()}}).status ==
               503;
      },
      5s));
  {
    // Regression: hookd died of SIGXFSZ (exit 153) at its first write past the limit.
    const int code = hookd.process().running() ? -1 : hookd.process().Wait(0ms);
    INFO("hookd exited with " << code << "; its log:\n" << hookd.Log());
    REQUIRE(code == -1);
  }
  std::this_thread::sleep_for(200ms);
  const size_t acked_when_faulty = load.acked_count();
  const int answered_503 = load.answered_with(503);
  int not_ready = 0;
  std::vector<std::string> acked_probes;  // 202s on a full filesystem: delivered below
  for (int i = 0; i < 5; ++i) {
    auto t0 = Clock::now();
    ApiReply r = hookd.Post("/v1/events", Json{{"type", "probe"}, {"data", {{"i", i}}}});
    CHECK((r.status == 503 || (!nothing_writable && r.status == 202)));
    if (r.status == 503) {
      CHECK(r.headers.count("Retry-After") == 1);
      CHECK(r.body["error"]["code"].is_string());
    } else if (r.status == 202) {
      acked_probes.push_back(r.body["id"].get<std::string>());
    }
    CHECK(Clock::now() - t0 < 2s);  // an answer, not a hang
    int ready = hookd.Get("/readyz").status;
    CHECK((ready == 503 || (!nothing_writable && ready == 200)));
    not_ready += ready == 503;
    CHECK(hookd.Get("/healthz").status == 200);
    CHECK(hookd.Get("/v1/events/" + before[0]).status == 200);  // reads still work
    std::this_thread::sleep_for(200ms);
  }
  if (nothing_writable) CHECK(not_ready > 0);
  if (nothing_writable) CHECK(load.acked_count() == acked_when_faulty);  // no 202 while faulty
  // The clients were told to retry (on a full filesystem, the probes may have
  // been the ones told).
  if (nothing_writable) CHECK(load.answered_with(503) > answered_503);
  CHECK(hookd.process().running());

  REQUIRE(fault.clear());
  {
    INFO("hookd's log:\n" << hookd.Log());
    CHECK(Eventually([&] { return hookd.Get("/readyz").status == 200; }, 10s));
    CHECK(Eventually([&] { return load.acked_count() > acked_when_faulty + 20; }, 10s));
  }
  load.Stop();
  const auto acked = load.acked();
  CHECK(load.unexpected() == 0);
  CHECK(load.answered_with(500) == 0);
  CHECK(load.unanswered() == 0);  // every post got an answer within 5 s

  INFO("hookd's log:\n" << hookd.Log());
  CHECK(Eventually([&] { return Missing(receiver, acked).empty(); }, 30s));
  CHECK(Missing(receiver, before).empty());
  CHECK(Eventually([&] { return Missing(receiver, acked_probes).empty(); }, 10s));
  CHECK(Eventually([&] { return Settled(hookd); }, 10s));
  CHECK(NoDeliveriesWith(hookd, "failed"));
  CHECK(hookd.process().running());
  CHECK(hookd.process().pid() == pid);  // recovered without a restart
  WARN(acked.size() << " events acknowledged around the fault, " << load.answered_with(503)
                    << " answered 503, " << receiver.count() << " deliveries received");
}

bool SetFileSizeLimit(pid_t pid, rlim_t soft) {
  rlimit limit{soft, RLIM_INFINITY};
  return prlimit(pid, RLIMIT_FSIZE, &limit, nullptr) == 0;
}

}  // namespace

TEST_CASE("a file size limit on the running hookd means 503s and recovery without restart",
          "[soak][disk]") {
  TempDir dir;
  TestReceiver receiver;
  Hookd hookd(dir);
  const pid_t pid = hookd.process().pid();
  RunScenario(hookd, receiver,
              Fault{[pid] { return SetFileSizeLimit(pid, 0); },
                    [pid] { return SetFileSizeLimit(pid, RLIM_INFINITY); }},
              true);
}

TEST_CASE("a full filesystem under the database means 503s and recovery without restart",
          "[soak][disk]") {
  TempDir dir;
  const std::string mnt = dir.File("mnt");
  std::filesystem::create_directory(mnt);
  if (mount("tmpfs", mnt.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, "size=16m") != 0) {
    WARN("not run: cannot mount a tmpfs here (" << std::strerror(errno)
                                                << "); the RLIMIT_FSIZE case covers the API");
    return;
  }
  struct Unmount {
    std::string path;
    ~Unmount() { umount2(path.c_str(), MNT_DETACH); }
  } unmount{mnt};

  const std::string filler = mnt + "/filler";
  Fault fill{[&] {
               // Write until the filesystem refuses: it is then full to the last page.
               std::ofstream f(filler, std::ios::binary);
               std::string block(64 * 1024, 'x');
               for (int i = 0; i < 1024 && f.write(block.data(), block.size()); ++i) f.flush();
               return !f.good();  // it filled before 64 MiB
             },
             [&] { return std::filesystem::remove(filler); }};
  TestReceiver receiver;
  Hookd hookd(dir, {}, "mnt/hookline.db");
  RunScenario(hookd, receiver, fill, false);
  // It was SQLite's "full" (ENOSPC), not some other failure.
  std::ifstream log(dir.File("hookd.log"));
  std::string text((std::istreambuf_iterator<char>(log)), std::istreambuf_iterator<char>());
  CHECK_THAT(text, Catch::Contains("database or disk is full"));
}
