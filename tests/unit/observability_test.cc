// hookd's metrics labels, stall verdicts and JSON log lines.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "delivery_policy.h"
#include "hookd_metrics.h"
#include "hookline/random.h"
#include "logging.h"
#include "stall_detector.h"

using namespace hookline;
using namespace hookline::sender;
using namespace std::chrono_literals;

TEST_CASE("attempt outcomes follow the delivery policy's retry rule", "[observability]") {
  auto schedule = *RetrySchedule::Parse("1s,1s", 0);
  FakeRandom random;
  for (int status = 100; status <= 599; ++status) {
    AttemptResult r;
    r.status = status;
    AttemptOutcome o = ClassifyAttempt(r);
    Decision d = Decide(r, 1, schedule, random, 1h, 0);
    INFO("status " << status);
    if (d.next == db::DeliveryStatus::kSucceeded) {
      CHECK(o == AttemptOutcome::kSuccess);
    } else if (d.next == db::DeliveryStatus::kPending) {
      CHECK(o == AttemptOutcome::kRetryableStatus);
    } else {
      CHECK(o == AttemptOutcome::kNonRetryableStatus);
    }
  }
}

TEST_CASE("attempts without a response are timeouts or network errors", "[observability]") {
  auto classify = [](std::string error) {
    AttemptResult r;
    r.error = std::move(error);
    return AttemptOutcomeName(ClassifyAttempt(r));
  };
  CHECK(classify("timeout after 2000 ms") == "timeout");
  CHECK(classify("timeout: no complete answer within 2000 ms") == "timeout");
  CHECK(classify("connect timeout") == "timeout");
  CHECK(classify("network error (Connection)") == "network_error");
  CHECK(classify("endpoint url is invalid: bad scheme") == "network_error");
  CHECK(classify("") == "network_error");
}

TEST_CASE("request paths map to their route pattern, never to raw ids", "[observability]") {
  CHECK(RoutePattern("/v1/events") == "/v1/events");
  CHECK(RoutePattern("/v1/events/evt_2Xh4") == "/v1/events/{id}");
  CHECK(RoutePattern("/v1/endpoints") == "/v1/endpoints");
  CHECK(RoutePattern("/v1/endpoints/ep_1") == "/v1/endpoints/{id}");
  CHECK(RoutePattern("/v1/endpoints/ep_1/rotate-secret") == "/v1/endpoints/{id}/rotate-secret");
  CHECK(RoutePattern("/v1/endpoints/ep_1/secret") == "/v1/endpoints/{id}/secret");
  CHECK(RoutePattern("/v1/endpoints/ep_1/disable") == "/v1/endpoints/{id}/disable");
  CHECK(RoutePattern("/v1/endpoints/ep_1/enable") == "/v1/endpoints/{id}/enable");
  CHECK(RoutePattern("/v1/deliveries") == "/v1/deliveries");
  CHECK(RoutePattern("/v1/deliveries/retry") == "/v1/deliveries/retry");
  CHECK(RoutePattern("/v1/deliveries/dlv_1") == "/v1/deliveries/{id}");
  CHECK(RoutePattern("/v1/deliveries/dlv_1/retry") == "/v1/deliveries/{id}/retry");
  CHECK(RoutePattern("/v1/stats") == "/v1/stats");
  CHECK(RoutePattern("/healthz") == "/healthz");
  CHECK(RoutePattern("/readyz") == "/readyz");
  CHECK(RoutePattern("/metrics") == "/metrics");
  // Anything else, however many distinct paths, is one series.
  for (const char* p : {"", "/", "x", "/v1", "/v1/", "/v2/events", "/v1/nope", "/random-123",
                        "/v1/endpoints/ep_1/nope", "/v1/events/a/b", "/v1/endpoints//secret",
                        "/v1/deliveries/d/retry/x", "/v1/endpoints/a/b/c/d", "/healthz/x"}) {
    INFO(p);
    CHECK(RoutePattern(p) == "other");
  }
  CHECK(MethodLabel("POST") == "POST");
  CHECK(MethodLabel("BREW") == "other");
}

TEST_CASE("attempts and requests show up in the rendered metrics", "[observability]") {
  HookdMetrics m;
  AttemptResult ok;
  ok.status = 204;
  m.RecordAttempt(ok, 3ms, 1500ms);
  AttemptResult down;
  down.status = 503;
  m.RecordAttempt(down, 1ms, 100ms);  // not a success: no end-to-end latency
  m.RecordIngested();
  m.RecordRequest("POST", "/v1/events", 202);
  m.RecordRequest("GET", "/v1/endpoints/ep_abc", 404);
  std::string text = m.Render();
  CHECK(text.find("hookline_events_ingested_total 1\n") != std::string::npos);
  CHECK(text.find("hookline_delivery_attempts_total{outcome=\"success\"} 1\n") !=
        std::string::npos);
  CHECK(text.find("hookline_delivery_attempts_total{outcome=\"retryable_status\"} 1\n") !=
        std::string::npos);
  CHECK(text.find("hookline_delivery_attempts_total{outcome=\"timeout\"} 0\n") !=
        std::string::npos);
  CHECK(text.find("hookline_attempt_duration_seconds_count 2\n") != std::string::npos);
  CHECK(text.find("hookline_delivery_latency_seconds_count 1\n") != std::string::npos);
  CHECK(text.find("hookline_delivery_latency_seconds_sum 1.5\n") != std::string::npos);
  CHECK(text.find("hookline_delivery_latency_seconds_bucket{le=\"1\"} 0\n") != std::string::npos);
  CHECK(text.find("hookline_delivery_latency_seconds_bucket{le=\"2.5\"} 1\n") != std::string::npos);
  CHECK(text.find("hookline_http_requests_total{route=\"/v1/events\",method=\"POST\",status="
                  "\"202\"} 1\n") != std::string::npos);
  CHECK(text.find("route=\"/v1/endpoints/{id}\",method=\"GET\",status=\"404\"} 1\n") !=
        std::string::npos);
  CHECK(text.find("ep_abc") == std::string::npos);
}

TEST_CASE("stall verdicts", "[observability][stall]") {
  const auto after = 10000ms;
  StallInputs in;
  in.now = 1'000'000;
  in.last_attempt_started_at = in.now - 3'600'000;  // an hour ago

  SECTION("idle: nothing due, however old the last attempt") { CHECK(JudgeStall(in, after).ok()); }
  SECTION("work due later is not a stall") {
    in.next_due_at = in.now + 5000;
    CHECK(JudgeStall(in, after).ok());
  }
  SECTION("work just fell due after a long idle: not yet") {
    in.next_due_at = in.now - 9000;
    CHECK(JudgeStall(in, after).ok());
  }
  SECTION("due for the whole window with no attempt started: stalled") {
    in.next_due_at = in.now - 10000;
    Status s = JudgeStall(in, after);
    CHECK(s.code() == StatusCode::kUnavailable);
    CHECK(s.message().find("no attempt has started") != std::string::npos);
  }
  SECTION("a backlog that keeps starting attempts is not stalled") {
    in.next_due_at = in.now - 600'000;
    in.last_attempt_started_at = in.now - 50;
    CHECK(JudgeStall(in, after).ok());
  }
  SECTION("claims queued behind busy workers count as due work") {
    in.queued_since = in.now - 12000;
    in.last_attempt_started_at = in.now - 11000;
    CHECK_FALSE(JudgeStall(in, after).ok());
    in.queued_since = in.now - 100;  // the queue only just filled
    CHECK(JudgeStall(in, after).ok());
  }
  SECTION("due work held back by endpoint limits, with a live scheduler, is not stalled") {
    in.next_due_at = in.now - 600'000;  // a rate limit of an attempt every few minutes
    in.held_by_limits = true;
    in.last_claim_at = in.now - 250;
    CHECK(JudgeStall(in, after).ok());
    // The scheduler stopped claiming: the limits no longer explain the wait.
    in.last_claim_at = in.now - 10000;
    CHECK_FALSE(JudgeStall(in, after).ok());
    // Unless nothing is due in the store: only queued claims wait for their limits.
    in.next_due_at.reset();
    in.queued_since = in.now - 600'000;
    CHECK(JudgeStall(in, after).ok());
    in.next_due_at = in.now - 600'000;
    // A stuck database is a stall whatever the limits.
    in.last_claim_at = in.now - 250;
    in.write_wait = 10000ms;
    CHECK_FALSE(JudgeStall(in, after).ok());
  }
  SECTION("a write waiting past the limit: the database is stuck") {
    in.write_wait = 10000ms;
    Status s = JudgeStall(in, after);
    CHECK(s.code() == StatusCode::kUnavailable);
    CHECK(s.message().find("database has not committed") != std::string::npos);
    in.write_wait = 9999ms;
    CHECK(JudgeStall(in, after).ok());
  }
}

namespace {

nlohmann::json JsonOf(std::string_view message) {
  std::string out = "{";
  AppendJsonMessage(message, out);
  out += "}";
  return nlohmann::json::parse(out);  // throws, failing the test, if not valid JSON
}

}  // namespace

TEST_CASE("JSON log lines carry the message and its key=value fields", "[observability][log]") {
  auto j = JsonOf(
      "retrying event=evt_1 endpoint=ep_2 delivery=dlv_3 attempt=2 status=503 latency_ms=12 "
      "result=\"HTTP 503\" in_ms=200");
  CHECK(j["msg"] ==
        "retrying event=evt_1 endpoint=ep_2 delivery=dlv_3 attempt=2 status=503 latency_ms=12 "
        "result=\"HTTP 503\" in_ms=200");
  CHECK(j["event"] == "evt_1");
  CHECK(j["endpoint"] == "ep_2");
  CHECK(j["attempt"] == 2);
  CHECK(j["status"] == 503);
  CHECK(j["latency_ms"] == 12);
  CHECK(j["result"] == "HTTP 503");
  CHECK(j["in_ms"] == 200);
}

TEST_CASE("JSON log lines escape what would break them", "[observability][log]") {
  auto j = JsonOf("quote \" backslash \\ newline \n tab \t bell \x07 bad utf8 \xff\xfe ok é");
  CHECK(j["msg"] ==
        "quote \" backslash \\ newline \n tab \t bell \x07 bad utf8 \xEF\xBF\xBD\xEF\xBF\xBD ok é");
  // Keys cannot overwrite the line's own members, repeat, or smuggle JSON.
  j = JsonOf("msg=x level=debug a=1 a=2 b=\"unterminated x\"y=\" c=007 d=-5 e=9999999999999999");
  CHECK(j["msg"].get<std::string>().rfind("msg=x", 0) == 0);
  CHECK_FALSE(j.contains("level"));
  CHECK(j["a"] == 1);
  CHECK(j["c"] == "007");  // not a JSON number
  CHECK(j["d"] == -5);
  CHECK(j["e"] == "9999999999999999");  // too long to be exact in a double
  CHECK(j.contains("b"));
}

TEST_CASE("bad log settings are refused", "[observability][log]") {
  CHECK(ConfigureLogging("xml", "info").code() == StatusCode::kInvalidArgument);
  CHECK(ConfigureLogging("json", "loud").code() == StatusCode::kInvalidArgument);
}
