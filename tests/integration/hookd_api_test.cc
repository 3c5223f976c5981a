// The v1 API of a real hookd: every route, every refusal.
#include <catch2/catch.hpp>

#include "support/hookd_fixture.h"

using namespace hookline::testing;

namespace {

std::string Code(const ApiReply& r) {
  return r.body.is_object() && r.body.contains("error") ? r.body["error"]["code"].get<std::string>()
                                                        : "";
}

bool HasMessage(const ApiReply& r) {
  return r.body.is_object() && r.body.contains("error") &&
         !r.body["error"]["message"].get<std::string>().empty();
}

}  // namespace

TEST_CASE("authentication: no token and a wrong token get 401, health needs none",
          "[integration][api]") {
  TempDir dir;
  Hookd hookd(dir);
  REQUIRE(hookd.port() > 0);
  ApiReply none = hookd.Call("GET", "/v1/endpoints", "", {}, /*auth=*/false);
  CHECK(none.status == 401);
  CHECK(Code(none) == "unauthenticated");
  ApiReply wrong =
      hookd.Call("GET", "/v1/endpoints", "", {{"Authorization", "Bearer nope"}}, false);
  CHECK(wrong.status == 401);
  ApiReply basic = hookd.Call("GET", "/v1/endpoints", "", {{"Authorization", "Basic eDp5"}}, false);
  CHECK(basic.status == 401);
  CHECK(hookd.Call("GET", "/healthz", "", {}, false).status == 200);
  ApiReply ready = hookd.Call("GET", "/readyz", "", {}, false);
  CHECK(ready.status == 200);
  CHECK(ready.body["status"] == "ready");
}

TEST_CASE("endpoints: create, show, list by cursor, update, disable, rotate, delete",
          "[integration][api]") {
  TempDir dir;
  Hookd hookd(dir);
  ApiReply created = hookd.Post("/v1/endpoints", Json{{"url", "http://127.0.0.1:1/a"},
                                                      {"event_types", {"invoice.*"}},
                                                      {"description", "billing"}});
  REQUIRE(created.status == 201);
  std::string id = created.body["id"];
  std::string secret = created.body["secret"];
  CHECK(secret.rfind("whsec_", 0) == 0);
  CHECK(created.body["event_types"] == Json::array({"invoice.*"}));

  ApiReply shown = hookd.Get("/v1/endpoints/" + id);
  CHECK(shown.status == 200);
  CHECK(shown.body["description"] == "billing");
  CHECK_FALSE(shown.body.contains("secret"));  // only on create, rotate and /secret
  CHECK(hookd.Get("/v1/endpoints/" + id + "/secret").body["secret"] == secret);

  ApiReply given =
      hookd.Post("/v1/endpoints", Json{{"url", "https://example.com/hook"},
                                       {"secret", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}});
  REQUIRE(given.status == 201);
  CHECK(given.body["secret"] == "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
  for (int i = 0; i < 3; ++i) REQUIRE_FALSE(hookd.CreateEndpoint("http://127.0.0.1:1/x").empty());

  std::vector<std::string> seen;
  std::string cursor;
  for (int page = 0; page < 10; ++page) {
    ApiReply r = hookd.Get("/v1/endpoints?limit=2" + (cursor.empty() ? "" : "&cursor=" + cursor));
    REQUIRE(r.status == 200);
    for (auto& e : r.body["data"]) seen.push_back(e["id"]);
    if (r.body["next_cursor"].is_null()) break;
    cursor = r.body["next_cursor"];
  }
  CHECK(seen.size() == 5);

  ApiReply patched =
      hookd.Call("PATCH", "/v1/endpoints/" + id,
                 Json{{"url", "http://127.0.0.1:2/b"}, {"event_types", Json::array()}}.dump());
  CHECK(patched.status == 200);
  CHECK(patched.body["url"] == "http://127.0.0.1:2/b");
  CHECK(patched.body["event_types"].empty());

  ApiReply disabled = hookd.Post("/v1/endpoints/" + id + "/disable", Json::object());
  CHECK(disabled.body["disabled"] == true);
  CHECK(hookd.Post("/v1/endpoints/" + id + "/enable", Json::object()).body["disabled"] == false);

  ApiReply rotated = hookd.Call("POST", "/v1/endpoints/" + id + "/rotate-secret");
  CHECK(rotated.status == 200);
  CHECK(rotated.body["secret"] != secret);
  CHECK(rotated.body.contains("previous_secret_expires_at"));

  CHECK(hookd.Call("DELETE", "/v1/endpoints/" + id).status == 204);
  CHECK(hookd.Get("/v1/endpoints/" + id).status == 404);
  CHECK(hookd.Call("DELETE", "/v1/endpoints/" + id).status == 404);
}

TEST_CASE("bad endpoint input gets 400 and creates nothing", "[integration][api]") {
  TempDir dir;
  Hookd hookd(dir);
  std::vector<Json> bad = {
      Json::object(),                                // url missing
      Json{{"url", 5}},                              // wrong type
      Json{{"url", "ftp://example.com/"}},           // scheme
      Json{{"url", "http://user:pw@example.com/"}},  // credentials
      Json{{"url", "not a url"}},
      Json{{"url", "http://e.com/" + std::string(3000, 'a')}},   // too long
      Json{{"url", "http://e.com/"}, {"event_types", "x"}},      // not an array
      Json{{"url", "http://e.com/"}, {"event_types", {"a b"}}},  // bad filter
      Json{{"url", "http://e.com/"}, {"event_types", {"*.x"}}},
      Json{{"url", "http://e.com/"}, {"secret", "whsec_short"}},
      Json{{"url", "http://e.com/"}, {"description", std::string(2000, 'd')}},
      Json{{"url", "http://e.com/"}, {"disabled", "yes"}},
      Json{{"url", "http://e.com/"}, {"unknown_field", 1}},
  };
  for (const Json& body : bad) {
    INFO(body.dump().substr(0, 120));
    ApiReply r = hookd.Post("/v1/endpoints", body);
    CHECK(r.status == 400);
    CHECK(HasMessage(r));
  }
  CHECK(hookd.Get("/v1/endpoints").body["data"].empty());
}

TEST_CASE("malformed requests: JSON, content type, size, depth, routes", "[integration][api]") {
  TempDir dir;
  Hookd hookd(dir, {"--max-body", "4KiB"});
  ApiReply broken = hookd.Call("POST", "/v1/events", "{\"type\": ");
  CHECK(broken.status == 400);
  CHECK(Code(broken) == "invalid_json");
  CHECK(hookd.Call("POST", "/v1/events", "[1,2]").status == 400);
  CHECK(hookd.Call("POST", "/v1/events", "").status == 400);

  httplib::Client cli("127.0.0.1", hookd.port());
  httplib::Headers auth = {{"Authorization", std::string("Bearer ") + Hookd::kToken}};
  auto text = cli.Post("/v1/events", auth, R"({"type":"a","data":1})", "text/plain");
  REQUIRE(text);
  CHECK(text->status == 415);
  CHECK(Json::parse(text->body)["error"]["code"] == "unsupported_media_type");
  auto charset =
      cli.Post("/v1/events", auth, R"({"type":"a.b","data":1})", "application/json; charset=utf-8");
  REQUIRE(charset);
  CHECK(charset->status == 202);

  std::string big = Json{{"type", "a.b"}, {"data", std::string(5000, 'x')}}.dump();
  ApiReply too_big = hookd.Call("POST", "/v1/events", big);
  CHECK(too_big.status == 413);
  CHECK(Code(too_big) == "payload_too_large");

  std::string deep = R"({"type":"a.b","data":)" + std::string(40, '[') + std::string(40, ']') + "}";
  ApiReply too_deep = hookd.Call("POST", "/v1/events", deep);
  CHECK(too_deep.status == 400);

  ApiReply no_route = hookd.Get("/v1/nothing-here");
  CHECK(no_route.status == 404);
  CHECK(Code(no_route) == "not_found");
}

TEST_CASE("events: validation, idempotency and lookup", "[integration][api]") {
  TempDir dir;
  Hookd hookd(dir);
  REQUIRE_FALSE(hookd.CreateEndpoint("http://127.0.0.1:1/a").empty());
  std::vector<Json> bad = {
      Json{{"data", Json::object()}},  // type missing
      Json{{"type", "a.b"}},           // data missing
      Json{{"type", 5}, {"data", 1}},
      Json{{"type", "has space"}, {"data", 1}},
      Json{{"type", std::string(200, 't')}, {"data", 1}},
      Json{{"type", "a.b"}, {"data", 1}, {"id", "bad id!"}},
      Json{{"type", "a.b"}, {"data", 1}, {"id", 7}},
      Json{{"type", "a.b"}, {"data", 1}, {"extra", true}},
  };
  for (const Json& body : bad) {
    INFO(body.dump().substr(0, 120));
    ApiReply r = hookd.Post("/v1/events", body);
    CHECK(r.status == 400);
    CHECK(HasMessage(r));
  }

  Json event = {{"type", "order.created"}, {"data", {{"order", 42}}}};
  ApiReply first = hookd.Post("/v1/events", event, {{"Idempotency-Key", "key-1"}});
  REQUIRE(first.status == 202);
  CHECK(first.body["deliveries"] == 1);
  CHECK_FALSE(first.headers.count("Idempotent-Replayed"));
  ApiReply replay = hookd.Post("/v1/events", event, {{"Idempotency-Key", "key-1"}});
  CHECK(replay.status == 202);
  CHECK(replay.body == first.body);
  CHECK(replay.headers.find("Idempotent-Replayed")->second == "true");
  Json other = {{"type", "order.created"}, {"data", {{"order", 43}}}};
  ApiReply conflict = hookd.Post("/v1/events", other, {{"Idempotency-Key", "key-1"}});
  CHECK(conflict.status == 409);
  CHECK(hookd.Post("/v1/events", other, {{"Idempotency-Key", std::string(300, 'k')}}).status ==
        400);

  ApiReply with_id =
      hookd.Post("/v1/events", Json{{"type", "a.b"}, {"data", 1}, {"id", "evt_mine_1"}});
  CHECK(with_id.status == 202);
  CHECK(with_id.body["id"] == "evt_mine_1");
  CHECK(hookd.Post("/v1/events", Json{{"type", "a.b"}, {"data", 2}, {"id", "evt_mine_1"}}).status ==
        409);

  std::string id = first.body["id"];
  ApiReply shown = hookd.Get("/v1/events/" + id);
  REQUIRE(shown.status == 200);
  CHECK(shown.body["type"] == "order.created");
  CHECK(shown.body["payload"]["data"]["order"] == 42);
  CHECK(shown.body["payload"]["type"] == "order.created");
  CHECK(shown.body["deliveries"].size() == 1);
  CHECK(hookd.Get("/v1/events/evt_nope").status == 404);
}

TEST_CASE("deliveries: filters and refusals", "[integration][api]") {
  TempDir dir;
  Hookd hookd(dir);
  CHECK(hookd.Get("/v1/deliveries?status=bogus").status == 400);
  CHECK(hookd.Get("/v1/deliveries?limit=0").status == 400);
  CHECK(hookd.Get("/v1/deliveries?limit=abc").status == 400);
  CHECK(hookd.Get("/v1/deliveries?since=yesterday").status == 400);
  CHECK(hookd.Get("/v1/deliveries?since=2026-01-01T00:00:00Z").status == 200);
  CHECK(hookd.Get("/v1/deliveries?until=1767225600").status == 200);
  CHECK(hookd.Get("/v1/deliveries/dlv_NOPE").status == 404);
  CHECK(hookd.Post("/v1/deliveries/dlv_NOPE/retry", Json::object()).status == 404);
  CHECK(hookd.Post("/v1/deliveries/retry", Json{{"status", "pending"}}).status == 400);
  CHECK(hookd.Post("/v1/deliveries/retry", Json{{"since", "soon"}}).status == 400);
  CHECK(hookd.Post("/v1/deliveries/retry", Json{{"endpoint_id", "ep_NOPE"}}).status == 404);
  ApiReply dry = hookd.Post("/v1/deliveries/retry", Json{{"dry_run", true}});
  CHECK(dry.status == 200);
  CHECK(dry.body["count"] == 0);
}

TEST_CASE("stats count deliveries by status and name failing endpoints", "[integration][api]") {
  TempDir dir;
  Hookd hookd(dir, {"--retry-schedule", "10ms"});
  std::string ep = hookd.CreateEndpoint("http://127.0.0.1:1/refused");
  std::string id = hookd.PostEvent("a.b");
  REQUIRE(Eventually([&] {
    Json d = hookd.Deliveries(id);
    return d.size() == 1 && d[0]["status"] == "failed";
  }));
  ApiReply stats = hookd.Get("/v1/stats");
  REQUIRE(stats.status == 200);
  CHECK(stats.body["deliveries"]["failed"] == 1);
  CHECK(stats.body["deliveries"]["pending"] == 0);
  CHECK(stats.body["oldest_pending"].is_null());
  REQUIRE(stats.body["failing_endpoints"].size() == 1);
  CHECK(stats.body["failing_endpoints"][0]["id"] == ep);
  CHECK(stats.body["failing_endpoints"][0]["failed"] == 1);
}
