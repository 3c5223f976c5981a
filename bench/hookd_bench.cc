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

#include <fcntl.h>
#include <httplib.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <latch>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "hookline/secret.h"
#include "hookline/signing.h"

namespace {

using Clock = std::chrono::steady_clock;
using Json = nlohmann::json;
namespace fs = std::filesystem;

#ifndef HOOKD_PATH
#define HOOKD_PATH "hookd"
#endif
#ifndef HOOKLINE_BUILD_TYPE
#define HOOKLINE_BUILD_TYPE "unknown"
#endif

constexpr const char* kToken = "hookd-bench-token";
constexpr int kApiThreads = 80;  // >= 64 load clients + admin connections
constexpr int kWorkers = 8;      // hookd's default
constexpr int kDeliveryThreads = 8;
constexpr int kLatencyProducers = 4;
constexpr double kDrainLimitS = 20;  // bounds every wait for deliveries
constexpr double kIngestGoal = 0.40, kDeliveryGoal = 0.50, kP99GoalMs = 25, kLatencyShare = 0.20;

struct Options {
  std::string hookd = HOOKD_PATH, json_path, synchronous = "full";
  double seconds = 3;          // each throughput phase
  int64_t backlog = 20'000;    // events stored, then drained, in the delivery phase
  double latency_seconds = 5;  // the open-loop producer
};

template <typename... Args>
std::string Fmt(const char* format, Args... args) {
  char buf[256];
  std::snprintf(buf, sizeof buf, format, args...);
  return buf;
}

int64_t NowNs() { return std::chrono::nanoseconds(Clock::now().time_since_epoch()).count(); }

double SecondsSince(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

Clock::duration Seconds(double s) {
  return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(s));
}

// What a producer posts: {"type","data"}, 400 bytes.
std::string EventBody() {
  std::string head =
      R"({"type":"invoice.paid","data":{"customer":"cus_0123456789","amount":4200,"pad":")";
  std::string tail = R"("}})";
  return head + std::string(400 - head.size() - tail.size(), 'x') + tail;
}

// hookd's flags besides --listen, --db and --api-token.
std::string HookdFlags(const Options& o) {
  // The receivers are on loopback, which the SSRF guard would refuse.
  return Fmt(
      "--api-threads %d --workers %d --synchronous %s --log-level warn "
      "--allow-private-networks",
      kApiThreads, kWorkers, o.synchronous.c_str());
}

// The machine under the figures: cores, load (other work shares them), and what a
// durable commit waits for: a 4 KiB append + fdatasync, about one SQLite WAL commit.
Json Environment(const fs::path& dir) {
  double load = 0;
  getloadavg(&load, 1);
  std::vector<double> ms;
  int fd = open((dir / "fsync_probe").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  std::string block(4096, 'x');
  for (int i = 0; fd >= 0 && i < 100; ++i) {
    auto t = Clock::now();
    if (write(fd, block.data(), block.size()) < 0 || fdatasync(fd) != 0) break;
    ms.push_back(SecondsSince(t) * 1e3);
  }
  if (fd >= 0) close(fd);
  fs::remove(dir / "fsync_probe");
  std::sort(ms.begin(), ms.end());
  double median = ms.empty() ? 0 : ms[ms.size() / 2];
  long cores = sysconf(_SC_NPROCESSORS_ONLN);
  std::printf(
      "environment: %ld cores, load average %.2f, fsync (4 KiB + fdatasync) median %.3f ms\n",
      cores, load, median);
  return {{"cores", cores}, {"load_average_1m", load}, {"fsync_median_ms", median}};
}

// User + system CPU seconds of a process so far (/proc/<pid>/stat fields 14 and 15).
double CpuSeconds(pid_t pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  unsigned long user = 0, sys = 0;
  size_t paren = stat.rfind(')');
  if (paren == std::string::npos ||
      std::sscanf(stat.c_str() + paren + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
                  &user, &sys) != 2) {
    return 0;
  }
  return static_cast<double>(user + sys) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

// Cores used by hookd and by this process (load generator + servers) since construction.
struct CpuMeter {
  explicit CpuMeter(pid_t p) : pid(p), hookd0(CpuSeconds(p)), self0(CpuSeconds(getpid())) {}
  std::string Note() const {
    double s = SecondsSince(start);
    return Fmt("cores: hookd %.2f, bench %.2f", (CpuSeconds(pid) - hookd0) / s,
               (CpuSeconds(getpid()) - self0) / s);
  }
  pid_t pid;
  double hookd0, self0;
  Clock::time_point start = Clock::now();
};

void Tune(httplib::Client& c) {
  c.set_tcp_nodelay(true);
  c.set_keep_alive(true);
  c.set_connection_timeout(5, 0);
  c.set_read_timeout(30, 0);
  c.set_write_timeout(30, 0);
}

// An in-process server on 127.0.0.1:<free port>, tuned as DESIGN.md says.
class LocalServer {
 public:
  explicit LocalServer(int threads) {
    server_.set_tcp_nodelay(true);
    server_.set_keep_alive_max_count(1'000'000);
    server_.set_keep_alive_timeout(30);
    server_.new_task_queue = [threads] {
      return new httplib::ThreadPool(static_cast<size_t>(threads));
    };
  }
  ~LocalServer() { Stop(); }
  void Stop() {
    server_.stop();
    if (thread_.joinable()) thread_.join();
  }
  httplib::Server& server() { return server_; }
  int Start() {
    int port = server_.bind_to_any_port("127.0.0.1");
    if (port < 0) throw std::runtime_error("cannot bind an in-process server");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    return port;
  }

 private:
  httplib::Server server_;
  std::thread thread_;
};

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

// The fast receiver: answers 200 at once and counts. While held, requests wait
// unanswered; while recording, each webhook-id's arrival time is kept and its
// signature checked.
class Receiver {
 public:
  Receiver() : server_(32) {
    server_.server().Post("/hook", [this](const httplib::Request& req, httplib::Response& res) {
      if (held_.load()) {
        std::unique_lock lock(mu_);
        gate_.wait(lock, [&] { return !held_.load(); });
      }
      if (signer_.load() != nullptr) Record(req, NowNs());
      ++count_;
      res.status = 200;
    });
    port_ = server_.Start();
  }
  ~Receiver() {
    Release();
    server_.Stop();  // before the members its handler uses go
    delete signer_.load();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/hook"; }
  int port() const { return port_; }
  int64_t count() const { return count_.load(); }
  void Hold() { held_ = true; }
  void Release() {
    std::lock_guard lock(mu_);
    held_ = false;
    gate_.notify_all();
  }
  void StartRecording(const std::string& secret) {
    delete signer_.exchange(new hookline::Signer(hookline::Secret::Parse(secret).value()));
  }
  int64_t Arrival(const std::string& id) {
    std::lock_guard lock(mu_);
    auto it = arrivals_.find(id);
    return it == arrivals_.end() ? -1 : it->second;
  }
  int64_t bad_signatures() {
    std::lock_guard lock(mu_);
    return bad_;
  }

 private:
  void Record(const httplib::Request& req, int64_t now) {
    std::string id = req.get_header_value("webhook-id");
    int64_t ts = std::strtoll(req.get_header_value("webhook-timestamp").c_str(), nullptr, 10);
    std::string want = signer_.load()->Sign(id, ts, req.body);
    bool good = req.get_header_value("webhook-signature").find(want) != std::string::npos;
    std::lock_guard lock(mu_);
    arrivals_.emplace(std::move(id), now);
    bad_ += good ? 0 : 1;
  }

  LocalServer server_;
  int port_ = -1;
  std::atomic<int64_t> count_{0};
  std::atomic<bool> held_{false};
  std::atomic<hookline::Signer*> signer_{nullptr};  // set once, before the latency phase
  std::mutex mu_;
  std::condition_variable gate_;
  std::unordered_map<std::string, int64_t> arrivals_;  // guarded by mu_
  int64_t bad_ = 0;                                    // guarded by mu_
};

// hookd as a child process on a fresh database in `dir`; stopped with SIGTERM.
class Hookd {
 public:
  Hookd(const Options& o, const fs::path& dir, std::vector<std::string> extra = {}) {
    fs::create_directories(dir);
    std::vector<std::string> args = {
        o.hookd,       "--listen", "127.0.0.1:0", "--db", (dir / "hookd.db").string(),
        "--api-token", kToken};
    std::istringstream flags(HookdFlags(o));
    for (std::string f; flags >> f;) args.push_back(f);
    args.insert(args.end(), extra.begin(), extra.end());
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    log_ = dir / "hookd.log";
    int out[2];
    if (pipe(out) != 0) throw std::runtime_error("pipe failed");
    pid_ = fork();
    if (pid_ == 0) {                     // only async-signal-safe calls until exec
      prctl(PR_SET_PDEATHSIG, SIGTERM);  // never outlive the benchmark
      dup2(out[1], 1);
      int log = open(log_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      if (log >= 0) dup2(log, 2);
      execv(argv[0], argv.data());
      _exit(127);
    }
    close(out[1]);
    // One line on stdout once it serves: "listening on http://127.0.0.1:PORT".
    FILE* in = fdopen(out[0], "r");
    char line[256] = "";
    bool up = std::fgets(line, sizeof line, in) != nullptr &&
              std::string_view(line).starts_with("listening on http://");
    std::fclose(in);
    if (!up) {
      Stop();
      throw std::runtime_error("hookd (" + o.hookd + ") did not start");
    }
    port_ = std::atoi(std::strrchr(line, ':') + 1);
  }
  ~Hookd() { Stop(); }
  int port() const { return port_; }
  pid_t pid() const { return pid_; }
  void Stop() {  // then shows what hookd logged (warn and above), if anything
    if (pid_ <= 0) return;
    kill(pid_, SIGTERM);
    for (int i = 0; i < 3000 && waitpid(pid_, nullptr, WNOHANG) == 0; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    if (kill(pid_, 0) == 0 && waitpid(pid_, nullptr, WNOHANG) == 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    pid_ = -1;
    std::ifstream f(log_);
    std::string log((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    if (!log.empty()) std::printf("hookd's log:\n%s", log.c_str());
  }

 private:
  pid_t pid_ = -1;
  int port_ = -1;
  fs::path log_;
};

httplib::Headers AuthHeaders() { return {{"Authorization", std::string("Bearer ") + kToken}}; }

// hookd's admin API; throws on any unexpected answer.
class Api {
 public:
  explicit Api(int port) : client_("127.0.0.1", port) { Tune(client_); }
  Json CreateEndpoint(const std::string& url) {
    return Check(
        client_.Post("/v1/endpoints", AuthHeaders(), Json{{"url", url}}.dump(), "application/json"),
        201);
  }
  // Counts deliveries with `status`, a page of 1000 at a time.
  int64_t CountDeliveries(const std::string& status) {
    int64_t n = 0;
    std::string cursor;
    do {
      std::string path = "/v1/deliveries?status=" + status + "&limit=1000&cursor=" + cursor;
      Json page = Check(client_.Get(path, AuthHeaders()), 200);
      n += static_cast<int64_t>(page["data"].size());
      cursor = page["next_cursor"].is_string() ? page["next_cursor"].get<std::string>() : "";
    } while (!cursor.empty());
    return n;
  }

 private:
  static Json Check(const httplib::Result& r, int expect) {
    if (!r || r->status != expect) {
      throw std::runtime_error("hookd API: " + (r ? std::to_string(r->status) + " " + r->body
                                                  : httplib::to_string(r.error())));
    }
    return Json::parse(r->body);
  }
  httplib::Client client_;
};

// Waits until the receiver has counted `n` requests; false after `limit_s`.
bool WaitForCount(const Receiver& rx, int64_t n, double limit_s) {
  auto start = Clock::now();
  while (rx.count() < n) {
    if (SecondsSince(start) > limit_s) return false;
    std::this_thread::sleep_for(std::chrono::microseconds(500));
  }
  return true;
}

struct Row {
  std::string name, unit;
  double value = 0;
  std::optional<double> baseline;
  std::string goal;
  std::optional<bool> pass;
  std::string note;
};

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
  Hookd hookd(o, dir / "ingest");
  Api api(hookd.port());
  for (int i = 0; i < 2; ++i) api.CreateEndpoint(rx.url());
  int64_t expected = rx.count();
  for (int i = 0; i < 3; ++i) {
    CpuMeter cpu(hookd.pid());
    Load l =
        RunLoad(hookd.port(), "/v1/events", AuthHeaders(), body, 202, concurrency[i], o.seconds);
    std::string note = cpu.Note() + Fmt("; %lld delivered meanwhile",
                                        static_cast<long long>(rx.count() - expected));
    expected += 2 * (l.ok + l.warmup_ok);
    if (l.failed > 0) note += Fmt("; %lld not 202", static_cast<long long>(l.failed));
    auto drain = Clock::now();
    bool drained = WaitForCount(rx, expected, kDrainLimitS);
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
  Hookd hookd(o, dir / "delivery", {"--timeout", "60s"});
  Api api(hookd.port());
  rx.Hold();
  api.CreateEndpoint(rx.url());
  Load stored = RunLoad(hookd.port(), "/v1/events", AuthHeaders(), body, 202, kDeliveryThreads, 30,
                        o.backlog - kDeliveryThreads);
  int64_t n = stored.ok + stored.warmup_ok, before = rx.count();
  CpuMeter cpu(hookd.pid());
  auto start = Clock::now();
  rx.Release();
  bool all = WaitForCount(rx, before + n, kDrainLimitS);
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
  Hookd hookd(o, dir / "latency");
  rx.StartRecording(Api(hookd.port()).CreateEndpoint(rx.url())["secret"].get<std::string>());
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
      httplib::Client c("127.0.0.1", hookd.port());
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
  WaitForCount(rx, before + static_cast<int64_t>(n), kDrainLimitS);
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

// The table on stdout and, with --json, the same as JSON.
void Report(const Options& o, const std::vector<Row>& rows, Json& out) {
  std::printf("\n%-38s %10s %10s %6s %7s %6s  %s\n", "figure", "hookd", "baseline", "ratio", "goal",
              "result", "notes");
  for (const Row& r : rows) {
    std::optional<double> ratio;
    if (r.baseline && *r.baseline > 0) ratio = r.value / *r.baseline;
    std::printf("%-38s %10s %10s %6s %7s %6s  %s\n", (r.name + " (" + r.unit + ")").c_str(),
                Fmt(r.unit == "ms" ? "%.2f" : "%.0f", r.value).c_str(),
                r.baseline ? Fmt("%.0f", *r.baseline).c_str() : "-",
                ratio ? Fmt("%.2fx", *ratio).c_str() : "-", r.goal.empty() ? "-" : r.goal.c_str(),
                r.pass ? (*r.pass ? "PASS" : "MISS") : "", r.note.c_str());
    out["rows"].push_back({{"name", r.name},
                           {"unit", r.unit},
                           {"value", r.value},
                           {"baseline", r.baseline ? Json(*r.baseline) : Json(nullptr)},
                           {"ratio", ratio ? Json(*ratio) : Json(nullptr)},
                           {"goal", r.goal},
                           {"pass", r.pass ? Json(*r.pass) : Json(nullptr)},
                           {"note", r.note}});
  }
  std::printf("\nhookd ran with %s (log level warn keeps logging off the hot path); build %s.\n",
              HookdFlags(o).c_str(), HOOKLINE_BUILD_TYPE);
  out["environment_after"] = Environment(fs::temp_directory_path());
  if (!o.json_path.empty()) {
    std::ofstream(o.json_path) << out.dump(2) << "\n";
    std::printf("wrote %s\n", o.json_path.c_str());
  }
}

Options ParseArgs(int argc, char** argv) {
  Options o;
  std::map<std::string, std::function<void(const std::string&)>> flags = {
      {"--hookd", [&](const std::string& v) { o.hookd = v; }},
      {"--json", [&](const std::string& v) { o.json_path = v; }},
      {"--synchronous", [&](const std::string& v) { o.synchronous = v; }},
      {"--seconds", [&](const std::string& v) { o.seconds = std::stod(v); }},
      {"--backlog", [&](const std::string& v) { o.backlog = std::stoll(v); }},
      {"--latency-seconds", [&](const std::string& v) { o.latency_seconds = std::stod(v); }}};
  for (int i = 1; i < argc; i += 2) {
    if (!flags.contains(argv[i]) || i + 1 == argc) {
      throw std::runtime_error(
          "usage: hookd_bench [--hookd PATH] [--json PATH] [--seconds 3] [--backlog 20000] "
          "[--latency-seconds 5] [--synchronous full|normal]");
    }
    flags[argv[i]](argv[i + 1]);
  }
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  signal(SIGPIPE, SIG_IGN);
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  sigset_t stop;  // Ctrl-C, SIGTERM: remove the temp dir; hookd gets its parent-death SIGTERM
  sigemptyset(&stop);
  sigaddset(&stop, SIGINT);
  sigaddset(&stop, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);
  fs::path dir;
  try {
    Options o = ParseArgs(argc, argv);
    std::string templ = (fs::temp_directory_path() / "hookd_bench.XXXXXX").string();
    if (mkdtemp(templ.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    dir = templ;
    std::thread([stop, dir] {
      int sig = 0;
      sigwait(&stop, &sig);
      fs::remove_all(dir);
      _exit(130);
    }).detach();
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
    Report(o, rows, out);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "hookd_bench: %s\n", e.what());
    if (!dir.empty()) fs::remove_all(dir);
    return 1;
  }
  fs::remove_all(dir);
  return 0;
}
