#include "config.h"

#include <catch2/catch.hpp>

using namespace hookline;
using namespace hookline::sender;
using namespace std::chrono_literals;

namespace {

Result<Config> Parse(std::vector<std::string> args) {
  args.insert(args.begin(), "hookd");
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  return ParseConfig(static_cast<int>(argv.size()), argv.data());
}

}  // namespace

TEST_CASE("defaults are the embedded quickstart", "[sender][config]") {
  auto c = Parse({});
  REQUIRE(c.ok());
  CHECK(c->listen_host == "127.0.0.1");
  CHECK(c->listen_port == 8080);
  CHECK(c->db_path == "./hookline.db");
  CHECK(c->timeout == 15s);
  CHECK(c->shutdown_grace == 10s);
  CHECK(c->max_body == 1024 * 1024);
  CHECK(c->schedule.ToString() == "5s,5m,30m,2h,5h,10h,10h");
  CHECK(c->schedule.jitter() == Approx(0.2));
  CHECK(c->synchronous_full);
}

TEST_CASE("flags override defaults", "[sender][config]") {
  auto c = Parse({"--listen", "[::1]:0", "--db", "/tmp/x.db", "--workers", "3", "--timeout",
                  "500ms", "--retry-schedule", "100ms,200ms", "--retry-jitter", "0", "--max-body",
                  "64KiB", "--synchronous", "normal", "--api-token", "t"});
  REQUIRE(c.ok());
  CHECK(c->listen_host == "::1");
  CHECK(c->listen_port == 0);
  CHECK(c->workers == 3);
  CHECK(c->timeout == 500ms);
  CHECK(c->schedule.max_attempts() == 3);
  CHECK(c->schedule.jitter() == 0.0);
  CHECK(c->max_body == 65536);
  CHECK_FALSE(c->synchronous_full);
  CHECK(c->api_token == "t");
}

TEST_CASE("bad flags name the flag", "[sender][config]") {
  struct Case {
    std::vector<std::string> args;
    std::string mentions;
  };
  std::vector<Case> cases = {
      {{"--listen", "nope"}, "--listen"},     {{"--listen", "127.0.0.1:70000"}, "--listen"},
      {{"--workers", "0"}, "--workers"},      {{"--timeout", "5"}, "--timeout"},
      {{"--timeout", "1ms"}, "--timeout"},    {{"--retry-schedule", "5x"}, "--retry-schedule"},
      {{"--retry-jitter", "1.5"}, "jitter"},  {{"--max-body", "0"}, "--max-body"},
      {{"--max-body", "1GB"}, "--max-body"},  {{"--synchronous", "off"}, "--synchronous"},
      {{"--no-such-flag"}, "--no-such-flag"},
  };
  for (const auto& c : cases) {
    INFO(c.args[0] << " " << (c.args.size() > 1 ? c.args[1] : ""));
    auto r = Parse(c.args);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == StatusCode::kInvalidArgument);
    CHECK(r.status().message().find(c.mentions) != std::string::npos);
  }
}

TEST_CASE("sizes parse with units", "[sender][config]") {
  CHECK(*ParseSize("100") == 100);
  CHECK(*ParseSize("2KiB") == 2048);
  CHECK(*ParseSize("1MiB") == 1048576);
  CHECK_FALSE(ParseSize("").ok());
  CHECK_FALSE(ParseSize("0").ok());
  CHECK_FALSE(ParseSize("1 MiB").ok());
  CHECK_FALSE(ParseSize("300MiB").ok());
}

TEST_CASE("a flag given twice takes its last value", "[sender][config]") {
  auto c = Parse({"--workers", "2", "--workers", "5"});
  REQUIRE(c.ok());
  CHECK(c->workers == 5);
}

TEST_CASE("the SSRF guard is on and the API rate limit generous by default", "[sender][config]") {
  auto d = Parse({});
  REQUIRE(d.ok());
  CHECK_FALSE(d->allow_private_networks);
  CHECK(d->api_rate_limit == 10000);
  CHECK(d->api_burst == 20000);
  auto c = Parse({"--allow-private-networks", "--api-rate-limit", "0.5", "--api-burst", "3"});
  REQUIRE(c.ok());
  CHECK(c->allow_private_networks);
  CHECK(c->api_rate_limit == 0.5);
  CHECK(c->api_burst == 3);
  for (std::vector<std::string> bad : std::vector<std::vector<std::string>>{
           {"--api-rate-limit", "-1"}, {"--api-rate-limit", "fast"}, {"--api-burst", "0"}}) {
    auto r = Parse(bad);
    REQUIRE_FALSE(r.ok());
    CHECK_THAT(r.status().message(), Catch::Contains(bad[0]));
  }
}

TEST_CASE("operational webhook flags are checked at start-up", "[sender][config][ops]") {
  auto c = Parse({"--ops-endpoint", "https://ops.example.com/hooks", "--ops-secret",
                  "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"});
  REQUIRE(c.ok());
  CHECK(c->ops_endpoint == "https://ops.example.com/hooks");
  CHECK(c->ops_secret == "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
  CHECK(Parse({}).value().ops_endpoint.empty());

  auto bad_url = Parse({"--ops-endpoint", "ftp://ops.example.com/"});
  REQUIRE_FALSE(bad_url.ok());
  CHECK(bad_url.status().message().find("--ops-endpoint") != std::string::npos);

  auto bad_secret =
      Parse({"--ops-endpoint", "https://ops.example.com/", "--ops-secret", "whsec_notbase64!!"});
  REQUIRE_FALSE(bad_secret.ok());
  CHECK(bad_secret.status().message().find("--ops-secret") != std::string::npos);
  // A secret must never be echoed back, even a malformed one.
  CHECK(bad_secret.status().message().find("notbase64") == std::string::npos);

  auto orphan = Parse({"--ops-secret", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"});
  REQUIRE_FALSE(orphan.ok());
  CHECK(orphan.status().message() == "--ops-secret needs --ops-endpoint");
}

TEST_CASE("the operations secret comes from HOOKLINE_OPS_SECRET when no flag gives it",
          "[sender][config][ops]") {
  setenv("HOOKLINE_OPS_SECRET", "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD", 1);
  auto with_endpoint = Parse({"--ops-endpoint", "https://ops.example.com/"});
  // Without --ops-endpoint the variable is ignored (a unit file may keep it).
  auto without = Parse({});
  setenv("HOOKLINE_OPS_SECRET", "whsec_broken", 1);
  auto broken = Parse({"--ops-endpoint", "https://ops.example.com/"});
  unsetenv("HOOKLINE_OPS_SECRET");
  REQUIRE(with_endpoint.ok());
  CHECK(with_endpoint->ops_secret == "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD");
  REQUIRE(without.ok());
  CHECK(without->ops_secret.empty());
  REQUIRE_FALSE(broken.ok());
  CHECK(broken.status().message().find("HOOKLINE_OPS_SECRET") != std::string::npos);
}
