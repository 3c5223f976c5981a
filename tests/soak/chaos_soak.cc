// Chaos soak: a real hookd with a fast, jittered retry schedule delivers to a
// receiver that answers 500, drops connections and answers slowly at random.
// At the end every acknowledged event is succeeded, no delivery made more
// attempts than the schedule allows, nothing was sent again after its 200, and
// the gaps between attempts, measured against the schedule step, show the
// jitter: never earlier than (1 - jitter) x step, spread across the range.
#include <cmath>
#include <ctime>
#include <map>

#include "hookline/retry_schedule.h"
#include "soak/chaos_receiver.h"
#include "soak/soak_common.h"
#include "support/delivery_checks.h"
#include "support/event_load.h"
#include "support/hookd_fixture.h"

using namespace hookline::testing;
using namespace hookline::soak;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

// "2024-01-02T03:04:05.678Z" (what the API writes) to Unix milliseconds; -1 if malformed.
int64_t ParseMillis(const std::string& s) {
  std::tm tm{};
  int ms = 0;
  if (std::sscanf(s.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d.%3dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                  &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &ms) != 7) {
    return -1;
  }
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  return static_cast<int64_t>(timegm(&tm)) * 1000 + ms;
}

struct Attempt {
  int64_t at = 0;       // Unix ms when it started
  int64_t latency = 0;  // ms until it ended
};

}  // namespace

int main(int argc, char** argv) {
  Flags flags({{"events", "5000"},
               {"clients", "4"},
               {"workers", "8"},
               {"rate", "100"},
               {"schedule",
                "100ms,150ms,200ms,250ms,300ms,300ms,300ms,300ms,300ms,300ms,300ms,300ms,300ms"},
               {"jitter", "0.2"},
               {"timeout", "1s"},
               {"fail-500", "0.30"},
               {"drop", "0.05"},
               {"slow", "0.10"},
               {"slow-ms", "200"},
               {"duration-cap", "120"},
               {"seed", "0"}});
  if (!flags.Parse(argc, argv)) return 2;
  const int events = static_cast<int>(flags.Int("events"));
  const double jitter = flags.Num("jitter");
  auto schedule = hookline::RetrySchedule::Parse(flags.Str("schedule"), jitter);
  const auto cap =
      std::chrono::milliseconds(static_cast<int64_t>(flags.Num("duration-cap") * 1000));
  unsigned seed = static_cast<unsigned>(flags.Int("seed"));
  if (seed == 0) seed = std::random_device{}();
  ChaosReceiver::Options chaos;
  chaos.fail_500 = flags.Num("fail-500");
  chaos.drop = flags.Num("drop");
  chaos.slow = flags.Num("slow");
  chaos.slow_delay = std::chrono::milliseconds(flags.Int("slow-ms"));
  chaos.seed = seed;
  if (!schedule.ok() || events < 1 || flags.Int("clients") < 1 || cap < 5s) {
    std::fprintf(stderr, "chaos_soak: bad --schedule/--jitter, --events or --duration-cap\n");
    return 2;
  }
  const int max_attempts = schedule->max_attempts();
  const double p_fail = chaos.fail_500 + chaos.drop;
  std::printf(
      "chaos soak: %d events at %.0f/s, receiver 500 %.0f %%, dropped %.0f %%, slow (%lld ms) %.0f "
      "%%; "
      "schedule %s (%d attempts) jitter %.2f, timeout %s; seed %u\n"
      "  chance that some event fails every attempt by bad luck: %.2g\n",
      events, flags.Num("rate"), chaos.fail_500 * 100, chaos.drop * 100,
      static_cast<long long>(chaos.slow_delay.count()), chaos.slow * 100,
      schedule->ToString().c_str(), max_attempts, jitter, flags.Str("timeout").c_str(), seed,
      std::min(1.0, events * std::pow(p_fail, max_attempts)));
  std::fflush(stdout);

  const auto start = Clock::now();
  Checks check;
  TempDir dir;
  ChaosReceiver receiver(chaos);
  Hookd hookd(dir, {"--workers", flags.Str("workers"), "--retry-schedule", flags.Str("schedule"),
                    "--retry-jitter", flags.Str("jitter"), "--timeout", flags.Str("timeout"),
                    "--log-level", "warn"});
  if (receiver.port() <= 0 || hookd.port() <= 0 || hookd.CreateEndpoint(receiver.url()).empty()) {
    std::printf("FAILED: setup; hookd's log:\n%s\n", hookd.Log().c_str());
    return 1;
  }

  // Paced, so that the gaps measure the schedule and its jitter rather than a
  // queue of work waiting for a free worker.
  const int clients = static_cast<int>(flags.Int("clients"));
  const auto interval = std::chrono::microseconds(
      static_cast<int64_t>(1e6 * clients / std::max(1.0, flags.Num("rate"))));
  EventLoad load(hookd.port(), Hookd::kToken, clients, events, "chaos.test", interval);
  Eventually([&] { return load.posts() >= events; },
             std::chrono::duration_cast<std::chrono::milliseconds>(cap * 0.7));
  load.Stop();
  const auto acked = load.acked();
  check.Expect(static_cast<int>(acked.size()) == events,
               std::to_string(acked.size()) + " of " + std::to_string(events) +
                   " events acknowledged (the receiver's chaos must not reach the API)");

  auto left = std::max<Clock::duration>(5s, start + cap - Clock::now());
  bool settled = Eventually([&] { return Settled(hookd); },
                            std::chrono::duration_cast<std::chrono::milliseconds>(left));
  check.Expect(settled, "deliveries still pending or inflight at the cap");
  const double drain_seconds = Since(start);

  // hookd's record of every delivery: status, attempts and their times.
  std::vector<double> ratios;
  std::map<int, int> attempts_histogram;
  int64_t recorded_attempts = 0;
  int not_succeeded = 0, over_schedule = 0, unreadable = 0;
  for (const auto& event_id : acked) {
    Json d = hookd.Deliveries(event_id);
    if (!d.is_array() || d.size() != 1) {
      ++unreadable;
      continue;
    }
    not_succeeded += d[0].value("status", "") != "succeeded";
    Json detail = hookd.Get("/v1/deliveries/" + d[0].value("id", "")).body;
    const Json& history = detail["history"];
    if (!history.is_array()) {
      ++unreadable;
      continue;
    }
    std::vector<Attempt> tries;
    for (const auto& h : history) {
      tries.push_back(
          {ParseMillis(h.value("attempted_at", "")), h.value("latency_ms", int64_t{0})});
    }
    std::sort(tries.begin(), tries.end(), [](auto& a, auto& b) { return a.at < b.at; });
    const int n = static_cast<int>(tries.size());
    recorded_attempts += n;
    ++attempts_histogram[n];
    over_schedule += n > max_attempts || d[0].value("attempts", 0) != n;
    for (int i = 1; i < n && i <= static_cast<int>(schedule->delays().size()); ++i) {
      // The next attempt is due (jittered) step after the previous one ended.
      double step = static_cast<double>(schedule->delays()[static_cast<size_t>(i - 1)].count());
      double gap = static_cast<double>(tries[i].at - (tries[i - 1].at + tries[i - 1].latency));
      ratios.push_back(gap / step);
    }
  }

  // The receiver's view: how often each id came, and what it was told.
  std::map<std::string, int> arrivals_by_id, successes_by_id;
  std::map<ChaosReceiver::Fate, int> fates;
  const auto arrivals = receiver.arrivals();
  for (const auto& a : arrivals) {
    ++arrivals_by_id[a.id];
    ++fates[a.fate];
    if (a.fate == ChaosReceiver::Fate::kOk || a.fate == ChaosReceiver::Fate::kSlow) {
      ++successes_by_id[a.id];
    }
  }
  int never_succeeded = 0, succeeded_twice = 0, arrived_too_often = 0;
  for (const auto& id : acked) {
    never_succeeded += successes_by_id[id] == 0;
    succeeded_twice += successes_by_id[id] > 1;
    arrived_too_often += arrivals_by_id[id] > max_attempts;
  }

  check.Expect(unreadable == 0, std::to_string(unreadable) + " deliveries could not be read");
  check.Expect(not_succeeded == 0, std::to_string(not_succeeded) + " deliveries not succeeded");
  check.Expect(over_schedule == 0 && arrived_too_often == 0,
               "attempts beyond the schedule: " + std::to_string(over_schedule) + " by hookd, " +
                   std::to_string(arrived_too_often) + " at the receiver");
  check.Expect(never_succeeded == 0,
               std::to_string(never_succeeded) + " events never got a 2xx at the receiver");
  check.Expect(succeeded_twice == 0,
               std::to_string(succeeded_twice) + " events sent again after a 2xx");
  check.Expect(static_cast<int64_t>(arrivals.size()) == recorded_attempts,
               "receiver saw " + std::to_string(arrivals.size()) + " requests, hookd recorded " +
                   std::to_string(recorded_attempts) + " attempts");
  check.Expect(arrivals_by_id.size() == acked.size(),
               "the receiver saw ids that were never acknowledged");
  const double min_ratio = Quantile(ratios, 0), p10 = Quantile(ratios, 0.1),
               p90 = Quantile(ratios, 0.9);
  // Never earlier than the jitter allows (1 ms of rounding per step).
  const double floor_ms = static_cast<double>(schedule->delays().front().count());
  check.Expect(ratios.empty() || min_ratio >= 1 - jitter - 1.0 / floor_ms,
               "an attempt came earlier than (1 - jitter) x its step");
  // Uniform jitter in [1-j, 1+j] puts p10..p90 1.6 j apart: at least j shows it works.
  if (jitter > 0 && ratios.size() >= 50) {
    check.Expect(p90 - p10 >= jitter, "the gaps do not spread as the jitter should");
  }

  std::string histogram;
  for (auto [n, count] : attempts_histogram) {
    histogram += " " + std::to_string(n) + ":" + std::to_string(count);
  }
  const double total = std::max<double>(1, static_cast<double>(arrivals.size()));
  std::printf(
      "chaos soak summary: %zu events acknowledged, %zu succeeded, %zu attempts (receiver: "
      "%.1f %% 500, %.1f %% dropped, %.1f %% slow, %.1f %% ok), attempts per delivery "
      "[count:deliveries]%s (max allowed %d)\n"
      "  gap / step over %zu retries: min %.3f p10 %.3f median %.3f p90 %.3f max %.3f "
      "(jitter %.2f allows %.2f..%.2f, plus scheduling delay)\n"
      "  drained in %.1f s, duration %.1f s\n",
      acked.size(), acked.size() - static_cast<size_t>(not_succeeded + unreadable), arrivals.size(),
      100 * fates[ChaosReceiver::Fate::k500] / total,
      100 * fates[ChaosReceiver::Fate::kDrop] / total,
      100 * fates[ChaosReceiver::Fate::kSlow] / total,
      100 * fates[ChaosReceiver::Fate::kOk] / total, histogram.c_str(), max_attempts, ratios.size(),
      min_ratio, p10, Quantile(ratios, 0.5), p90, Quantile(ratios, 1), jitter, 1 - jitter,
      1 + jitter, drain_seconds, Since(start));
  if (check.failures() > 0) {
    std::printf("chaos soak FAILED (%d checks); hookd's log:\n%s\n", check.failures(),
                hookd.Log().c_str());
    return 1;
  }
  std::printf("chaos soak passed\n");
  return 0;
}
