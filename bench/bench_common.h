// What hookd's benchmarks share: timing helpers, tuned cpp-httplib servers and
// clients on 127.0.0.1, the fast receiver hookd delivers to, hookd as a child
// process, its admin API, the environment probe and the figures table.
// Not thread-safe unless a class says so; benchmarks drive them from main().
#pragma once

#include <httplib.h>
#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "hookline/signing.h"

namespace bench {

using Clock = std::chrono::steady_clock;
using Json = nlohmann::json;
namespace fs = std::filesystem;

inline constexpr const char* kToken = "hookd-bench-token";

template <typename... Args>
std::string Fmt(const char* format, Args... args) {
  char buf[512];
  std::snprintf(buf, sizeof buf, format, args...);
  return buf;
}

int64_t NowNs();
double SecondsSince(Clock::time_point t);
Clock::duration Seconds(double s);

// What a producer posts: {"type","data"}, 400 bytes.
std::string EventBody();

// Cores, load average (other work shares them) and what a durable commit waits
// for: a 4 KiB append + fdatasync in `dir`, about one SQLite WAL commit. Printed too.
Json Environment(const fs::path& dir);

// User + system CPU seconds of a process so far; 0 if it cannot be read.
double CpuSeconds(pid_t pid);

// A process's peak resident set (VmHWM) in MiB; 0 if it cannot be read.
double PeakRssMiB(pid_t pid);

// "--flag value" pairs: runs flags[flag](value) for each; throws
// runtime_error(usage) on an unknown flag or a missing value.
using FlagSetters = std::map<std::string, std::function<void(const std::string&)>>;
void ParseFlags(int argc, char** argv, const FlagSetters& flags, const std::string& usage);

// Call first in main, before any thread starts: line-buffered stdout, SIGPIPE
// ignored, SIGINT and SIGTERM blocked (TempDirRemovedOnStop's thread takes them).
void SetUpProcess();
// A fresh "<prefix>.XXXXXX" in the temp dir. Ctrl-C or SIGTERM removes it and
// exits 130 (the hookd children get their parent-death SIGTERM).
fs::path TempDirRemovedOnStop(const std::string& prefix);

// Cores used by `pid` and by this process since construction.
struct CpuMeter {
  explicit CpuMeter(pid_t p);
  std::string Note() const;
  pid_t pid;
  double hookd0, self0;
  Clock::time_point start = Clock::now();
};

// Keep-alive, TCP_NODELAY (DESIGN.md: without it every request waits ~40 ms), timeouts.
void Tune(httplib::Client& c);

// An in-process server on 127.0.0.1:<free port>, tuned as DESIGN.md says.
class LocalServer {
 public:
  explicit LocalServer(int threads);
  ~LocalServer() { Stop(); }
  LocalServer(const LocalServer&) = delete;
  LocalServer& operator=(const LocalServer&) = delete;
  void Stop();
  httplib::Server& server() { return server_; }
  // Binds and serves on a thread; the port. Throws if it cannot bind.
  int Start();

 private:
  httplib::Server server_;
  std::thread thread_;
};

// The fast receiver: answers 200 at once and counts. Thread-safe. While held,
// requests wait unanswered; while recording, each webhook-id's arrival time is
// kept and its signature checked.
class Receiver {
 public:
  Receiver();
  ~Receiver();
  Receiver(const Receiver&) = delete;
  Receiver& operator=(const Receiver&) = delete;
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/hook"; }
  int port() const { return port_; }
  int64_t count() const { return count_.load(); }
  void Hold() { held_ = true; }
  void Release();
  void StartRecording(const std::string& secret);
  // Arrival time (NowNs) of `id`, or -1 if it has not arrived.
  int64_t Arrival(const std::string& id);
  int64_t bad_signatures();

 private:
  void Record(const httplib::Request& req, int64_t now);

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

// Waits until the receiver has counted `n` requests; false after `limit_s`.
bool WaitForCount(const Receiver& rx, int64_t n, double limit_s);

// hookd as a child process on `dir`/hookd.db (created if missing) with
// `--listen 127.0.0.1:0 --api-token kToken` and `flags`; stopped with SIGTERM.
// Throws if it does not print its "listening on" line.
class Hookd {
 public:
  Hookd(const std::string& binary, const fs::path& dir, const std::vector<std::string>& flags);
  ~Hookd() { Stop(); }
  Hookd(const Hookd&) = delete;
  Hookd& operator=(const Hookd&) = delete;
  int port() const { return port_; }
  pid_t pid() const { return pid_; }
  // SIGTERM, then SIGKILL after 30 s; then prints what hookd logged, if anything.
  void Stop();

 private:
  pid_t pid_ = -1;
  int port_ = -1;
  fs::path log_;
};

httplib::Headers AuthHeaders();

// hookd's admin API; throws on any unexpected answer.
class Api {
 public:
  explicit Api(int port);
  // The endpoint as hookd answers it (with "id" and "secret"). max_in_flight:
  // the endpoint's concurrency cap, which must not be what limits a benchmark.
  Json CreateEndpoint(const std::string& url, int max_in_flight);
  // Counts deliveries with `status`, a page of 1000 at a time.
  int64_t CountDeliveries(const std::string& status);

 private:
  httplib::Client client_;
};

// One line of the figures table.
struct Row {
  std::string name, unit;
  double value = 0;
  std::optional<double> baseline;
  std::string goal;
  std::optional<bool> pass;
  std::string note;
};

// Prints the table and appends the rows to out["rows"].
void Report(const std::vector<Row>& rows, Json& out);

// Writes `out` to `path` unless it is empty.
void WriteJson(const std::string& path, const Json& out);

}  // namespace bench
