#include "hookline/url.h"

#include <catch2/catch.hpp>

using namespace hookline;

TEST_CASE("urls parse into origin and target", "[common][url]") {
  auto u = ParseUrl("https://api.example.com/hooks?x=1");
  REQUIRE(u.ok());
  CHECK(u->scheme == "https");
  CHECK(u->host == "api.example.com");
  CHECK(u->port == 443);
  CHECK(u->target == "/hooks?x=1");
  CHECK(u->Origin() == "https://api.example.com:443");

  auto v = ParseUrl("http://127.0.0.1:9000");
  REQUIRE(v.ok());
  CHECK(v->port == 9000);
  CHECK(v->target == "/");

  auto six = ParseUrl("HTTP://[::1]:8080/w");
  REQUIRE(six.ok());
  CHECK(six->scheme == "http");
  CHECK(six->host == "::1");
  CHECK(six->Origin() == "http://[::1]:8080");

  CHECK(ParseUrl("http://h?q=1")->target == "/?q=1");
}

TEST_CASE("bad urls are refused with a reason", "[common][url]") {
  const char* bad[] = {"",
                       "example.com/hook",
                       "ftp://example.com/",
                       "file:///etc/passwd",
                       "http://user:pass@example.com/",
                       "http://example.com/#frag",
                       "http:///path",
                       "http://exa mple.com/",
                       "http://example.com:0/",
                       "http://example.com:65536/",
                       "http://example.com:/",
                       "http://example.com:8x/",
                       "http://[::1/",
                       "http://[zz]/",
                       "http://ex%41mple.com/"};
  for (const char* text : bad) {
    INFO(text);
    auto r = ParseUrl(text);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == StatusCode::kInvalidArgument);
  }
  CHECK_FALSE(ParseUrl("http://e.com/" + std::string(kMaxUrlLength, 'a')).ok());
}
