// The API's request parsing without a server (sender/src/api_requests.h and
// ParseTimeParam). The HTTP behaviour around it is in hookd_api_test.cc; the
// cases here include the inputs the fuzzers found (fuzz/fuzz_api_requests.cc).
#include "api_requests.h"

#include <catch2/catch.hpp>

#include "api_common.h"

using namespace hookline;
using namespace hookline::sender::api;

namespace {

Json Object(std::string_view text) {
  auto j = ParseJsonObject(text);
  REQUIRE(j.ok());
  return *j;
}

}  // namespace

TEST_CASE("request bodies must be JSON objects of bounded depth", "[sender][api]") {
  CHECK(ParseJsonObject(R"({"a":[1,{"b":null}]})").ok());
  for (std::string_view bad : {"", "[1]", "\"x\"", "{\"a\":", "{\"a\":\"\xff\"}"}) {
    auto j = ParseJsonObject(bad);
    REQUIRE_FALSE(j.ok());
    CHECK(j.status().code() == StatusCode::kInvalidArgument);
  }
  std::string deep = std::string(40, '[') + std::string(40, ']');
  CHECK_THAT(ParseJsonObject("{\"a\":" + deep + "}").status().message(),
             Catch::Contains("deeper than 32"));
}

TEST_CASE("a number beyond double's range is a bad request, not an exception", "[sender][api]") {
  // Found by fuzz_api_requests: nlohmann throws out_of_range (not parse_error)
  // for 1e400, which escaped to the handler's catch-all and became a 500.
  for (std::string_view text : {R"({"type":"a.b","data":1e400})", R"({"x":[-1e400]})"}) {
    auto j = ParseJsonObject(text);
    REQUIRE_FALSE(j.ok());
    CHECK(j.status().code() == StatusCode::kInvalidArgument);
    CHECK_THAT(j.status().message(), Catch::Contains("number overflow"));
  }
  // Integers past 64 bits still parse, as doubles.
  CHECK(ParseJsonObject(R"({"x":18446744073709551616})").ok());
}

TEST_CASE("event bodies", "[sender][api]") {
  auto ok = ParseEventRequest(Object(R"({"type":"invoice.paid","id":"evt_1:a","data":[1]})"));
  REQUIRE(ok.ok());
  CHECK(ok->type == "invoice.paid");
  CHECK(ok->id == "evt_1:a");
  CHECK(ok->data == Json::array({1}));
  auto no_id = ParseEventRequest(Object(R"({"type":"a","data":null})"));
  REQUIRE(no_id.ok());
  CHECK_FALSE(no_id->id);
  CHECK(no_id->data.is_null());

  for (std::string_view bad :
       {R"({"data":{}})", R"({"type":"a"})", R"({"type":1,"data":{}})",
        R"({"type":"a b","data":{}})", R"({"type":"a","data":1,"x":1})",
        R"({"type":"a","data":1,"id":""})", R"({"type":"a","data":1,"id":"a/b"})"}) {
    auto r = ParseEventRequest(Object(bad));
    INFO(bad);
    CHECK(r.status().code() == StatusCode::kInvalidArgument);
  }
  CHECK_FALSE(
      ParseEventRequest(Object(R"({"type":"a","data":1,"id":")" + std::string(65, 'x') + "\"}"))
          .ok());
}

TEST_CASE("endpoint create and patch bodies", "[sender][api]") {
  auto create = ParseEndpointCreateRequest(
      Object(R"({"url":"http://127.0.0.1:9/h","event_types":["a.*"],"disabled":true,)"
             R"("secret":"MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"})"));
  REQUIRE(create.ok());
  CHECK(create->secret == "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");  // normalized
  CHECK(create->event_types == std::vector<std::string>{"a.*"});
  CHECK(create->disabled);
  auto generated = ParseEndpointCreateRequest(Object(R"({"url":"http://localhost/"})"));
  REQUIRE(generated.ok());
  CHECK(generated->secret.empty());

  for (std::string_view bad : {R"({})", R"({"url":"ftp://x/"})",
                               R"({"url":"http://localhost/","secret":"whsec_c2hvcnQ="})",
                               R"({"url":"http://localhost/","event_types":"a"})",
                               R"({"url":"http://localhost/","event_types":["a b"]})",
                               R"({"url":"http://localhost/","disabled":"yes"})"}) {
    INFO(bad);
    CHECK(ParseEndpointCreateRequest(Object(bad)).status().code() == StatusCode::kInvalidArgument);
  }
  auto secret_error = ParseEndpointCreateRequest(
      Object(R"({"url":"http://localhost/","secret":"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaS"})"));
  CHECK_THAT(secret_error.status().message(), !Catch::Contains("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaS"));

  auto patch = ParseEndpointPatchRequest(Object(R"({"description":"d","event_types":null})"));
  REQUIRE(patch.ok());
  CHECK(patch->description == "d");
  CHECK_FALSE(patch->url);
  CHECK_FALSE(patch->disabled);
  REQUIRE(patch->event_types);  // null clears the filters
  CHECK(patch->event_types->empty());
  CHECK_FALSE(ParseEndpointPatchRequest(Object(R"({})"))->event_types);
  CHECK_FALSE(ParseEndpointPatchRequest(Object(R"({"secret":"x"})")).ok());
  CHECK_FALSE(ParseEndpointPatchRequest(Object(R"({"url":"http://h:0/"})")).ok());
  CHECK_FALSE(
      ParseEndpointPatchRequest(Object(R"({"description":")" + std::string(1025, 'd') + "\"}"))
          .ok());
}

TEST_CASE("time filters take Unix seconds or RFC 3339", "[sender][api]") {
  CHECK(*ParseTimeParam("since", "1767225600") == 1767225600000);
  CHECK(*ParseTimeParam("since", "2026-01-01T00:00:00Z") == 1767225600000);
  CHECK(*ParseTimeParam("since", "2026-01-01T00:00:00.5Z") == 1767225600500);
  CHECK(*ParseTimeParam("since", "2026-01-01T02:30:00+02:30") == 1767225600000);
  CHECK(*ParseTimeParam("since", "2025-12-31T22:00:00-02:00") == 1767225600000);
  for (std::string_view bad :
       {"", "yesterday", "-1", "2026-01-01T00:00:00", "2026-01-01T00:00:00.Z",
        "2026-01-01T00:00:00+24:00", "2026-01-01T00:00:00+02:60", "2026-01-01T00:00:00Zjunk"}) {
    INFO(bad);
    CHECK(ParseTimeParam("since", bad).status().code() == StatusCode::kInvalidArgument);
  }
}

TEST_CASE("a short or signed UTC offset is rejected without reading past the text",
          "[sender][api]") {
  // Found by fuzz_api_requests under ASan: sscanf("%2d:%2d") accepted "+1:2",
  // then the parser skipped six characters, past the end of the buffer.
  for (std::string_view bad :
       {"2026-01-01T00:00:00+1:2", "2026-01-01T00:00:00+", "2026-01-01T00:00:00-01",
        "2026-01-01T00:00:00+01:0", "2026-01-01T00:00:00+-1:-1", "2026-01-01T00:00:00+ 1: 2"}) {
    INFO(bad);
    CHECK(ParseTimeParam("since", bad).status().code() == StatusCode::kInvalidArgument);
  }
  // A NUL (a query's %00) ends nothing: what follows it still counts.
  using namespace std::string_view_literals;
  CHECK_FALSE(ParseTimeParam("since", "2026-01-01T00:00:00Z\0junk"sv).ok());
  CHECK_FALSE(ParseTimeParam("since", "2026-01-01T00:00:00+01:00\0"sv).ok());
}
