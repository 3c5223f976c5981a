// A real hookd: /metrics moves as events flow and is valid exposition text;
// logs are JSON on request and never carry secrets; /readyz reports stalls.
#include <sqlite3.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <future>
#include <map>
#include <set>
#include <sstream>

#include "hookline/encoding.h"
#include "support/hookd_fixture.h"
#include "support/test_receiver.h"

using namespace hookline;
using namespace hookline::testing;
using namespace std::chrono_literals;

namespace {

struct Scrape {
  int status = 0;
  std::string content_type;
  std::string text;
  std::map<std::string, double> samples;  // "name{labels}" exactly as rendered -> value
  double Get(const std::string& series) const {
    auto it = samples.find(series);
    return it == samples.end() ? -1 : it->second;
  }
};

Scrape ScrapeMetrics(int port, const std::string& token = "") {
  httplib::Client cli("127.0.0.1", port);
  cli.set_read_timeout(10);
  httplib::Headers headers;
  if (!token.empty()) headers.emplace("Authorization", "Bearer " + token);
  auto r = cli.Get("/metrics", headers);
  Scrape s;
  if (!r) return s;
  s.status = r->status;
  s.content_type = r->get_header_value("Content-Type");
  s.text = r->body;
  if (r->status != 200) return s;
  std::istringstream in(r->body);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    size_t space = line.rfind(' ');
    s.samples[line.substr(0, space)] = std::stod(line.substr(space + 1));
  }
  return s;
}

// Checks the exposition format: every sample belongs to a family announced by
// HELP and TYPE before it; histogram buckets are cumulative, end with +Inf,
// and +Inf equals _count. Returns "" or the first problem.
std::string FormatProblems(const std::string& text) {
  std::set<std::string> helped;
  std::map<std::string, std::string> types;
  std::istringstream in(text);
  std::string line;
  // Per histogram series (labels without le): the last bucket value and whether +Inf was seen.
  std::map<std::string, double> last_bucket;
  std::map<std::string, double> inf_bucket;
  std::map<std::string, double> counts;
  if (text.empty() || text.back() != '\n') return "output does not end with a newline";
  while (std::getline(in, line)) {
    if (line.rfind("# HELP ", 0) == 0) {
      helped.insert(line.substr(7, line.find(' ', 7) - 7));
      continue;
    }
    if (line.rfind("# TYPE ", 0) == 0) {
      size_t name_end = line.find(' ', 7);
      std::string type = line.substr(name_end + 1);
      if (type != "counter" && type != "gauge" && type != "histogram") return "bad type: " + line;
      types[line.substr(7, name_end - 7)] = type;
      continue;
    }
    if (line.empty() || line[0] == '#') return "unexpected line: '" + line + "'";
    size_t name_end = line.find_first_of("{ ");
    std::string name = line.substr(0, name_end);
    std::string family = name;
    for (const char* suffix : {"_bucket", "_sum", "_count"}) {
      std::string sfx = suffix;
      if (family.size() > sfx.size() &&
          family.compare(family.size() - sfx.size(), sfx.size(), sfx) == 0) {
        std::string base = family.substr(0, family.size() - sfx.size());
        if (types.count(base) && types[base] == "histogram") family = base;
      }
    }
    if (!helped.count(family)) return "no HELP before " + line;
    if (!types.count(family)) return "no TYPE before " + line;
    size_t space = line.rfind(' ');
    double value = std::stod(line.substr(space + 1));
    std::string labels = line.substr(name_end, space - name_end);
    if (types[family] != "histogram") continue;
    if (name == family + "_bucket") {
      size_t le = labels.find("le=\"");
      if (le == std::string::npos) return "bucket without le: " + line;
      std::string le_value = labels.substr(le + 4, labels.find('"', le + 4) - le - 4);
      std::string key = family + labels.substr(0, le);
      if (last_bucket.count(key) && value < last_bucket[key]) return "not cumulative: " + line;
      last_bucket[key] = value;
      if (le_value == "+Inf") inf_bucket[key] = value;
    } else if (name == family + "_count") {
      // The key matches the bucket key: labels up to where le would start.
      std::string key = family + (labels.empty() ? "{" : labels.substr(0, labels.size() - 1) + ",");
      counts[key] = value;
    }
  }
  for (const auto& [key, count] : counts) {
    if (!inf_bucket.count(key)) return "no +Inf bucket for " + key;
    if (inf_bucket[key] != count) return "+Inf bucket != _count for " + key;
  }
  if (counts.size() != last_bucket.size()) return "a histogram lacks _count";
  return "";
}

const std::string kSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

}  // namespace

TEST_CASE("metrics move as events flow and stay valid exposition text", "[integration][metrics]") {
  TempDir dir;
  // The first request fails once, so a retryable outcome shows up too.
  TestReceiver receiver([](int n, const ReceivedRequest&) {
    return Answer{n == 0 ? 503 : 200, "ok", {}};
  });
  Hookd hookd(dir);
  INFO(hookd.Log());

  Scrape before = ScrapeMetrics(hookd.port());  // no token: public by default
  REQUIRE(before.status == 200);
  CHECK(before.content_type == "text/plain; version=0.0.4; charset=utf-8");
  CHECK(FormatProblems(before.text) == "");
  CHECK(before.Get("hookline_events_ingested_total") == 0);
  CHECK(before.Get("hookline_delivery_attempts_total{outcome=\"success\"}") == 0);

  REQUIRE_FALSE(hookd.CreateEndpoint(receiver.url()).empty());
  constexpr int kEvents = 5;
  std::vector<std::string> ids;
  for (int i = 0; i < kEvents; ++i) ids.push_back(hookd.PostEvent("order.paid", Json{{"n", i}}));
  CHECK(hookd.Get("/v1/endpoints/ep_doesnotexist").status == 404);
  REQUIRE(Eventually([&] {
    for (const auto& id : ids) {
      Json d = hookd.Deliveries(id);
      if (d.size() != 1 || d[0]["status"] != "succeeded") return false;
    }
    return true;
  }));

  Scrape after;
  // Succeeded in the store means recorded; the counters moved before that.
  REQUIRE(Eventually([&] {
    after = ScrapeMetrics(hookd.port());
    return after.Get("hookline_deliveries{status=\"succeeded\"}") == kEvents;
  }));
  INFO(after.text);
  CHECK(FormatProblems(after.text) == "");
  CHECK(after.Get("hookline_events_ingested_total") == kEvents);
  CHECK(after.Get("hookline_delivery_attempts_total{outcome=\"success\"}") == kEvents);
  CHECK(after.Get("hookline_delivery_attempts_total{outcome=\"retryable_status\"}") == 1);
  CHECK(after.Get("hookline_delivery_attempts_total{outcome=\"network_error\"}") == 0);
  CHECK(after.Get("hookline_delivery_latency_seconds_count") == kEvents);
  CHECK(after.Get("hookline_delivery_latency_seconds_sum") > 0);
  CHECK(after.Get("hookline_attempt_duration_seconds_count") == kEvents + 1);
  CHECK(after.Get("hookline_deliveries{status=\"pending\"}") == 0);
  CHECK(after.Get("hookline_deliveries{status=\"failed\"}") == 0);
  CHECK(after.Get("hookline_oldest_due_delivery_age_seconds") == 0);
  CHECK(after.Get("hookline_db_commit_duration_seconds_count") > 0);
  CHECK(after.Get("hookline_db_commit_batch_size_count") > 0);
  CHECK(after.Get(
            "hookline_http_requests_total{route=\"/v1/events\",method=\"POST\",status=\"202\"}") ==
        kEvents);
  CHECK(after.Get("hookline_http_requests_total{route=\"/v1/endpoints\",method=\"POST\",status="
                  "\"201\"}") == 1);
  CHECK(after.Get("hookline_http_requests_total{route=\"/v1/endpoints/{id}\",method=\"GET\","
                  "status=\"404\"}") == 1);
  CHECK(after.Get("hookline_http_requests_total{route=\"/metrics\",method=\"GET\",status="
                  "\"200\"}") >= 1);
  CHECK(after.text.find("ep_doesnotexist") == std::string::npos);
}

TEST_CASE("metrics access follows the metrics flag", "[integration][metrics]") {
  TempDir dir;
  SECTION("token") {
    Hookd hookd(dir, {"--metrics", "token"});
    CHECK(ScrapeMetrics(hookd.port()).status == 401);
    Scrape s = ScrapeMetrics(hookd.port(), Hookd::kToken);
    CHECK(s.status == 200);
    CHECK(s.Get("hookline_events_ingested_total") == 0);
  }
  SECTION("off") {
    Hookd hookd(dir, {"--metrics", "off"});
    CHECK(ScrapeMetrics(hookd.port(), Hookd::kToken).status == 404);
  }
}

TEST_CASE("JSON logs carry delivery fields and never a secret or the API token",
          "[integration][logs]") {
  TempDir dir;
  TestReceiver receiver;
  Hookd hookd(dir, {"--log-format", "json", "--log-level", "debug"});
  std::string id = hookd.CreateEndpoint(receiver.url(), Json{{"secret", kSecret}});
  REQUIRE_FALSE(id.empty());
  ApiReply rotated = hookd.Post("/v1/endpoints/" + id + "/rotate-secret", Json::object());
  REQUIRE(rotated.status == 200);
  std::string new_secret = rotated.body["secret"].get<std::string>();
  REQUIRE(new_secret.rfind("whsec_", 0) == 0);
  CHECK(hookd.Get("/v1/endpoints/" + id + "/secret").status == 200);
  std::string event = hookd.PostEvent("user.created", Json{{"name", "Ada"}});
  REQUIRE(Eventually([&] { return receiver.count() == 1; }));
  // A wrong token is refused and must not be logged either.
  const std::string wrong = "wrong-token-9876543210";
  CHECK(hookd.Call("GET", "/v1/endpoints", "", {{"Authorization", "Bearer " + wrong}}, false)
            .status == 401);
  std::string log;
  REQUIRE(Eventually([&] {
    log = hookd.Log();
    return log.find("\"msg\":\"delivered event=" + event) != std::string::npos;
  }));
  INFO(log);

  for (const std::string& secret : {kSecret, new_secret}) {
    CHECK(log.find(secret) == std::string::npos);
    CHECK(log.find(secret.substr(6)) == std::string::npos);  // the base64 key alone
  }
  CHECK(log.find(Hookd::kToken) == std::string::npos);
  CHECK(log.find(wrong) == std::string::npos);
  CHECK(log.find("whsec_") == std::string::npos);

  // Every line is one JSON object; the outcome line has the delivery's fields.
  std::istringstream lines(log);
  std::string line;
  int delivered = 0;
  while (std::getline(lines, line)) {
    Json j = Json::parse(line, nullptr, false);
    INFO(line);
    REQUIRE(j.is_object());
    CHECK(j.contains("time"));
    CHECK(j.contains("level"));
    CHECK(j.contains("msg"));
    if (j["msg"].get<std::string>().rfind("delivered ", 0) == 0) {
      ++delivered;
      CHECK(j["level"] == "info");
      CHECK(j["event"] == event);
      CHECK(j["endpoint"] == id);
      CHECK(j["attempt"] == 1);
      CHECK(j["status"] == 200);
      CHECK(j["latency_ms"].is_number());
    }
  }
  CHECK(delivered == 1);
}

TEST_CASE("readyz reports a stall while every worker is stuck, and recovers",
          "[integration][stall]") {
  TempDir dir;
  std::atomic<bool> release{false};
  // Holds each request until released (bounded at 20 s), as a receiver that never answers.
  TestReceiver receiver([&](int, const ReceivedRequest&) {
    for (int i = 0; i < 2000 && !release.load(); ++i) std::this_thread::sleep_for(10ms);
    return Answer{};
  });
  Hookd hookd(dir, {"--workers", "1", "--timeout", "30s", "--stall-after", "1s"});
  INFO(hookd.Log());
  auto ready = [&] { return hookd.Call("GET", "/readyz", "", {}, false); };

  // Idle for longer than --stall-after: still ready.
  std::this_thread::sleep_for(1500ms);
  REQUIRE(ready().status == 200);

  REQUIRE_FALSE(hookd.CreateEndpoint(receiver.url()).empty());
  REQUIRE_FALSE(hookd.PostEvent("a.b").empty());  // takes the only worker
  REQUIRE(Eventually([&] { return receiver.count() == 1; }));
  REQUIRE_FALSE(hookd.PostEvent("a.b").empty());  // due, with no worker free
  ApiReply stalled;
  CHECK(Eventually(
      [&] {
        stalled = ready();
        return stalled.status == 503;
      },
      8s));
  CHECK(stalled.body["status"] == "unavailable");
  CHECK(stalled.body["reason"].get<std::string>().find("no attempt has started") !=
        std::string::npos);
  CHECK(Eventually([&] { return hookd.Log().find("not ready: stalled") != std::string::npos; }));

  release = true;
  CHECK(Eventually([&] { return ready().status == 200; }, 8s));
  CHECK(Eventually([&] { return hookd.Log().find("ready again") != std::string::npos; }));
}

TEST_CASE("readyz stays ready while due work waits for an endpoint's rate limit",
          "[integration][stall]") {
  TempDir dir;
  TestReceiver receiver;
  Hookd hookd(dir, {"--stall-after", "500ms"});
  INFO(hookd.Log());
  // One attempt every 4 s: the later events are due, and wait, far longer than
  // --stall-after with no attempt started. That is the operator's limit, not a stall.
  std::string ep = hookd.CreateEndpoint(receiver.url(),
                                        Json{{"rate_limit_per_s", 0.25}, {"rate_limit_burst", 1}});
  REQUIRE_FALSE(ep.empty());
  for (int i = 0; i < 3; ++i) REQUIRE_FALSE(hookd.PostEvent("a.b").empty());
  REQUIRE(Eventually([&] { return receiver.count() == 1; }));
  auto until = std::chrono::steady_clock::now() + 2500ms;
  int answers = 0;
  while (std::chrono::steady_clock::now() < until) {
    ApiReply r = hookd.Call("GET", "/readyz", "", {}, false);
    INFO(r.body.dump());
    REQUIRE(r.status == 200);
    ++answers;
    std::this_thread::sleep_for(100ms);
  }
  CHECK(answers >= 10);
  CHECK(receiver.count() == 1);  // the limit held: it was waiting, not delivering
  CHECK(hookd.Log().find("not ready") == std::string::npos);
}

TEST_CASE("readyz reports a database that stopped committing", "[integration][stall]") {
  TempDir dir;
  Hookd hookd(dir, {"--stall-after", "1s", "--db-busy-timeout", "15s"});
  INFO(hookd.Log());
  // Another process-like connection holds the write lock.
  sqlite3* other = nullptr;
  REQUIRE(sqlite3_open(hookd.db_path().c_str(), &other) == SQLITE_OK);
  // hookd may be committing (start-up, a checkpoint) at this moment: wait for it.
  sqlite3_busy_timeout(other, 5000);
  REQUIRE(sqlite3_exec(other, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) == SQLITE_OK);
  auto post = std::async(std::launch::async, [&] {
    return hookd.Post("/v1/events", Json{{"type", "a.b"}, {"data", Json::object()}});
  });
  // The write now waits for the lock; past --stall-after the probe says so at
  // once (it never queues behind the stuck writer).
  std::this_thread::sleep_for(1500ms);
  ApiReply stalled = hookd.Call("GET", "/readyz", "", {}, false);
  CHECK(stalled.status == 503);
  CHECK(ScrapeMetrics(hookd.port()).Get("hookline_db_write_wait_seconds") >= 1);
  CHECK(stalled.body["reason"].get<std::string>().find("database has not committed") !=
        std::string::npos);
  REQUIRE(sqlite3_exec(other, "ROLLBACK", nullptr, nullptr, nullptr) == SQLITE_OK);
  sqlite3_close(other);
  ApiReply posted = post.get();
  INFO(posted.body.dump());
  CHECK(posted.status == 202);  // the waiting write went through
  CHECK(Eventually([&] { return hookd.Call("GET", "/readyz", "", {}, false).status == 200; }));
}
