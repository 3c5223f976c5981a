// The SSRF guard's pieces: classifying IP addresses, resolving host names
// behind an interface, and the rule "every address of the host is public".
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "hookline/status.h"

namespace hookline {

// An IPv4 or IPv6 address in network byte order. A value type.
struct IpAddress {
  bool v6 = false;
  std::array<uint8_t, 16> bytes{};  // IPv4 uses the first 4

  static IpAddress V4(uint8_t a, uint8_t b, uint8_t c, uint8_t d);
  // "127.0.0.1", "::1", "::ffff:127.0.0.1" (inet_ntop's canonical text).
  std::string ToString() const;
  bool operator==(const IpAddress&) const = default;
};

enum class AddressClass {
  kPublic,         // the only class the guard lets hookd connect to
  kLoopback,       // 127/8, ::1
  kPrivate,        // 10/8, 172.16/12, 192.168/16, fec0::/10, 64:ff9b:1::/48
  kSharedCgnat,    // 100.64/10 (carrier-grade NAT)
  kLinkLocal,      // 169.254/16, fe80::/10
  kUniqueLocal,    // fc00::/7
  kMulticast,      // 224/4, ff00::/8
  kUnspecified,    // 0.0.0.0/8 (0.0.0.0 reaches the local host on Linux), ::
  kBroadcast,      // 255.255.255.255
  kCloudMetadata,  // 169.254.169.254, 168.63.129.16, 100.100.100.200, fd00:ec2::254
  kReserved,       // 240/4, 192.0.0/24, 198.18/15, documentation ranges, 100::/64,
                   // 2001:db8::/32, Teredo 2001::/32 (its inner address is obfuscated)
};

// "loopback", "private", "cloud metadata", ... for error messages.
const char* AddressClassName(AddressClass c);

// The class of `a`. IPv4 carried inside IPv6 is classified by the IPv4
// address: mapped ::ffff:0:0/96, compatible ::/96, NAT64 64:ff9b::/96 and
// 6to4 2002::/16 (so ::ffff:127.0.0.1 and 2002:7f00:1:: are loopback).
AddressClass ClassifyAddress(const IpAddress& a);

// A numeric host as the system resolver reads it: IPv6 text (without
// brackets) or any IPv4 form inet_aton accepts ("127.1", "0x7f.1",
// "2130706433", "017700000001"). nullopt when `host` is a name.
std::optional<IpAddress> ParseNumericHost(std::string_view host);

// Host name -> addresses. Implementations are thread-safe.
class Resolver {
 public:
  virtual ~Resolver() = default;
  // Every address of `host`; a numeric host answers itself without a lookup.
  // NotFound when the name does not exist (or has no address); Unavailable
  // when the lookup failed and may work later.
  virtual Result<std::vector<IpAddress>> Resolve(const std::string& host) const = 0;
};

// getaddrinfo. Blocking, bounded by the system resolver's own timeouts
// (resolv.conf). The returned object lives for the whole program.
const Resolver& SystemResolver();

// Answers from a table (tests). Thread-safe: Set() may run while other
// threads resolve, which is how tests play DNS rebinding.
class FakeResolver final : public Resolver {
 public:
  // `addresses` empty: the name does not exist.
  void Set(const std::string& host, std::vector<IpAddress> addresses);
  Result<std::vector<IpAddress>> Resolve(const std::string& host) const override;
  // How many names (not numeric hosts) were looked up so far.
  int lookups() const;

 private:
  mutable std::mutex mu_;
  std::map<std::string, std::vector<IpAddress>> table_;  // guarded by mu_
  mutable int lookups_ = 0;                              // guarded by mu_
};

// Resolves `host` and returns the address to connect to (the first one) when
// every address it resolves to is public. PermissionDenied naming the first
// forbidden address and its class ("'h' resolves to 169.254.169.254 (cloud
// metadata)") when any is not: a name answering with both a public and a
// private address is a rebinding attempt as often as a mistake. Otherwise the
// resolver's NotFound or Unavailable.
Result<IpAddress> ResolvePublicAddress(const Resolver& resolver, const std::string& host);

}  // namespace hookline
