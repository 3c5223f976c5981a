// api/openapi.json is true: hookd serves it, it names exactly the routes the
// server registers (ApiServer::Routes(), not a list kept here), a real hookd
// routes every documented operation, and real answers fit its schemas.
#include <catch2/catch.hpp>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "api_server.h"
#include "dispatcher.h"
#include "hookd_metrics.h"
#include "hookline/db/sqlite_outbox.h"
#include "http_sender.h"
#include "support/hookd_fixture.h"

using namespace hookline;
using hookline::testing::ApiReply;
using hookline::testing::Hookd;
using hookline::testing::Json;
using hookline::testing::TempDir;

namespace {

Json RepoDocument() {
  std::ifstream in(OPENAPI_PATH);
  std::stringstream text;
  text << in.rdbuf();
  return Json::parse(text.str(), nullptr, false);
}

// "/v1/endpoints/([A-Za-z0-9_]{1,64})/secret" and "/v1/endpoints/{id}/secret"
// both become "/v1/endpoints/{}/secret".
std::string FromRegex(const std::string& pattern) {
  std::string out;
  int depth = 0;
  for (char c : pattern) {
    if (c == '(' && depth++ == 0) out += "{}";
    if (depth == 0) out += c;
    if (c == ')') --depth;
  }
  return out;
}
std::string FromTemplate(const std::string& path) {
  return std::regex_replace(path, std::regex(R"(\{[^}]*\})"), "{}");
}

const std::set<std::string> kMethods = {"get", "post", "patch", "delete", "put", "head", "options"};

std::set<std::pair<std::string, std::string>> DocumentedRoutes(const Json& doc) {
  std::set<std::pair<std::string, std::string>> out;
  for (const auto& [path, item] : doc["paths"].items()) {
    for (const auto& [method, op] : item.items()) {
      if (!kMethods.count(method)) continue;
      std::string upper = method;
      for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      out.emplace(upper, FromTemplate(path));
    }
  }
  return out;
}

const Json& Resolve(const Json& doc, const Json& schema) {
  if (!schema.contains("$ref")) return schema;
  std::string ref = schema["$ref"].get<std::string>();  // "#/components/schemas/X"
  return Resolve(doc, doc.at(Json::json_pointer(ref.substr(1))));
}

// A small validator for the subset of OpenAPI 3.0 schemas the document uses:
// type, nullable, enum, required, properties, additionalProperties: false,
// items, $ref. Appends one line per mismatch to `errors`.
void Validate(const Json& doc, const Json& schema_in, const Json& v, const std::string& where,
              std::vector<std::string>& errors) {
  const Json& schema = Resolve(doc, schema_in);
  if (v.is_null()) {
    if (!schema.value("nullable", false) && schema.contains("type"))
      errors.push_back(where + ": null but not nullable");
    return;
  }
  if (schema.contains("enum")) {
    bool found = false;
    for (const auto& e : schema["enum"]) found |= e == v;
    if (!found) errors.push_back(where + ": " + v.dump() + " not in enum");
  }
  std::string type = schema.value("type", "");
  bool ok = type.empty() || (type == "string" && v.is_string()) ||
            (type == "integer" && v.is_number_integer()) || (type == "number" && v.is_number()) ||
            (type == "boolean" && v.is_boolean()) || (type == "object" && v.is_object()) ||
            (type == "array" && v.is_array());
  if (!ok) {
    errors.push_back(where + ": " + v.dump() + " is not " + type);
    return;
  }
  if (v.is_object()) {
    for (const auto& r : schema.value("required", Json::array())) {
      if (!v.contains(r.get<std::string>())) errors.push_back(where + ": missing " + r.dump());
    }
    const Json props = schema.value("properties", Json::object());
    for (const auto& [k, member] : v.items()) {
      if (props.contains(k)) {
        Validate(doc, props[k], member, where + "." + k, errors);
      } else if (schema.contains("additionalProperties") &&
                 schema["additionalProperties"] == false) {
        errors.push_back(where + ": undocumented member '" + k + "'");
      }
    }
  }
  if (v.is_array() && schema.contains("items")) {
    for (size_t i = 0; i < v.size(); ++i)
      Validate(doc, schema["items"], v[i], where + "[" + std::to_string(i) + "]", errors);
  }
}

// The reply's status must be documented for (path, method), and its JSON body
// must fit that answer's schema. Returns the mismatches ("" when none).
std::string Conforms(const Json& doc, const std::string& path, const std::string& method,
                     const ApiReply& reply) {
  const Json& responses = doc["paths"][path][method]["responses"];
  std::string code = std::to_string(reply.status);
  if (!responses.contains(code)) return method + " " + path + ": status " + code + " undocumented";
  const Json& answer = Resolve(doc, responses[code]);
  std::vector<std::string> errors;
  if (answer.contains("content")) {
    if (reply.body.is_discarded()) return method + " " + path + ": answer is not JSON";
    Validate(doc, answer["content"]["application/json"]["schema"], reply.body, "body", errors);
  }
  std::string out;
  for (const auto& e : errors) out += method + " " + path + " " + code + ": " + e + "\n";
  return out;
}

}  // namespace

TEST_CASE("hookd serves api/openapi.json at /v1/openapi.json without a token") {
  TempDir dir;
  Hookd hookd(dir);
  ApiReply r = hookd.Call("GET", "/v1/openapi.json", "", {}, /*auth=*/false);
  REQUIRE(r.status == 200);
  REQUIRE(r.headers.find("Content-Type")->second == "application/json");
  REQUIRE_FALSE(r.body.is_discarded());
  CHECK(r.body == RepoDocument());  // the embedded copy is the repo's
  CHECK(r.body["openapi"].get<std::string>().rfind("3.", 0) == 0);
  CHECK(r.body["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer");
  CHECK(r.body["security"] == Json::parse(R"([{"bearer": []}])"));
}

TEST_CASE("api/openapi.json describes exactly the routes hookd registers") {
  Json doc = RepoDocument();
  REQUIRE_FALSE(doc.is_discarded());

  // The server's own list: an ApiServer built as hookd builds it, with every
  // optional route on (/metrics is registered only with metrics).
  TempDir dir;
  auto outbox = std::move(db::OpenSqliteOutbox(dir.File("h.db"))).value();
  auto http = sender::NewHttplibSender({});
  sender::Dispatcher dispatcher(*outbox, *http, SystemClock::Get(), SystemRandom::Get(), {});
  sender::HookdMetrics metrics;
  sender::ApiOptions options;
  options.token = Hookd::kToken;
  options.metrics = &metrics;
  options.metrics_access = sender::MetricsAccess::kToken;
  sender::ApiServer api(*outbox, dispatcher, SystemClock::Get(), options);
  std::set<std::pair<std::string, std::string>> registered;
  for (const auto& [method, pattern] : api.Routes()) registered.emplace(method, FromRegex(pattern));
  REQUIRE(registered.size() == api.Routes().size());  // no route registered twice
  REQUIRE(registered.size() >= 20);

  std::set<std::pair<std::string, std::string>> documented = DocumentedRoutes(doc);
  for (const auto& [m, p] : registered) {
    INFO(m << " " << p);
    CHECK(documented.count({m, p}) == 1);
  }
  for (const auto& [m, p] : documented) {
    INFO(m << " " << p);
    CHECK(registered.count({m, p}) == 1);
  }
}

TEST_CASE("a real hookd routes every documented operation") {
  Json doc = RepoDocument();
  TempDir dir;
  Hookd hookd(dir);
  auto no_route = [](const ApiReply& r) {
    return r.status == 404 &&
           r.body["error"]["message"].get<std::string>().rfind("no route for ", 0) == 0;
  };
  // The probe can fail: an unknown route is told apart from an unknown id.
  REQUIRE(no_route(hookd.Call("GET", "/v1/nosuch")));
  REQUIRE(no_route(hookd.Call("POST", "/v1/stats", "{}")));
  REQUIRE_FALSE(no_route(hookd.Call("GET", "/v1/endpoints/nosuch")));
  int probed = 0;
  for (const auto& [path, item] : doc["paths"].items()) {
    // Ids that exist nowhere but match the route's pattern.
    std::string id = path.rfind("/v1/deliveries/", 0) == 0 ? "dlv_nosuch" : "nosuch";
    std::string concrete = std::regex_replace(path, std::regex(R"(\{[^}]*\})"), id);
    for (const auto& [method, op] : item.items()) {
      if (!kMethods.count(method)) continue;
      std::string upper = method;
      for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      ApiReply r = hookd.Call(upper, concrete, "{}");
      INFO(upper << " " << concrete << " -> " << r.status << " " << r.body.dump());
      CHECK(r.status != 0);
      CHECK_FALSE(no_route(r));
      ++probed;
    }
  }
  CHECK(probed >= 20);
}

TEST_CASE("real answers fit the documented schemas") {
  Json doc = RepoDocument();
  TempDir dir;
  Hookd hookd(dir);
  auto check = [&](const std::string& path, const std::string& method, const ApiReply& r) {
    INFO(r.status << " " << r.body.dump());
    std::string mismatches = Conforms(doc, path, method, r);
    CHECK(mismatches == "");
  };

  ApiReply created = hookd.Post(
      "/v1/endpoints",
      Json{{"url", "http://127.0.0.1:9/hook"}, {"rate_limit_per_s", 5}, {"max_in_flight", 2}});
  REQUIRE(created.status == 201);
  check("/v1/endpoints", "post", created);
  // Exactly the documented members, no more and no fewer.
  std::set<std::string> members;
  for (const auto& [k, v] : created.body.items()) members.insert(k);
  std::set<std::string> documented;
  for (const auto& [k, v] :
       doc["components"]["schemas"]["EndpointWithSecret"]["properties"].items())
    documented.insert(k);
  documented.erase("previous_secret_expires_at");  // only during a rotation
  CHECK(members == documented);

  std::string id = created.body["id"];
  check("/v1/endpoints", "get", hookd.Get("/v1/endpoints?limit=10"));
  check("/v1/endpoints/{id}", "get", hookd.Get("/v1/endpoints/" + id));
  check(
      "/v1/endpoints/{id}", "patch",
      hookd.Call("PATCH", "/v1/endpoints/" + id, R"({"description": "d", "max_in_flight": null})"));
  ApiReply rotated = hookd.Post("/v1/endpoints/" + id + "/rotate-secret", Json::object());
  CHECK(rotated.body.contains("previous_secret_expires_at"));
  check("/v1/endpoints/{id}/rotate-secret", "post", rotated);
  check("/v1/endpoints/{id}/secret", "get", hookd.Get("/v1/endpoints/" + id + "/secret"));
  check("/v1/endpoints/{id}/disable", "post", hookd.Post("/v1/endpoints/" + id + "/disable", {}));
  check("/v1/endpoints/{id}/enable", "post", hookd.Post("/v1/endpoints/" + id + "/enable", {}));

  ApiReply event = hookd.Post("/v1/events", Json{{"type", "order.created"}, {"data", {{"n", 1}}}});
  check("/v1/events", "post", event);
  std::string event_id = event.body["id"];
  check("/v1/events/{id}", "get", hookd.Get("/v1/events/" + event_id));
  ApiReply deliveries = hookd.Get("/v1/deliveries?event_id=" + event_id);
  check("/v1/deliveries", "get", deliveries);
  REQUIRE(deliveries.body["data"].size() == 1);
  std::string dlv = deliveries.body["data"][0]["id"];
  check("/v1/deliveries/{id}", "get", hookd.Get("/v1/deliveries/" + dlv));
  check("/v1/deliveries/retry", "post",
        hookd.Post("/v1/deliveries/retry", Json{{"status", "failed"}, {"dry_run", true}}));
  check("/v1/stats", "get", hookd.Get("/v1/stats"));
  check("/healthz", "get", hookd.Call("GET", "/healthz", "", {}, false));
  check("/readyz", "get", hookd.Call("GET", "/readyz", "", {}, false));

  // Errors have the documented shape and status.
  check("/v1/endpoints", "post", hookd.Post("/v1/endpoints", Json{{"nope", 1}}));
  check("/v1/endpoints/{id}", "get", hookd.Get("/v1/endpoints/nosuch"));
  check("/v1/stats", "get", hookd.Call("GET", "/v1/stats", "", {}, false));
  check("/v1/events", "post",
        hookd.Call("POST", "/v1/events", "{}", {{"Content-Type", "text/plain"}}));
  check("/v1/deliveries", "get", hookd.Get("/v1/deliveries?status=paused"));
  check("/v1/endpoints/{id}", "delete", hookd.Call("DELETE", "/v1/endpoints/" + id));

  // The checker itself can fail.
  ApiReply wrong = created;
  wrong.body["surprise"] = 1;
  CHECK(Conforms(doc, "/v1/endpoints", "post", wrong) != "");
  wrong = created;
  wrong.body.erase("circuit");
  CHECK(Conforms(doc, "/v1/endpoints", "post", wrong) != "");
  wrong.status = 418;
  CHECK(Conforms(doc, "/v1/endpoints", "post", wrong) != "");
}
