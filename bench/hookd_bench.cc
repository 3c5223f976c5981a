// hookd_bench: hookd's ingest rate, delivery rate and end-to-end latency, each
// beside a baseline measured in the same run on the same machine (127.0.0.1):
//   ingest   POST /v1/events (2 endpoints) at 1, 8 and 64 keep-alive clients,
//            vs a plain in-process cpp-httplib server answering 200;
//   delivery a backlog drained to a fast in-process receiver, vs a plain
//            keep-alive client loop (8 threads) against that receiver;
//   latency  POST sent -> receiver got it, open loop at 20 % of the delivery rate.
// Goals (from the issue): ingest >= 0.40x, delivery >= 0.50x, p99 < 25 ms.
// hookd runs as a child process on a fresh database in a temporary directory,
// with --log-level warn so that logging does not dominate.

#include <signal.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <functional>
#include <latch>
#include <map>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "bench_common.h"

namespace {

using namespace bench;  // NOLINT: this file is a client of bench_common alone

#ifndef HOOKD_PATH
#define HOOKD_PATH "hookd"
#endif
#ifndef HOOKLINE_BUILD_TYPE
#define HOOKLINE_BUILD_TYPE "unknown"
#endif

constexpr int kApiThreads = 80;  // >= 64 load clients + admin connections
// hookd's default. Every bench endpoint gets max_in_flight = kWorkers: with
// hookd's per-endpoint default (4) half the workers would idle on one endpoint.
constexpr int kWorkers = 8;
constexpr int kDeliveryThreads = 8;
constexpr int kLatencyProducers = 4;
constexpr double kIngestGoal = 0.40, kDeliveryGoal = 0.50, kP99GoalMs = 25, kLatencyShare = 0.20;

struct Options {
  std::string hookd = HOOKD_PATH, json_path, synchronous = "full";
  double seconds = 3;          // each throughput phase
  int64_t backlog = 20'000;    // events stored, then drained, in the delivery phase
  double latency_seconds = 5;  // the open-loop producer
  double drain_limit = 20;     // bounds every wait for deliveries
};

// hookd's flags besides --listen, --db and --api-token.
std::string HookdFlags(const Options& o) {
  // The receivers are on loopback, which the SSRF guard would refuse.
  return Fmt(
      "--api-threads %d --workers %d --synchronous %s --log-level warn "
      "--allow-private-networks",
      kApiThreads, kWorkers, o.synchronous.c_str());
}

// hookd on a fresh database in `dir`, with HookdFlags and `extra`.
std::unique_ptr<Hookd> StartHookd(const Options& o, const fs::path& dir,
                                  std::vector<std::string> extra = {}) {
  std::vector<std::string> flags;
  std::istringstream words(HookdFlags(o));
  for (std::string f; words >> f;) flags.push_back(f);
  flags.insert(flags.end(), extra.begin(), extra.end());
  return std::make_unique<Hookd>(o.hookd, dir, flags);
}

struct Load {
  int64_t ok = 0, failed = 0, warmup_ok = 0;
  double seconds = 0;
  double rate() const { return seconds > 0 ? static_cast<double>(ok) / seconds : 0; }
};

// `clients` threads, each one keep-alive connection posting `body` to `path`
// in a closed loop; counts answers with status `expect`. Every client connects
// and sends one warm-up request first (the listen backlog is 5: connecting is
// kept out of the measurement), then all run together for `seconds` or until
// `max_requests` were sent.
Load RunLoad(int port, const std::string& path, const httplib::Headers& headers,
             const std::string& body, int expect, int clients, double seconds,
             int64_t max_requests = 10'000'000) {
  std::atomic<int64_t> ok{0}, failed{0}, warmup_ok{0}, tickets{0};
  std::latch connected(clients), go(1);
  Clock::time_point start, deadline;
  std::vector<std::thread> threads;
  for (int i = 0; i < clients; ++i) {
    threads.emplace_back([&] {
      httplib::Client c("127.0.0.1", port);
      Tune(c);
      for (int tries = 0; tries < 20; ++tries) {
        auto r = c.Post(path, headers, body, "application/json");
        if (r && r->status == expect) {
          ++warmup_ok;
          break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
      connected.count_down();
      go.wait();
      while (Clock::now() < deadline && tickets.fetch_add(1) < max_requests) {
        auto r = c.Post(path, headers, body, "application/json");
        ++(r && r->status == expect ? ok : failed);
      }
    });
  }
  connected.wait();
  start = Clock::now();
  deadline = start + Seconds(seconds);
  go.count_down();
  for (auto& t : threads) t.join();
  return Load{ok.load(), failed.load(), warmup_ok.load(), SecondsSince(start)};
}

// 1. Ingest at 1, 8 and 64 clients: a plain server answering 200 (a small JSON
// body), then hookd with 2 endpoints on the fast receiver. hookd delivers while
// it ingests; each phase starts once the previous phase's deliveries are done.
void Ingest(const Options& o, const fs::path& dir, Receiver& rx, std::vector<Row>& rows) {
  const std::string body = EventBody();
  const int concurrency[] = {1, 8, 64};
  double plain[3];
  std::printf("ingest: plain httplib server ...\n");
  {
    LocalServer server(kApiThreads);
    server.server().Post("/ingest", [](const httplib::Request&, httplib::Response& res) {
      res.set_content(R"({"ok":true})", "application/json");
    });
    int port = server.Start();
    for (int i = 0; i < 3; ++i) {
      plain[i] = RunLoad(port, "/ingest", {}, body, 200, concurrency[i], o.seconds).rate();
    }
  }
  std::printf("ingest: hookd, 2 endpoints delivering meanwhile ...\n");
  auto hookd = StartHookd(o, dir / "ingest");
  Api api(hookd->port());
  for (int i = 0; i < 2; ++i) api.CreateEndpoint(rx.url(), kWorkers);
  int64_t expected = rx.count();
  for (int i = 0; i < 3; ++i) {
    CpuMeter cpu(hookd->pid());
    Load l =
        RunLoad(hookd->port(), "/v1/events", AuthHeaders(), body, 202, concurrency[i], o.seconds);
    std::string note = cpu.Note() + Fmt("; %lld delivered meanwhile",
                                        static_cast<long long>(rx.count() - expected));
    expected += 2 * (l.ok + l.warmup_ok);
    if (l.failed > 0) note += Fmt("; %lld not 202", static_cast<long long>(l.failed));
    auto drain = Clock::now();
    bool drained = WaitForCount(rx, expected, o.drain_limit);
    note += Fmt("; the rest in %.1f s%s", SecondsSince(drain), drained ? "" : " (gave up)");
    rows.push_back({"ingest, " + std::to_string(concurrency[i]) + " clients", "events/s", l.rate(),
                    plain[i], ">=0.40x", l.rate() >= kIngestGoal * plain[i], note});
  }
}

// 2. Delivery. Baseline: the plain client loop against the receiver. hookd: a
// backlog drained at full speed, from its release to the receiver's last
// arrival: the dispatcher alone (claim, sign, POST, record), no ingest
// competing. A disabled endpoint gets no deliveries at all, so the backlog is
// built by holding the receiver's answers while the events are stored: hookd's
// workers stall on their first requests (--timeout 60s so they do not time out).
double Delivery(const Options& o, const fs::path& dir, Receiver& rx, std::vector<Row>& rows) {
  std::printf("delivery: plain client loop, %d threads ...\n", kDeliveryThreads);
  const std::string body = EventBody();
  Load base = RunLoad(rx.port(), "/hook", {{"webhook-id", "evt_baseline"}}, body, 200,
                      kDeliveryThreads, o.seconds);
  std::printf("delivery: hookd, backlog of up to %lld events ...\n",
              static_cast<long long>(o.backlog));
  auto hookd = StartHookd(o, dir / "delivery", {"--timeout", "60s"});
  Api api(hookd->port());
  rx.Hold();
  api.CreateEndpoint(rx.url(), kWorkers);
  Load stored = RunLoad(hookd->port(), "/v1/events", AuthHeaders(), body, 202, kDeliveryThreads, 30,
                        o.backlog - kDeliveryThreads);
  int64_t n = stored.ok + stored.warmup_ok, before = rx.count();
  CpuMeter cpu(hookd->pid());
  auto start = Clock::now();
  rx.Release();
  bool all = WaitForCount(rx, before + n, o.drain_limit);
  double seconds = SecondsSince(start);
  int64_t delivered = rx.count() - before;
  double rate = static_cast<double>(delivered) / seconds;
  std::string note =
      cpu.Note() + Fmt("; %lld events stored first (at %.0f/s); %lld delivered in "
                       "%.1f s%s",
                       static_cast<long long>(n), stored.rate(), static_cast<long long>(delivered),
                       seconds, all ? "" : " (gave up waiting)");
  int64_t succeeded = api.CountDeliveries("succeeded");
  for (int i = 0; all && succeeded < n && i < 20; ++i) {  // outcomes are committed in batches
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    succeeded = api.CountDeliveries("succeeded");
  }
  note += Fmt("; hookd lists %lld succeeded", static_cast<long long>(succeeded));
  rows.push_back({"delivery, backlog drain", "deliveries/s", rate, base.rate(), ">=0.50x",
                  rate >= kDeliveryGoal * base.rate(), note});
  return rate;
}

// 3. End-to-end latency on a fresh hookd (no backlog): kLatencyProducers open-loop
// threads, each posting on its own fixed schedule; a late send goes out at once
// and the schedule stays. Latency: receiver arrival - time just before the POST.
void Latency(const Options& o, const fs::path& dir, Receiver& rx, double rate,
             std::vector<Row>& rows, Json& out) {
  std::printf("latency: open loop at %.0f events/s for %.0f s ...\n", rate, o.latency_seconds);
  auto hookd = StartHookd(o, dir / "latency");
  rx.StartRecording(
      Api(hookd->port()).CreateEndpoint(rx.url(), kWorkers)["secret"].get<std::string>());
  int64_t before = rx.count();
  std::vector<std::vector<std::pair<std::string, int64_t>>> sent(kLatencyProducers);
  std::atomic<int64_t> failed{0};
  const std::string body = EventBody();
  const Clock::duration interval = Seconds(kLatencyProducers / rate);
  const auto start = Clock::now() + std::chrono::milliseconds(100);
  const auto end = start + Seconds(o.latency_seconds);
  std::vector<std::thread> threads;
  for (int i = 0; i < kLatencyProducers; ++i) {
    threads.emplace_back([&, i] {
      httplib::Client c("127.0.0.1", hookd->port());
      Tune(c);
      c.Get("/healthz");  // connect before the schedule starts
      for (auto next = start + interval * i / kLatencyProducers; next < end; next += interval) {
        std::this_thread::sleep_until(next);
        int64_t t = NowNs();
        auto r = c.Post("/v1/events", AuthHeaders(), body, "application/json");
        if (r && r->status == 202) {
          sent[static_cast<size_t>(i)].emplace_back(Json::parse(r->body)["id"].get<std::string>(),
                                                    t);
        } else {
          ++failed;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  size_t n = 0;
  for (auto& s : sent) n += s.size();
  WaitForCount(rx, before + static_cast<int64_t>(n), o.drain_limit);
  std::vector<double> ms;
  for (auto& s : sent) {
    for (auto& [id, t] : s) {
      if (int64_t at = rx.Arrival(id); at >= 0) ms.push_back(static_cast<double>(at - t) / 1e6);
    }
  }
  std::sort(ms.begin(), ms.end());
  auto pct = [&](double p) {
    return ms.empty() ? 0.0 : ms[std::min(ms.size() - 1, static_cast<size_t>(p * ms.size()))];
  };
  out["latency"] = {{"rate_per_s", rate},
                    {"sent", n},
                    {"received", ms.size()},
                    {"not_accepted", failed.load()},
                    {"p50_ms", pct(0.5)},
                    {"p95_ms", pct(0.95)},
                    {"p99_ms", pct(0.99)},
                    {"max_ms", pct(1.0)},
                    {"bad_signatures", rx.bad_signatures()}};
  bool complete = n > 0 && ms.size() == n && failed == 0;
  for (auto [p, label] : {std::pair{0.5, "p50"}, std::pair{0.95, "p95"}, std::pair{0.99, "p99"},
                          std::pair{1.0, "max"}}) {
    Row r{"end-to-end latency " + std::string(label), "ms", pct(p), {}, "", {}, ""};
    if (p == 0.99) {
      r.goal = "<25ms";
      r.pass = complete && r.value < kP99GoalMs;
      r.note =
          Fmt("at %.0f/s = %.0f%% of the delivery rate; %zu sent, %zu received, "
              "%lld bad signatures",
              rate, kLatencyShare * 100, n, ms.size(), static_cast<long long>(rx.bad_signatures()));
    }
    rows.push_back(r);
  }
}

Options ParseArgs(int argc, char** argv) {
  Options o;
  FlagSetters flags = {
      {"--hookd", [&](const std::string& v) { o.hookd = v; }},
      {"--json", [&](const std::string& v) { o.json_path = v; }},
      {"--synchronous", [&](const std::string& v) { o.synchronous = v; }},
      {"--seconds", [&](const std::string& v) { o.seconds = std::stod(v); }},
      {"--backlog", [&](const std::string& v) { o.backlog = std::stoll(v); }},
      {"--latency-seconds", [&](const std::string& v) { o.latency_seconds = std::stod(v); }},
      {"--drain-limit", [&](const std::string& v) { o.drain_limit = std::stod(v); }}};
  ParseFlags(argc, argv, flags,
             "usage: hookd_bench [--hookd PATH] [--json PATH] [--seconds 3] [--backlog 20000] "
             "[--latency-seconds 5] [--drain-limit 20] [--synchronous full|normal]");
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  SetUpProcess();
  fs::path dir;
  try {
    Options o = ParseArgs(argc, argv);
    dir = TempDirRemovedOnStop("hookd_bench");
    std::printf("hookd_bench: %s (build %s), phases of %.1f s, temp dir %s\n", o.hookd.c_str(),
                HOOKLINE_BUILD_TYPE, o.seconds, dir.c_str());
    Json out = {{"benchmark", "hookd_bench"},
                {"build_type", HOOKLINE_BUILD_TYPE},
                {"hookd", o.hookd},
                {"hookd_flags", HookdFlags(o)},
                {"phase_seconds", o.seconds},
                {"backlog", o.backlog},
                {"environment_before", Environment(dir)},
                {"rows", Json::array()}};
    std::vector<Row> rows;
    Receiver rx;
    Ingest(o, dir, rx, rows);
    double rate = kLatencyShare * Delivery(o, dir, rx, rows);
    if (rate >= 1) Latency(o, dir, rx, rate, rows, out);
    Report(rows, out);
    std::printf("\nhookd ran with %s (log level warn keeps logging off the hot path); build %s.\n",
                HookdFlags(o).c_str(), HOOKLINE_BUILD_TYPE);
    out["environment_after"] = Environment(dir);
    WriteJson(o.json_path, out);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "hookd_bench: %s\n", e.what());
    if (!dir.empty()) fs::remove_all(dir);
    return 1;
  }
  fs::remove_all(dir);
  return 0;
}
