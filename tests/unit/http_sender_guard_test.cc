// The delivery client's SSRF guard at connect time, with a fake resolver and a
// server on 127.0.0.1 (the only address tests may send to).
#include <httplib.h>

#include <catch2/catch.hpp>
#include <mutex>
#include <thread>

#include "hookline/net_guard.h"
#include "http_sender.h"

using namespace hookline;
using namespace hookline::sender;
using namespace std::chrono_literals;

namespace {

// Records the Host header of every request.
class HostRecorder {
 public:
  HostRecorder() {
    server_.set_tcp_nodelay(true);
    server_.Post(".*", [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard lock(mu_);
      hosts_.push_back(req.get_header_value("Host"));
      res.set_content("ok", "text/plain");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    for (int i = 0; i < 5000 && !server_.is_running(); ++i) std::this_thread::sleep_for(1ms);
  }
  ~HostRecorder() {
    server_.stop();
    thread_.join();
  }
  int port() const { return port_; }
  std::vector<std::string> hosts() const {
    std::lock_guard lock(mu_);
    return hosts_;
  }

 private:
  httplib::Server server_;
  std::thread thread_;
  int port_ = -1;
  mutable std::mutex mu_;
  std::vector<std::string> hosts_;
};

Url MustParse(const std::string& text) {
  auto u = ParseUrl(text);
  REQUIRE(u.ok());
  return *u;
}

HttpSenderOptions Options(const Resolver& dns, bool allow_private) {
  HttpSenderOptions o;
  o.connect_timeout = 2s;
  o.timeout = 5s;
  o.resolver = &dns;
  o.allow_private_networks = allow_private;
  return o;
}

}  // namespace

TEST_CASE("the guard refuses at connect time a host resolving to a private address",
          "[sender][net_guard]") {
  HostRecorder receiver;
  REQUIRE(receiver.port() > 0);
  FakeResolver dns;
  dns.Set("hooks.test", {IpAddress::V4(127, 0, 0, 1)});
  auto sender = NewHttplibSender(Options(dns, /*allow_private=*/false));
  auto session = sender->NewSession();
  const std::string port = std::to_string(receiver.port());

  AttemptResult named = session->Post(MustParse("http://hooks.test:" + port + "/h"), {}, "{}");
  CHECK(named.status == 0);
  CHECK(named.error ==
        "refused by the SSRF guard: 'hooks.test' resolves to 127.0.0.1 (loopback), which is not "
        "allowed (--allow-private-networks)");
  AttemptResult numeric = session->Post(MustParse("http://0x7f.1:" + port + "/h"), {}, "{}");
  CHECK(numeric.status == 0);
  CHECK_THAT(numeric.error, Catch::Contains("'0x7f.1' resolves to 127.0.0.1 (loopback)"));
  AttemptResult v6 = session->Post(MustParse("http://[::ffff:127.0.0.1]:" + port + "/h"), {}, "{}");
  CHECK_THAT(v6.error, Catch::Contains("(loopback)"));
  // One public and one private answer: refused as well.
  dns.Set("mixed.test", {IpAddress::V4(93, 184, 216, 34), IpAddress::V4(10, 0, 0, 1)});
  CHECK_THAT(session->Post(MustParse("http://mixed.test:" + port + "/"), {}, "{}").error,
             Catch::Contains("10.0.0.1 (private network)"));
  // A name that does not resolve is a network-class failure (retried on schedule).
  AttemptResult missing = session->Post(MustParse("http://gone.test:" + port + "/"), {}, "{}");
  CHECK(missing.status == 0);
  CHECK(missing.error == "DNS: 'gone.test' does not resolve (no such name)");

  CHECK(receiver.hosts().empty());  // nothing was sent
}

TEST_CASE("DNS rebinding: public when the endpoint was created, private at connect",
          "[sender][net_guard]") {
  HostRecorder receiver;
  FakeResolver dns;
  dns.Set("rebind.test", {IpAddress::V4(93, 184, 216, 34)});
  // What the API checks when the endpoint is created or its URL changed.
  REQUIRE(ResolvePublicAddress(dns, "rebind.test").ok());
  dns.Set("rebind.test", {IpAddress::V4(127, 0, 0, 1)});
  auto session = NewHttplibSender(Options(dns, false))->NewSession();
  AttemptResult r = session->Post(
      MustParse("http://rebind.test:" + std::to_string(receiver.port()) + "/"), {}, "{}");
  CHECK(r.status == 0);
  CHECK_THAT(r.error, Catch::Contains("'rebind.test' resolves to 127.0.0.1 (loopback)"));
  CHECK(receiver.hosts().empty());
}

TEST_CASE("connections are pinned to the resolved address and keep the host name",
          "[sender][net_guard]") {
  // Private networks allowed, so that the pinned address may be 127.0.0.1: the
  // name exists only in the fake resolver, so reaching the receiver at all
  // shows the connection went to the address the resolver gave.
  HostRecorder receiver;
  FakeResolver dns;
  dns.Set("hooks.test", {IpAddress::V4(127, 0, 0, 1)});
  HttpSenderOptions options = Options(dns, true);
  options.dns_refresh = 1h;
  auto session = NewHttplibSender(options)->NewSession();
  Url url = MustParse("http://hooks.test:" + std::to_string(receiver.port()) + "/h");

  for (int i = 0; i < 3; ++i) {
    AttemptResult r = session->Post(url, {}, "{}");
    INFO(r.error);
    CHECK(r.status == 200);
  }
  auto hosts = receiver.hosts();
  REQUIRE(hosts.size() == 3);
  CHECK(hosts[0] == "hooks.test:" + std::to_string(receiver.port()));
  // Keep-alive reuse does no lookup: one for the client, none per request.
  CHECK(dns.lookups() == 1);
}

TEST_CASE("a cached client is re-resolved after dns_refresh", "[sender][net_guard]") {
  HostRecorder receiver;
  FakeResolver dns;
  dns.Set("hooks.test", {IpAddress::V4(127, 0, 0, 1)});
  HttpSenderOptions options = Options(dns, true);
  options.dns_refresh = 0ms;  // every request re-resolves
  auto session = NewHttplibSender(options)->NewSession();
  Url url = MustParse("http://hooks.test:" + std::to_string(receiver.port()) + "/h");
  CHECK(session->Post(url, {}, "{}").status == 200);
  CHECK(session->Post(url, {}, "{}").status == 200);
  CHECK(dns.lookups() == 2);
  // The name disappears: the next attempt fails without using the old client.
  dns.Set("hooks.test", {});
  AttemptResult gone = session->Post(url, {}, "{}");
  CHECK(gone.status == 0);
  CHECK_THAT(gone.error, Catch::StartsWith("DNS: 'hooks.test' does not resolve"));
  CHECK(receiver.hosts().size() == 2);
}
