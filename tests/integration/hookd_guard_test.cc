// hookd protecting itself and others: the SSRF guard, API rate limiting and
// hard limits, against the real binary.
#include <catch2/catch.hpp>
#include <thread>

#include "support/hookd_fixture.h"
#include "support/test_receiver.h"

using namespace hookline::testing;
using namespace std::chrono_literals;
using Catch::Contains;

namespace {

std::string Code(const ApiReply& r) {
  return r.body.is_object() && r.body.contains("error") ? r.body["error"]["code"].get<std::string>()
                                                        : "";
}

std::string Message(const ApiReply& r) {
  return r.body.is_object() && r.body.contains("error")
             ? r.body["error"]["message"].get<std::string>()
             : "";
}

std::string Header(const ApiReply& r, const std::string& name) {
  auto it = r.headers.find(name);
  return it == r.headers.end() ? "" : it->second;
}

}  // namespace

TEST_CASE("the SSRF guard refuses endpoints on loopback, private and metadata addresses",
          "[integration][guard]") {
  TempDir dir;
  Hookd hookd(dir, {}, "hookline.db", /*ssrf_guard=*/true);
  REQUIRE(hookd.port() > 0);
  struct Case {
    std::string url, says;
  };
  std::vector<Case> refused = {
      {"http://169.254.169.254/latest/meta-data/", "169.254.169.254 (cloud metadata)"},
      {"http://[fd00:ec2::254]/", "fd00:ec2::254 (cloud metadata)"},
      {"http://100.100.100.200/", "(cloud metadata)"},
      {"http://localhost:9000/hook", "'localhost' resolves to"},  // a name for 127.0.0.1 / ::1
      {"http://127.0.0.1/", "127.0.0.1 (loopback)"},
      {"http://[::1]:8080/", "::1 (loopback)"},
      {"http://0x7f.1/", "'0x7f.1' resolves to 127.0.0.1 (loopback)"},
      {"http://2130706433/", "127.0.0.1 (loopback)"},
      {"http://017700000001/", "127.0.0.1 (loopback)"},
      {"http://127.1/", "127.0.0.1 (loopback)"},
      {"http://[::ffff:127.0.0.1]/", "(loopback)"},
      {"http://[::ffff:169.254.169.254]/", "(cloud metadata)"},
      {"http://10.1.2.3/", "10.1.2.3 (private network)"},
      {"http://192.168.0.1/", "(private network)"},
      {"http://172.16.0.1/", "(private network)"},
      {"http://100.64.0.1/", "(carrier-grade NAT)"},
      {"http://169.254.1.1/", "(link-local)"},
      {"http://[fe80::1]/", "(link-local)"},
      {"http://[fd12:3456::1]/", "(unique-local)"},
      {"http://224.0.0.1/", "(multicast)"},
      {"http://0.0.0.0:8080/", "(unspecified)"},
      {"http://255.255.255.255/", "(broadcast)"},
      {"http://hookline-test.invalid/", "'hookline-test.invalid'"},  // does not resolve
      {"ftp://example.com/", "scheme must be http or https"},
      {"http://user:pass@example.com/", "credentials"},
  };
  for (const Case& c : refused) {
    INFO(c.url);
    ApiReply r = hookd.Post("/v1/endpoints", Json{{"url", c.url}});
    CHECK(r.status == 400);
    CHECK(Code(r) == "invalid_argument");
    CHECK_THAT(Message(r), Contains(c.says));
  }
  ApiReply metadata = hookd.Post("/v1/endpoints", Json{{"url", "http://169.254.169.254/"}});
  CHECK(Message(metadata) ==
        "url host '169.254.169.254' resolves to 169.254.169.254 (cloud metadata), which is not "
        "allowed; start hookd with --allow-private-networks for local development");
  CHECK(hookd.Get("/v1/endpoints").body["data"].empty());

  // A public address is accepted (nothing is sent until an event is posted),
  // and moving it onto loopback is refused like a creation.
  std::string id = hookd.CreateEndpoint("http://93.184.216.34/hook");
  REQUIRE_FALSE(id.empty());
  ApiReply moved =
      hookd.Call("PATCH", "/v1/endpoints/" + id, Json{{"url", "http://[::1]:9000/hook"}}.dump());
  CHECK(moved.status == 400);
  CHECK_THAT(Message(moved), Contains("::1 (loopback)"));
  CHECK(hookd.Get("/v1/endpoints/" + id).body["url"] == "http://93.184.216.34/hook");
  ApiReply renamed =
      hookd.Call("PATCH", "/v1/endpoints/" + id, Json{{"url", "http://localhost/hook"}}.dump());
  CHECK(renamed.status == 400);
}

TEST_CASE("with --allow-private-networks a loopback endpoint, by name, is delivered to",
          "[integration][guard]") {
  TempDir dir;
  TestReceiver receiver;
  Hookd hookd(dir);  // the fixture passes --allow-private-networks
  REQUIRE(hookd.port() > 0);
  CHECK_THAT(hookd.Log(), Contains("the SSRF guard is off"));
  std::string ep =
      hookd.CreateEndpoint("http://localhost:" + std::to_string(receiver.port()) + "/hook");
  REQUIRE_FALSE(ep.empty());
  REQUIRE_FALSE(
      hookd.CreateEndpoint("http://0x7f.1:" + std::to_string(receiver.port()) + "/x").empty());
  std::string id = hookd.PostEvent("local.test");
  REQUIRE_FALSE(id.empty());
  CHECK(Eventually([&] { return receiver.count() == 2; }));
}

TEST_CASE("API rate limit: 429 with Retry-After, X-RateLimit headers, recovery",
          "[integration][rate_limit]") {
  TempDir dir;
  Hookd hookd(dir, {"--api-rate-limit", "2", "--api-burst", "3"});
  REQUIRE(hookd.port() > 0);
  std::vector<ApiReply> replies;
  for (int i = 0; i < 3; ++i) replies.push_back(hookd.Get("/v1/endpoints"));
  for (int i = 0; i < 3; ++i) {
    INFO(i);
    CHECK(replies[i].status == 200);
    CHECK(Header(replies[i], "X-RateLimit-Limit") == "3");
    CHECK(Header(replies[i], "X-RateLimit-Remaining") == std::to_string(2 - i));
    CHECK_FALSE(Header(replies[i], "X-RateLimit-Reset").empty());
  }
  // Timing makes a refill possible between requests (2/s); the 4th and 5th
  // cannot both fit.
  ApiReply limited = hookd.Get("/v1/endpoints");
  if (limited.status != 429) limited = hookd.Get("/v1/endpoints");
  REQUIRE(limited.status == 429);
  CHECK(Code(limited) == "rate_limited");
  CHECK(Header(limited, "Retry-After") == "1");
  CHECK(Header(limited, "X-RateLimit-Remaining") == "0");
  CHECK(Header(limited, "X-RateLimit-Limit") == "3");
  CHECK(std::stoi(Header(limited, "X-RateLimit-Reset")) >= 1);

  // A request without the token has its own bucket (its address): it gets its 401.
  ApiReply anonymous = hookd.Call("GET", "/v1/endpoints", "", {}, /*auth=*/false);
  CHECK(anonymous.status == 401);
  CHECK(Header(anonymous, "X-RateLimit-Limit") == "3");
  // Health checks are exempt: no token taken, no headers.
  ApiReply health = hookd.Call("GET", "/healthz", "", {}, false);
  CHECK(health.status == 200);
  CHECK(Header(health, "X-RateLimit-Limit").empty());

  // Recovery: Retry-After later, the token is served again.
  std::this_thread::sleep_for(1100ms);
  ApiReply again = hookd.Get("/v1/endpoints");
  CHECK(again.status == 200);
  CHECK(Header(again, "X-RateLimit-Limit") == "3");
}

TEST_CASE("X-RateLimit headers are on every API answer, errors included",
          "[integration][rate_limit]") {
  TempDir dir;
  Hookd hookd(dir);  // default: 10000/s, burst 20000
  REQUIRE(hookd.port() > 0);
  std::vector<ApiReply> replies = {
      hookd.Get("/v1/endpoints"),                                      // 200
      hookd.Post("/v1/endpoints", Json::object()),                     // 400
      hookd.Call("GET", "/v1/endpoints", "", {}, false),               // 401
      hookd.Get("/v1/endpoints/ep_nope"),                              // 404
      hookd.Get("/v1/no-such-route"),                                  // 404 from the router
      hookd.Call("GET", "/v1/endpoints?x=" + std::string(9000, 'a')),  // 414 before routing
  };
  std::vector<int> statuses = {200, 400, 401, 404, 404, 414};
  for (size_t i = 0; i < replies.size(); ++i) {
    INFO(i);
    CHECK(replies[i].status == statuses[i]);
    CHECK(Header(replies[i], "X-RateLimit-Limit") == "20000");
    CHECK_FALSE(Header(replies[i], "X-RateLimit-Remaining").empty());
    CHECK_FALSE(Header(replies[i], "X-RateLimit-Reset").empty());
  }
  CHECK(Code(replies[5]) == "uri_too_long");
}

TEST_CASE("an API rate limit of 0 turns limiting and its headers off",
          "[integration][rate_limit]") {
  TempDir dir;
  Hookd hookd(dir, {"--api-rate-limit", "0", "--api-burst", "1"});
  REQUIRE(hookd.port() > 0);
  for (int i = 0; i < 5; ++i) {
    ApiReply r = hookd.Get("/v1/endpoints");
    CHECK(r.status == 200);
    CHECK(Header(r, "X-RateLimit-Limit").empty());
  }
}

TEST_CASE("hard limits: each refused with a clear error", "[integration][limits]") {
  TempDir dir;
  Hookd hookd(dir);
  REQUIRE(hookd.port() > 0);
  const std::string base = "http://127.0.0.1:1/";

  SECTION("url length") {
    std::string at = base + std::string(2048 - base.size(), 'a');
    CHECK(hookd.Post("/v1/endpoints", Json{{"url", at}}).status == 201);
    ApiReply over = hookd.Post("/v1/endpoints", Json{{"url", at + "a"}});
    CHECK(over.status == 400);
    CHECK(Message(over) == "url is longer than 2048 characters");
  }
  SECTION("description length") {
    CHECK(hookd.Post("/v1/endpoints", Json{{"url", base}, {"description", std::string(1024, 'd')}})
              .status == 201);
    ApiReply over =
        hookd.Post("/v1/endpoints", Json{{"url", base}, {"description", std::string(1025, 'd')}});
    CHECK(over.status == 400);
    CHECK_THAT(Message(over), Contains("1024"));
  }
  SECTION("event type filters per endpoint") {
    Json filters = Json::array();
    for (int i = 0; i < 100; ++i) filters.push_back("t" + std::to_string(i));
    CHECK(hookd.Post("/v1/endpoints", Json{{"url", base}, {"event_types", filters}}).status == 201);
    filters.push_back("one.more");
    ApiReply over = hookd.Post("/v1/endpoints", Json{{"url", base}, {"event_types", filters}});
    CHECK(over.status == 400);
    CHECK(Message(over) == "'event_types' has more than 100 entries");
  }
  SECTION("event type length and characters") {
    CHECK(hookd.Post("/v1/events", Json{{"type", std::string(128, 't')}, {"data", 1}}).status ==
          202);
    ApiReply over = hookd.Post("/v1/events", Json{{"type", std::string(129, 't')}, {"data", 1}});
    CHECK(over.status == 400);
    CHECK(Message(over) == "event type is longer than 128 characters");
    for (const char* bad : {"a/b", "a b", "é", "a*", "<x>"}) {
      INFO(bad);
      ApiReply r = hookd.Post("/v1/events", Json{{"type", bad}, {"data", 1}});
      CHECK(r.status == 400);
      CHECK_THAT(Message(r), Contains("letters, digits"));
    }
    ApiReply filter = hookd.Post("/v1/endpoints", Json{{"url", base}, {"event_types", {"a/b"}}});
    CHECK(filter.status == 400);
  }
  SECTION("page size") {
    CHECK(hookd.Get("/v1/endpoints?limit=1000").status == 200);
    CHECK(hookd.Get("/v1/deliveries?limit=1000").status == 200);
    for (const char* path : {"/v1/endpoints?limit=1001", "/v1/deliveries?limit=1001",
                             "/v1/endpoints?limit=0", "/v1/endpoints?limit=-1"}) {
      INFO(path);
      ApiReply r = hookd.Get(path);
      CHECK(r.status == 400);
      CHECK(Message(r) == "'limit' must be 1..1000");
    }
  }
  SECTION("JSON depth") {
    auto nested = [](int levels) {
      return R"({"type":"a.b","data":)" + std::string(static_cast<size_t>(levels), '[') +
             std::string(static_cast<size_t>(levels), ']') + "}";
    };
    CHECK(hookd.Call("POST", "/v1/events", nested(32)).status == 202);
    ApiReply deep = hookd.Call("POST", "/v1/events", nested(33));
    CHECK(deep.status == 400);
    CHECK(Message(deep) == "request body nests deeper than 32 levels");
  }
  SECTION("request headers") {
    ApiReply long_line =
        hookd.Call("GET", "/v1/endpoints", "", {{"X-Big", std::string(9000, 'h')}});
    CHECK(long_line.status == 431);
    CHECK(Code(long_line) == "header_fields_too_large");
    CHECK(Message(long_line) == "a request header line is longer than 8192 bytes");

    httplib::Headers many;
    for (int i = 0; i < 120; ++i) many.emplace("X-H" + std::to_string(i), "v");
    ApiReply too_many = hookd.Call("GET", "/v1/endpoints", "", many);
    CHECK(too_many.status == 431);
    CHECK_THAT(Message(too_many), Contains("at most 100 are accepted"));

    httplib::Headers big;
    for (int i = 0; i < 5; ++i) big.emplace("X-B" + std::to_string(i), std::string(7000, 'b'));
    ApiReply too_big = hookd.Call("GET", "/v1/endpoints", "", big);
    CHECK(too_big.status == 431);
    CHECK_THAT(Message(too_big), Contains("at most 32768 are accepted"));

    CHECK(hookd.Call("GET", "/v1/endpoints", "", {{"X-Fine", std::string(4000, 'f')}}).status ==
          200);
  }
}
