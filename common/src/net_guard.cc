#include "hookline/net_guard.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <sys/socket.h>

#include <cstring>

namespace hookline {
namespace {

// Host byte order, so that prefixes read as in the RFCs.
uint32_t V4Value(const uint8_t* b) {
  return (uint32_t{b[0]} << 24) | (uint32_t{b[1]} << 16) | (uint32_t{b[2]} << 8) | uint32_t{b[3]};
}

bool InV4(uint32_t a, uint32_t net, int prefix) {
  uint32_t mask = prefix == 0 ? 0 : ~uint32_t{0} << (32 - prefix);
  return (a & mask) == (net & mask);
}

constexpr uint32_t Ip4(uint32_t a, uint32_t b, uint32_t c, uint32_t d) {
  return (a << 24) | (b << 16) | (c << 8) | d;
}

AddressClass ClassifyV4(uint32_t a) {
  // Metadata first: its addresses sit inside the link-local and CGNAT ranges.
  if (a == Ip4(169, 254, 169, 254) || a == Ip4(168, 63, 129, 16) || a == Ip4(100, 100, 100, 200)) {
    return AddressClass::kCloudMetadata;
  }
  if (InV4(a, Ip4(0, 0, 0, 0), 8)) return AddressClass::kUnspecified;
  if (InV4(a, Ip4(127, 0, 0, 0), 8)) return AddressClass::kLoopback;
  if (InV4(a, Ip4(10, 0, 0, 0), 8) || InV4(a, Ip4(172, 16, 0, 0), 12) ||
      InV4(a, Ip4(192, 168, 0, 0), 16)) {
    return AddressClass::kPrivate;
  }
  if (InV4(a, Ip4(100, 64, 0, 0), 10)) return AddressClass::kSharedCgnat;
  if (InV4(a, Ip4(169, 254, 0, 0), 16)) return AddressClass::kLinkLocal;
  if (InV4(a, Ip4(224, 0, 0, 0), 4)) return AddressClass::kMulticast;
  if (a == Ip4(255, 255, 255, 255)) return AddressClass::kBroadcast;
  if (InV4(a, Ip4(240, 0, 0, 0), 4) || InV4(a, Ip4(192, 0, 0, 0), 24) ||
      InV4(a, Ip4(192, 0, 2, 0), 24) || InV4(a, Ip4(198, 18, 0, 0), 15) ||
      InV4(a, Ip4(198, 51, 100, 0), 24) || InV4(a, Ip4(203, 0, 113, 0), 24)) {
    return AddressClass::kReserved;
  }
  return AddressClass::kPublic;
}

bool AllZero(const uint8_t* b, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    if (b[i] != 0) return false;
  }
  return true;
}

AddressClass ClassifyV6(const std::array<uint8_t, 16>& b) {
  static const IpAddress kAwsMetadata = [] {
    IpAddress a;
    a.v6 = true;
    inet_pton(AF_INET6, "fd00:ec2::254", a.bytes.data());
    return a;
  }();
  if (b == kAwsMetadata.bytes) return AddressClass::kCloudMetadata;
  if (AllZero(b.data(), 10)) {
    if (b[10] == 0xff && b[11] == 0xff) return ClassifyV4(V4Value(&b[12]));  // ::ffff:a.b.c.d
    if (b[10] == 0 && b[11] == 0) {
      if (AllZero(&b[12], 4)) return AddressClass::kUnspecified;             // ::
      if (AllZero(&b[12], 3) && b[15] == 1) return AddressClass::kLoopback;  // ::1
      return ClassifyV4(V4Value(&b[12]));  // deprecated IPv4-compatible ::a.b.c.d
    }
  }
  // NAT64 64:ff9b::/96 carries the IPv4 address in its last 32 bits.
  static constexpr uint8_t kNat64[12] = {0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0};
  if (std::memcmp(b.data(), kNat64, 12) == 0) return ClassifyV4(V4Value(&b[12]));
  if (b[0] == 0 && b[1] == 0x64 && b[2] == 0xff && b[3] == 0x9b && b[4] == 0 && b[5] == 1) {
    return AddressClass::kPrivate;  // 64:ff9b:1::/48, local-use NAT64
  }
  if (b[0] == 0x20 && b[1] == 0x02) return ClassifyV4(V4Value(&b[2]));  // 6to4 2002:V4ADDR::/48
  if (b[0] == 0xff) return AddressClass::kMulticast;
  if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) return AddressClass::kLinkLocal;  // fe80::/10
  if (b[0] == 0xfe && (b[1] & 0xc0) == 0xc0) return AddressClass::kPrivate;    // fec0::/10
  if ((b[0] & 0xfe) == 0xfc) return AddressClass::kUniqueLocal;                // fc00::/7
  if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0d && b[3] == 0xb8) {
    return AddressClass::kReserved;  // 2001:db8::/32, documentation
  }
  if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0 && b[3] == 0) {
    return AddressClass::kReserved;  // Teredo 2001::/32
  }
  if (b[0] == 0x01 && AllZero(&b[1], 7)) return AddressClass::kReserved;  // 100::/64, discard
  return AddressClass::kPublic;
}

}  // namespace

IpAddress IpAddress::V4(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
  IpAddress ip;
  ip.bytes[0] = a;
  ip.bytes[1] = b;
  ip.bytes[2] = c;
  ip.bytes[3] = d;
  return ip;
}

std::string IpAddress::ToString() const {
  char text[INET6_ADDRSTRLEN] = "";
  inet_ntop(v6 ? AF_INET6 : AF_INET, bytes.data(), text, sizeof text);
  return text;
}

const char* AddressClassName(AddressClass c) {
  switch (c) {
    case AddressClass::kPublic:
      return "public";
    case AddressClass::kLoopback:
      return "loopback";
    case AddressClass::kPrivate:
      return "private network";
    case AddressClass::kSharedCgnat:
      return "carrier-grade NAT";
    case AddressClass::kLinkLocal:
      return "link-local";
    case AddressClass::kUniqueLocal:
      return "unique-local";
    case AddressClass::kMulticast:
      return "multicast";
    case AddressClass::kUnspecified:
      return "unspecified";
    case AddressClass::kBroadcast:
      return "broadcast";
    case AddressClass::kCloudMetadata:
      return "cloud metadata";
    case AddressClass::kReserved:
      return "reserved";
  }
  return "unknown";
}

AddressClass ClassifyAddress(const IpAddress& a) {
  return a.v6 ? ClassifyV6(a.bytes) : ClassifyV4(V4Value(a.bytes.data()));
}

std::optional<IpAddress> ParseNumericHost(std::string_view host) {
  std::string text(host);
  IpAddress ip;
  if (text.find(':') != std::string::npos) {
    ip.v6 = true;
    if (inet_pton(AF_INET6, text.c_str(), ip.bytes.data()) == 1) return ip;
    return std::nullopt;
  }
  // inet_aton, not inet_pton: the resolver and the socket layer accept the
  // old shorthand and octal/hex forms, so the guard must read them the same.
  in_addr v4{};
  if (inet_aton(text.c_str(), &v4) == 0) return std::nullopt;
  std::memcpy(ip.bytes.data(), &v4.s_addr, 4);
  return ip;
}

namespace {

class GetaddrinfoResolver final : public Resolver {
 public:
  Result<std::vector<IpAddress>> Resolve(const std::string& host) const override {
    if (auto numeric = ParseNumericHost(host)) return std::vector<IpAddress>{*numeric};
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    int rc = getaddrinfo(host.c_str(), nullptr, &hints, &found);
    if (rc == EAI_NONAME || rc == EAI_NODATA) {
      return Status::NotFound("'" + host + "' does not resolve (no such name)");
    }
    if (rc != 0) {
      return Status::Unavailable("'" + host + "' could not be resolved: " + gai_strerror(rc));
    }
    std::vector<IpAddress> out;
    for (addrinfo* ai = found; ai != nullptr; ai = ai->ai_next) {
      IpAddress ip;
      if (ai->ai_family == AF_INET) {
        std::memcpy(ip.bytes.data(), &reinterpret_cast<sockaddr_in*>(ai->ai_addr)->sin_addr, 4);
      } else if (ai->ai_family == AF_INET6) {
        ip.v6 = true;
        std::memcpy(ip.bytes.data(), &reinterpret_cast<sockaddr_in6*>(ai->ai_addr)->sin6_addr, 16);
      } else {
        continue;
      }
      bool seen = false;
      for (const IpAddress& o : out) seen |= o == ip;
      if (!seen) out.push_back(ip);
    }
    freeaddrinfo(found);
    if (out.empty()) return Status::NotFound("'" + host + "' has no IPv4 or IPv6 address");
    return out;
  }
};

}  // namespace

const Resolver& SystemResolver() {
  static const GetaddrinfoResolver resolver;
  return resolver;
}

void FakeResolver::Set(const std::string& host, std::vector<IpAddress> addresses) {
  std::lock_guard lock(mu_);
  table_[host] = std::move(addresses);
}

Result<std::vector<IpAddress>> FakeResolver::Resolve(const std::string& host) const {
  if (auto numeric = ParseNumericHost(host)) return std::vector<IpAddress>{*numeric};
  std::lock_guard lock(mu_);
  ++lookups_;
  auto it = table_.find(host);
  if (it == table_.end() || it->second.empty()) {
    return Status::NotFound("'" + host + "' does not resolve (no such name)");
  }
  return it->second;
}

int FakeResolver::lookups() const {
  std::lock_guard lock(mu_);
  return lookups_;
}

Result<IpAddress> ResolvePublicAddress(const Resolver& resolver, const std::string& host) {
  auto addresses = resolver.Resolve(host);
  if (!addresses.ok()) return addresses.status();
  for (const IpAddress& a : *addresses) {
    AddressClass c = ClassifyAddress(a);
    if (c != AddressClass::kPublic) {
      return Status::PermissionDenied("'" + host + "' resolves to " + a.ToString() + " (" +
                                      AddressClassName(c) + ")");
    }
  }
  return addresses->front();
}

}  // namespace hookline
