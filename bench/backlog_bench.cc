// backlog_bench: does hookd's delivery rate hold when the deliveries table
// already holds a long history, and what memory does hookd need for it?
//   rate  deliveries/s draining `pending` due deliveries to a fast in-process
//         receiver, over a deliveries table of `rows` rows (the rest succeeded,
//         each with its event and one attempt), vs the same `pending` deliveries
//         on a table holding nothing else (same run, same receiver);
//   RSS   hookd's peak resident set (VmHWM) at the end of the backlog run.
// Goals (from the issue): rate >= 0.8x the empty table's, peak RSS <= 150 MB.
//
// Storing 1M rows through the API would take minutes, so each database is
// made by hookd (schema, endpoint) and then filled directly with the SQLite
// API, in the shape hookd itself writes (db/src/sqlite_outbox_*.cc).

#include <signal.h>
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <functional>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "bench_common.h"
#include "hookline/clock.h"
#include "hookline/ids.h"

namespace {

using namespace bench;  // NOLINT: this file is a client of bench_common alone

#ifndef HOOKD_PATH
#define HOOKD_PATH "hookd"
#endif
#ifndef HOOKLINE_BUILD_TYPE
#define HOOKLINE_BUILD_TYPE "unknown"
#endif

constexpr int kWorkers = 8;  // hookd's default; also the endpoint's max_in_flight
constexpr double kRateGoal = 0.8, kRssGoalMiB = 150.0 * 1e6 / (1024 * 1024);
constexpr int64_t kRowsPerTransaction = 100'000;
constexpr int64_t kHistoryMs = 24LL * 3600 * 1000;  // well inside the 30-day retention

struct Options {
  std::string hookd = HOOKD_PATH, json_path, synchronous = "full";
  int64_t rows = 1'000'000;      // deliveries in the backlog table, pending included
  int64_t pending = 100'000;     // due deliveries drained in each run
  double seconds = 60;           // cap on each drain
  int max_in_flight = kWorkers;  // the endpoint's concurrency cap
};

std::vector<std::string> HookdFlags(const Options& o) {
  // Loopback receiver: the SSRF guard must allow it. The breaker never matters
  // to a receiver that always answers 200, but must not cut a drain short either.
  return {"--workers",
          std::to_string(kWorkers),
          "--synchronous",
          o.synchronous,
          "--log-level",
          "warn",
          "--allow-private-networks",
          "--breaker-threshold",
          "0"};
}

// The few sqlite3 calls the fill needs, each checked.
class Db {
 public:
  explicit Db(const fs::path& path) {
    if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK) {
      throw std::runtime_error("cannot open " + path.string() + ": " + sqlite3_errmsg(db_));
    }
  }
  ~Db() { sqlite3_close_v2(db_); }
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;
  void Exec(const char* sql) {
    if (sqlite3_exec(db_, sql, nullptr, nullptr, nullptr) != SQLITE_OK) Fail(sql);
  }
  sqlite3_stmt* Prepare(const char* sql) {
    sqlite3_stmt* s = nullptr;
    if (sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &s, nullptr) != SQLITE_OK) {
      Fail(sql);
    }
    return s;
  }
  void Run(sqlite3_stmt* s) {
    if (sqlite3_step(s) != SQLITE_DONE) Fail(sqlite3_sql(s));
    sqlite3_reset(s);
  }
  [[noreturn]] void Fail(const char* what) {
    throw std::runtime_error(std::string("sqlite: ") + sqlite3_errmsg(db_) + " in " + what);
  }

 private:
  sqlite3* db_ = nullptr;
};

void BindText(sqlite3_stmt* s, int i, const std::string& v) {
  sqlite3_bind_text(s, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
}

// RFC 3339 with milliseconds, as hookd writes an event's "timestamp".
std::string Rfc3339(int64_t unix_ms) {
  time_t secs = static_cast<time_t>(unix_ms / 1000);
  tm t{};
  gmtime_r(&secs, &t);
  char buf[64];  // room for any int fields, which -Wformat-truncation counts
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", t.tm_year + 1900,
                t.tm_mon + 1, t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec,
                static_cast<int>(unix_ms % 1000));
  return buf;
}

// Appends `history` succeeded deliveries (created over the last day, each with
// its event and one 200 attempt), then `pending` deliveries due now, all to
// `endpoint_id`. Ids come from a clock set to each row's creation time, so id
// order is creation order as in hookd's own writes. synchronous=OFF: a fill
// that dies is simply run again.
void Fill(const fs::path& db_path, const std::string& endpoint_id, int64_t history,
          int64_t pending) {
  Db db(db_path);
  db.Exec("PRAGMA synchronous=OFF");
  sqlite3_stmt* event =
      db.Prepare("INSERT INTO events(id, type, body, created_at) VALUES(?1, ?2, ?3, ?4)");
  sqlite3_stmt* delivery = db.Prepare(
      "INSERT INTO deliveries(id, event_id, endpoint_id, status, attempts, schedule_step, "
      "next_attempt_at, last_status_code, created_at, updated_at) "
      "VALUES(?1, ?2, ?3, ?4, ?5, ?5, ?6, ?7, ?8, ?9)");
  sqlite3_stmt* attempt = db.Prepare(
      "INSERT INTO attempts(delivery_id, attempted_at, status_code, error, latency_ms, "
      "response_excerpt) VALUES(?1, ?2, 200, '', 2, '')");
  const std::string type = "invoice.paid";
  const std::string data = Json::parse(EventBody())["data"].dump();
  hookline::FakeClock clock;
  hookline::IdGenerator ids(clock);
  const int64_t now = hookline::SystemClock::Get().NowUnixMillis();
  const int64_t total = history + pending;
  db.Exec("BEGIN");
  for (int64_t i = 0; i < total; ++i) {
    bool done = i < history;
    // History spread over the last day; pending rows created in the last second.
    int64_t created =
        done ? now - kHistoryMs + i * (kHistoryMs - 60'000) / std::max<int64_t>(history, 1)
             : now - 1000 + (i - history) * 1000 / std::max<int64_t>(pending, 1);
    clock.Set(hookline::TimePoint(std::chrono::milliseconds(created)));
    std::string event_id = ids.Next("evt_"), delivery_id = ids.Next("dlv_");
    // The envelope hookd stores and sends: {"type","timestamp","data"} (api_events.cc).
    std::string body = R"({"type":")" + type + R"(","timestamp":")" + Rfc3339(created) +
                       R"(","data":)" + data + "}";
    BindText(event, 1, event_id);
    BindText(event, 2, type);
    sqlite3_bind_blob(event, 3, body.data(), static_cast<int>(body.size()), SQLITE_TRANSIENT);
    sqlite3_bind_int64(event, 4, created);
    db.Run(event);
    int64_t attempted = created + 5;  // a fast receiver's answer
    BindText(delivery, 1, delivery_id);
    BindText(delivery, 2, event_id);
    BindText(delivery, 3, endpoint_id);
    sqlite3_bind_int(delivery, 4, done ? 2 : 0);  // succeeded : pending
    sqlite3_bind_int(delivery, 5, done ? 1 : 0);
    sqlite3_bind_int64(delivery, 6, done ? attempted : created);
    if (done) {
      sqlite3_bind_int(delivery, 7, 200);
    } else {
      sqlite3_bind_null(delivery, 7);
    }
    sqlite3_bind_int64(delivery, 8, created);
    sqlite3_bind_int64(delivery, 9, done ? attempted : created);
    db.Run(delivery);
    if (done) {
      BindText(attempt, 1, delivery_id);
      sqlite3_bind_int64(attempt, 2, attempted);
      db.Run(attempt);
    }
    if ((i + 1) % kRowsPerTransaction == 0) db.Exec("COMMIT; BEGIN");
  }
  db.Exec("COMMIT");
  for (sqlite3_stmt* s : {event, delivery, attempt}) sqlite3_finalize(s);
}

struct Drain {
  double rate = 0, startup_s = 0, peak_rss_mib = 0, fill_s = 0, seconds = 0;
  int64_t delivered = 0, left_pending = -1;
  bool complete = false;
};

// One run: a database made by hookd with one endpoint on `rx`, filled with
// `history` + `pending` rows, then hookd started on it and timed while it drains.
// The rate is taken between 5 % and 95 % of the pending deliveries, so neither
// hookd's start nor the drain's last partial batches count.
Drain Run(const Options& o, const fs::path& dir, Receiver& rx, int64_t history) {
  std::string endpoint_id;
  {
    Hookd hookd(o.hookd, dir, HookdFlags(o));
    endpoint_id =
        Api(hookd.port()).CreateEndpoint(rx.url(), o.max_in_flight)["id"].get<std::string>();
  }
  Drain d;
  auto fill = Clock::now();
  Fill(dir / "hookd.db", endpoint_id, history, o.pending);
  d.fill_s = SecondsSince(fill);
  std::printf("  filled %lld succeeded + %lld pending in %.1f s\n", static_cast<long long>(history),
              static_cast<long long>(o.pending), d.fill_s);
  const int64_t before = rx.count();
  const int64_t from = before + o.pending / 20, to = before + o.pending * 19 / 20;
  auto started = Clock::now();
  Hookd hookd(o.hookd, dir, HookdFlags(o));
  d.startup_s = SecondsSince(started);
  bool reached = WaitForCount(rx, from, o.seconds);
  auto t0 = Clock::now();
  int64_t c0 = rx.count();
  reached = reached && WaitForCount(rx, to, std::max(0.0, o.seconds - SecondsSince(started)));
  d.seconds = SecondsSince(t0);
  d.delivered = rx.count() - c0;
  d.rate = d.seconds > 0 ? static_cast<double>(d.delivered) / d.seconds : 0;
  d.complete = reached && WaitForCount(rx, before + o.pending,
                                       std::max(1.0, o.seconds - SecondsSince(started)));
  // Outcomes are committed in batches: give the last ones a moment to land.
  Api api(hookd.port());
  for (int i = 0; i < (d.complete ? 50 : 1); ++i) {
    d.left_pending = api.CountDeliveries("pending") + api.CountDeliveries("inflight");
    if (d.left_pending == 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  d.peak_rss_mib = PeakRssMiB(hookd.pid());
  return d;
}

std::string Note(const Drain& d) {
  return Fmt(
      "%.0f deliveries timed over %.2f s (5-95 %% of the drain)%s; hookd started in %.2f s; "
      "%lld left pending afterwards; filled in %.1f s",
      static_cast<double>(d.delivered), d.seconds, d.complete ? "" : " (drain INCOMPLETE)",
      d.startup_s, static_cast<long long>(d.left_pending), d.fill_s);
}

Options ParseArgs(int argc, char** argv) {
  Options o;
  FlagSetters flags = {
      {"--hookd", [&](const std::string& v) { o.hookd = v; }},
      {"--json", [&](const std::string& v) { o.json_path = v; }},
      {"--synchronous", [&](const std::string& v) { o.synchronous = v; }},
      {"--rows", [&](const std::string& v) { o.rows = std::stoll(v); }},
      {"--pending", [&](const std::string& v) { o.pending = std::stoll(v); }},
      {"--seconds", [&](const std::string& v) { o.seconds = std::stod(v); }},
      {"--max-in-flight", [&](const std::string& v) { o.max_in_flight = std::stoi(v); }}};
  ParseFlags(argc, argv, flags,
             "usage: backlog_bench [--hookd PATH] [--json PATH] [--rows 1000000] "
             "[--pending 100000] [--seconds 60] [--max-in-flight 8] [--synchronous full|normal]");
  if (o.pending < 20 || o.rows < o.pending) {
    throw std::runtime_error("backlog_bench: need --rows >= --pending >= 20");
  }
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  SetUpProcess();
  fs::path dir;
  try {
    Options o = ParseArgs(argc, argv);
    dir = TempDirRemovedOnStop("backlog_bench");
    std::printf("backlog_bench: %s (build %s), %lld rows with %lld pending, temp dir %s\n",
                o.hookd.c_str(), HOOKLINE_BUILD_TYPE, static_cast<long long>(o.rows),
                static_cast<long long>(o.pending), dir.c_str());
    std::string flags;
    for (const auto& f : HookdFlags(o)) flags += (flags.empty() ? "" : " ") + f;
    Json out = {{"benchmark", "backlog_bench"},
                {"build_type", HOOKLINE_BUILD_TYPE},
                {"hookd", o.hookd},
                {"hookd_flags", flags},
                {"table_rows", o.rows},
                {"pending", o.pending},
                {"environment_before", Environment(dir)},
                {"rows", Json::array()}};
    Receiver rx;
    std::printf("backlog: baseline, %lld pending on an otherwise empty table ...\n",
                static_cast<long long>(o.pending));
    Drain empty = Run(o, dir / "empty", rx, 0);
    fs::remove_all(dir / "empty");
    std::printf("backlog: %lld rows (%lld succeeded + %lld pending) ...\n",
                static_cast<long long>(o.rows), static_cast<long long>(o.rows - o.pending),
                static_cast<long long>(o.pending));
    Drain full = Run(o, dir / "backlog", rx, o.rows - o.pending);
    std::vector<Row> rows;
    std::string size = o.rows >= 1'000'000 ? Fmt("%.0fM", static_cast<double>(o.rows) / 1e6)
                                           : Fmt("%.0fk", static_cast<double>(o.rows) / 1e3);
    rows.push_back({"delivery over a " + size + "-row table", "deliveries/s", full.rate, empty.rate,
                    ">=0.80x", full.complete && full.rate >= kRateGoal * empty.rate,
                    Note(full) + "; baseline: the same pending rows alone: " + Note(empty)});
    rows.push_back({"hookd peak RSS over a " + size + "-row table", "MiB", full.peak_rss_mib,
                    empty.peak_rss_mib, "<=150MB", full.peak_rss_mib <= kRssGoalMiB,
                    "VmHWM at the end of the drain; baseline: the same on the empty table"});
    Report(rows, out);
    std::printf("\nhookd ran with %s; build %s.\n", flags.c_str(), HOOKLINE_BUILD_TYPE);
    out["environment_after"] = Environment(dir);
    WriteJson(o.json_path, out);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "backlog_bench: %s\n", e.what());
    if (!dir.empty()) fs::remove_all(dir);
    return 1;
  }
  fs::remove_all(dir);
  return 0;
}
