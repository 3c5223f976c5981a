// Crash soak: posts events from several keep-alive clients to a real hookd that
// delivers to an in-process receiver recording every webhook-id, while hookd is
// killed with SIGKILL at random moments and restarted on the same database and
// port. At the end every acknowledged (202) event has reached the receiver, the
// database holds nothing pending, inflight or failed, and the duplicates are no
// more than what was inflight at the kills.
//
// A C++ program rather than a shell script: it reuses the test support (the
// Hookd fixture, TestReceiver, EventLoad), knows exactly which posts were
// acknowledged, and needs nothing on a fresh machine beyond the build.
#include <signal.h>

#include <random>
#include <set>

#include "soak/soak_common.h"
#include "support/delivery_checks.h"
#include "support/event_load.h"
#include "support/hookd_fixture.h"
#include "support/sqlite_peek.h"
#include "support/test_receiver.h"

using namespace hookline::testing;
using namespace hookline::soak;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

// hookd's defaults (DispatcherOptions): a kill can cut at most this many claims
// short, plus outcomes not yet recorded (the a-priori bound printed beside the
// measured one).
constexpr int kClaimBatch = 100;

// Deliveries the dead hookd left inflight: each may have reached the receiver
// without its outcome being recorded, and is sent again after the restart.
int64_t InflightLeft(const std::string& db_path) {
  Db db = OpenDb(db_path);
  if (!db) return -1;
  // Leave the file as the crash left it for the restart: no checkpoint on close.
  sqlite3_db_config(db.get(), SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, nullptr);
  return QueryInt(db.get(), "SELECT count(*) FROM deliveries WHERE status = 1");
}

}  // namespace

int main(int argc, char** argv) {
  Flags flags({{"kills", "20"},
               {"clients", "4"},
               {"duration-cap", "120"},
               {"workers", "8"},
               {"receiver-delay-ms", "2"},
               {"seed", "0"}});
  if (!flags.Parse(argc, argv)) return 2;
  const int kills = static_cast<int>(flags.Int("kills"));
  const int clients = static_cast<int>(flags.Int("clients"));
  const int workers = static_cast<int>(flags.Int("workers"));
  const int delay_ms = static_cast<int>(flags.Int("receiver-delay-ms"));
  const auto cap =
      std::chrono::milliseconds(static_cast<int64_t>(flags.Num("duration-cap") * 1000));
  unsigned seed = static_cast<unsigned>(flags.Int("seed"));
  if (seed == 0) seed = std::random_device{}();
  if (kills < 1 || clients < 1 || workers < 1 || delay_ms < 0 || cap < 10s) {
    std::fprintf(stderr, "crash_soak: need kills, clients, workers >= 1 and a cap >= 10 s\n");
    return 2;
  }
  // Kills take the first 60 % of the cap; the rest is for delivering the backlog.
  const auto mean_gap = std::min<std::chrono::milliseconds>(
      1500ms, std::chrono::duration_cast<std::chrono::milliseconds>(cap * 0.6 / kills));
  std::printf("crash soak: %d kills, %d clients, %d workers, cap %.0f s, seed %u\n", kills, clients,
              workers, std::chrono::duration<double>(cap).count(), seed);
  std::fflush(stdout);

  const auto start = Clock::now();
  Checks check;
  TempDir dir;
  TestReceiver receiver([delay_ms](int n, const ReceivedRequest&) {
    // A little service time keeps attempts in flight, so that kills cut some short.
    thread_local std::minstd_rand rng(static_cast<unsigned>(n) + 1);
    if (delay_ms > 0)
      std::this_thread::sleep_for(std::chrono::milliseconds(rng() % (delay_ms + 1)));
    return Answer{};
  });
  Hookd hookd(dir, {"--workers", std::to_string(workers), "--log-level", "warn"});
  if (hookd.port() <= 0 || hookd.CreateEndpoint(receiver.url()).empty()) {
    std::printf("FAILED: hookd did not start; its log:\n%s\n", hookd.Log().c_str());
    return 1;
  }
  const int port = hookd.port();

  std::mt19937 rng(seed);
  // Gaps from 20 ms (a kill soon after start-up, while it releases what the
  // last run left inflight) to twice the mean.
  std::uniform_int_distribution<int64_t> gap_ms(20, 2 * mean_gap.count());
  int done_kills = 0;
  int64_t inflight_at_kills = 0;
  {
    EventLoad load(port, Hookd::kToken, clients, 50'000'000, "soak.test");
    // The kills stop at 75 % of the cap whatever their count (reported as a failure).
    for (; done_kills < kills && Clock::now() < start + cap * 0.75; ++done_kills) {
      std::this_thread::sleep_for(std::chrono::milliseconds(gap_ms(rng)));
      if (!hookd.process().running()) {
        check.Expect(false, "hookd exited by itself; its log:\n" + hookd.Log());
        break;
      }
      hookd.process().Signal(SIGKILL);
      int code = hookd.process().Wait(10s);
      check.Expect(code == 128 + SIGKILL, "kill -9 ended hookd with " + std::to_string(code));
      const auto dead_at = Clock::now();
      int64_t inflight = InflightLeft(hookd.db_path());
      check.Expect(inflight >= 0, "cannot read the database after a kill");
      inflight_at_kills += std::max<int64_t>(inflight, 0);
      const double peek_ms = Since(dead_at) * 1000;
      hookd.Start();  // same database, same port
      std::printf(
          "  kill %2d at %5.1f s: %6zu acknowledged so far, %3lld inflight left; restarted in "
          "%.0f ms (+%.0f ms reading the database)\n",
          done_kills + 1, Since(start), load.acked_count(), static_cast<long long>(inflight),
          Since(dead_at) * 1000 - peek_ms, peek_ms);
      std::fflush(stdout);
      if (hookd.port() != port) {
        check.Expect(false, "hookd did not restart on port " + std::to_string(port) +
                                "; its log:\n" + hookd.Log());
        break;
      }
    }
    std::this_thread::sleep_for(std::min<std::chrono::milliseconds>(mean_gap, 500ms));
    load.Stop();
    const auto acked = load.acked();
    const double load_seconds = Since(start);
    check.Expect(load.unexpected() == 0,
                 std::to_string(load.unexpected()) + " posts got neither 202 nor 5xx");

    // Deliver the backlog, bounded by what is left of the cap (at least 20 s).
    auto left = std::max<Clock::duration>(20s, start + cap - Clock::now());
    bool drained = hookd.port() == port &&
                   Eventually([&] { return Missing(receiver, acked).empty() && Settled(hookd); },
                              std::chrono::duration_cast<std::chrono::milliseconds>(left));
    Json stats = hookd.Get("/v1/stats").body;
    auto seen = CountById(receiver);
    const auto missing = Missing(seen, acked);
    std::set<std::string> acked_set(acked.begin(), acked.end());
    size_t unacked_delivered = 0;
    for (const auto& [id, n] : seen) unacked_delivered += acked_set.count(id) == 0;
    const size_t receipts = receiver.count();
    const size_t duplicates = receipts - seen.size();
    const int64_t a_priori = static_cast<int64_t>(done_kills) * (workers + kClaimBatch);

    check.Expect(acked.size() == acked_set.size(), "an event id was acknowledged twice");
    check.Expect(!acked.empty(), "no event was acknowledged");
    check.Expect(drained, "the backlog did not drain within the cap");
    check.Expect(missing.empty(), std::to_string(missing.size()) +
                                      " acknowledged events never delivered, first " +
                                      (missing.empty() ? "-" : missing[0]));
    const Json& d = stats["deliveries"];
    check.Expect(d.is_object() && d.value("pending", -1) == 0 && d.value("inflight", -1) == 0 &&
                     d.value("failed", -1) == 0,
                 "deliveries left unfinished: " + stats.dump());
    // One endpoint: one delivery per stored event, each recorded once as succeeded.
    check.Expect(
        d.is_object() && d.value("succeeded", int64_t{-1}) == static_cast<int64_t>(seen.size()),
        "succeeded deliveries != distinct ids received: " + stats.dump());
    check.Expect(static_cast<int64_t>(duplicates) <= inflight_at_kills,
                 "more duplicates than deliveries inflight at the kills");
    // An event stored but not acknowledged had its answer cut by a kill.
    check.Expect(static_cast<int>(unacked_delivered) <= load.unanswered(),
                 "more unacknowledged events delivered than posts left unanswered");

    std::printf(
        "crash soak summary: acknowledged %zu, delivered %zu of them (plus %zu stored but never "
        "acknowledged: their answer was cut by a kill), receipts %zu, duplicates %zu (bound: %lld "
        "inflight at the kills; "
        "a-priori kills x (workers + claim batch) = %lld), lost %zu, kills %d, posts unanswered "
        "%d, 5xx %d, load %.1f s, duration %.1f s\n",
        acked.size(), seen.size() - unacked_delivered, unacked_delivered, receipts, duplicates,
        static_cast<long long>(inflight_at_kills), static_cast<long long>(a_priori), missing.size(),
        done_kills, load.unanswered(), load.server_errors(), load_seconds, Since(start));
  }
  check.Expect(done_kills == kills, "only " + std::to_string(done_kills) + " kills done");
  if (check.failures() > 0) {
    std::printf("crash soak FAILED (%d checks); hookd's log:\n%s\n", check.failures(),
                hookd.Log().c_str());
    return 1;
  }
  std::printf("crash soak passed\n");
  return 0;
}
