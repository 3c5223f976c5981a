#include "hookline/net_guard.h"

#include <catch2/catch.hpp>

using namespace hookline;

namespace {

AddressClass Of(const std::string& host) {
  auto ip = ParseNumericHost(host);
  INFO(host);
  REQUIRE(ip.has_value());
  return ClassifyAddress(*ip);
}

}  // namespace

TEST_CASE("IPv4 addresses are classified by range", "[common][net_guard]") {
  CHECK(Of("8.8.8.8") == AddressClass::kPublic);
  CHECK(Of("93.184.216.34") == AddressClass::kPublic);
  CHECK(Of("172.32.0.1") == AddressClass::kPublic);   // just past 172.16/12
  CHECK(Of("100.128.0.1") == AddressClass::kPublic);  // just past 100.64/10
  CHECK(Of("127.0.0.1") == AddressClass::kLoopback);
  CHECK(Of("127.255.255.254") == AddressClass::kLoopback);
  CHECK(Of("10.1.2.3") == AddressClass::kPrivate);
  CHECK(Of("172.16.0.1") == AddressClass::kPrivate);
  CHECK(Of("172.31.255.255") == AddressClass::kPrivate);
  CHECK(Of("192.168.1.1") == AddressClass::kPrivate);
  CHECK(Of("100.64.0.1") == AddressClass::kSharedCgnat);
  CHECK(Of("100.127.255.255") == AddressClass::kSharedCgnat);
  CHECK(Of("169.254.1.1") == AddressClass::kLinkLocal);
  CHECK(Of("169.254.169.254") == AddressClass::kCloudMetadata);
  CHECK(Of("100.100.100.200") == AddressClass::kCloudMetadata);
  CHECK(Of("168.63.129.16") == AddressClass::kCloudMetadata);
  CHECK(Of("224.0.0.1") == AddressClass::kMulticast);
  CHECK(Of("239.255.255.250") == AddressClass::kMulticast);
  CHECK(Of("0.0.0.0") == AddressClass::kUnspecified);
  CHECK(Of("0.1.2.3") == AddressClass::kUnspecified);
  CHECK(Of("255.255.255.255") == AddressClass::kBroadcast);
  CHECK(Of("240.0.0.1") == AddressClass::kReserved);
  CHECK(Of("192.0.2.1") == AddressClass::kReserved);
  CHECK(Of("198.18.0.1") == AddressClass::kReserved);
}

TEST_CASE("odd numeric IPv4 forms are read as the resolver reads them", "[common][net_guard]") {
  for (const char* loopback :
       {"0x7f.1", "2130706433", "017700000001", "127.1", "0x7f000001", "0177.0.0.1", "127.0.1"}) {
    INFO(loopback);
    auto ip = ParseNumericHost(loopback);
    REQUIRE(ip.has_value());
    CHECK(ip->ToString().rfind("127.", 0) == 0);
    CHECK(ClassifyAddress(*ip) == AddressClass::kLoopback);
  }
  CHECK(ParseNumericHost("0x7f.1")->ToString() == "127.0.0.1");
  CHECK(ParseNumericHost("2852039166")->ToString() == "169.254.169.254");
  CHECK(Of("0xa9fea9fe") == AddressClass::kCloudMetadata);
  CHECK(Of("0") == AddressClass::kUnspecified);
  // Names are not numeric.
  CHECK_FALSE(ParseNumericHost("localhost").has_value());
  CHECK_FALSE(ParseNumericHost("example.com").has_value());
  CHECK_FALSE(ParseNumericHost("127.0.0.1.nip.io").has_value());
  CHECK_FALSE(ParseNumericHost("1.2.3.4.5").has_value());
  CHECK_FALSE(ParseNumericHost("::zz").has_value());
}

TEST_CASE("IPv6 addresses are classified, looking through embedded IPv4", "[common][net_guard]") {
  CHECK(Of("2606:4700::1111") == AddressClass::kPublic);
  CHECK(Of("::1") == AddressClass::kLoopback);
  CHECK(Of("::") == AddressClass::kUnspecified);
  CHECK(Of("fe80::1") == AddressClass::kLinkLocal);
  CHECK(Of("febf::1") == AddressClass::kLinkLocal);
  CHECK(Of("fec0::1") == AddressClass::kPrivate);
  CHECK(Of("fc00::1") == AddressClass::kUniqueLocal);
  CHECK(Of("fd12:3456::1") == AddressClass::kUniqueLocal);
  CHECK(Of("fd00:ec2::254") == AddressClass::kCloudMetadata);
  CHECK(Of("ff02::1") == AddressClass::kMulticast);
  CHECK(Of("2001:db8::1") == AddressClass::kReserved);
  CHECK(Of("2001:0:4136:e378::1") == AddressClass::kReserved);  // Teredo
  CHECK(Of("100::1") == AddressClass::kReserved);
  // IPv4-mapped and -compatible.
  CHECK(Of("::ffff:127.0.0.1") == AddressClass::kLoopback);
  CHECK(Of("::ffff:7f00:1") == AddressClass::kLoopback);
  CHECK(Of("::ffff:169.254.169.254") == AddressClass::kCloudMetadata);
  CHECK(Of("::ffff:10.0.0.1") == AddressClass::kPrivate);
  CHECK(Of("::ffff:8.8.8.8") == AddressClass::kPublic);
  CHECK(Of("::127.0.0.1") == AddressClass::kLoopback);
  CHECK(Of("::ffff:0.0.0.0") == AddressClass::kUnspecified);
  // NAT64 and 6to4.
  CHECK(Of("64:ff9b::127.0.0.1") == AddressClass::kLoopback);
  CHECK(Of("64:ff9b::a9fe:a9fe") == AddressClass::kCloudMetadata);
  CHECK(Of("64:ff9b::8.8.8.8") == AddressClass::kPublic);
  CHECK(Of("64:ff9b:1::1") == AddressClass::kPrivate);
  CHECK(Of("2002:7f00:1::1") == AddressClass::kLoopback);
  CHECK(Of("2002:c0a8:101::1") == AddressClass::kPrivate);
  CHECK(Of("2002:808:808::1") == AddressClass::kPublic);
  CHECK(ParseNumericHost("::ffff:127.0.0.1")->ToString() == "::ffff:127.0.0.1");
}

TEST_CASE("every class but public has a name and is refused", "[common][net_guard]") {
  FakeResolver dns;
  struct Case {
    const char* address;
    const char* name;
  };
  for (const Case& c : std::initializer_list<Case>{{"127.0.0.1", "loopback"},
                                                   {"10.0.0.1", "private network"},
                                                   {"100.64.0.1", "carrier-grade NAT"},
                                                   {"169.254.0.1", "link-local"},
                                                   {"fd12::1", "unique-local"},
                                                   {"224.0.0.1", "multicast"},
                                                   {"0.0.0.0", "unspecified"},
                                                   {"255.255.255.255", "broadcast"},
                                                   {"169.254.169.254", "cloud metadata"},
                                                   {"240.0.0.1", "reserved"}}) {
    INFO(c.address);
    dns.Set("h.test", {*ParseNumericHost(c.address)});
    auto r = ResolvePublicAddress(dns, "h.test");
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == StatusCode::kPermissionDenied);
    CHECK(r.status().message() ==
          std::string("'h.test' resolves to ") + c.address + " (" + c.name + ")");
  }
}

TEST_CASE("a host is allowed only when every address it resolves to is public",
          "[common][net_guard]") {
  FakeResolver dns;
  IpAddress pub = IpAddress::V4(93, 184, 216, 34);
  IpAddress loop = IpAddress::V4(127, 0, 0, 1);
  dns.Set("good.test", {pub});
  dns.Set("mixed.test", {pub, loop});
  dns.Set("rebind.test", {pub});

  auto good = ResolvePublicAddress(dns, "good.test");
  REQUIRE(good.ok());
  CHECK(*good == pub);
  auto mixed = ResolvePublicAddress(dns, "mixed.test");
  REQUIRE_FALSE(mixed.ok());
  CHECK(mixed.status().message() == "'mixed.test' resolves to 127.0.0.1 (loopback)");

  auto missing = ResolvePublicAddress(dns, "nowhere.test");
  CHECK(missing.status().code() == StatusCode::kNotFound);

  // Numeric hosts answer themselves, whatever their spelling.
  auto numeric = ResolvePublicAddress(dns, "0x7f.1");
  CHECK(numeric.status().message() == "'0x7f.1' resolves to 127.0.0.1 (loopback)");
  CHECK(ResolvePublicAddress(dns, "127.0.0.1").status().message() ==
        "'127.0.0.1' resolves to 127.0.0.1 (loopback)");
  CHECK(ResolvePublicAddress(dns, "8.8.8.8").ok());

  // DNS rebinding: public when checked once, private the next time.
  REQUIRE(ResolvePublicAddress(dns, "rebind.test").ok());
  dns.Set("rebind.test", {loop});
  CHECK(ResolvePublicAddress(dns, "rebind.test").status().code() == StatusCode::kPermissionDenied);
}

TEST_CASE("the system resolver reads numeric hosts and localhost", "[common][net_guard]") {
  const Resolver& dns = SystemResolver();
  auto odd = dns.Resolve("0x7f.1");
  REQUIRE(odd.ok());
  CHECK(odd->front().ToString() == "127.0.0.1");
  // localhost comes from /etc/hosts, so this needs no network.
  auto local = dns.Resolve("localhost");
  REQUIRE(local.ok());
  for (const IpAddress& a : *local) CHECK(ClassifyAddress(a) == AddressClass::kLoopback);
  CHECK(ResolvePublicAddress(dns, "localhost").status().code() == StatusCode::kPermissionDenied);
  // .invalid never resolves (RFC 6761); without network the lookup fails too.
  CHECK_FALSE(dns.Resolve("hookline-test.invalid").ok());
}
