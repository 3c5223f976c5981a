#include "hookline/ids.h"

#include <cstring>

#include "hookline/crypto.h"

namespace hookline {
namespace {

constexpr char kCrockford[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
constexpr size_t kEncodedLength = 26;

// 128 bits -> 26 symbols of 5 bits; the first symbol carries only 3 bits.
std::string EncodeUlid(const std::array<uint8_t, 16>& b) {
  std::string out(kEncodedLength, '0');
  // Walk from the least significant end, 5 bits at a time.
  unsigned int acc = 0;
  int bits = 0;
  int pos = static_cast<int>(kEncodedLength) - 1;
  for (int i = 15; i >= 0; --i) {
    acc |= static_cast<unsigned int>(b[static_cast<size_t>(i)]) << bits;
    bits += 8;
    while (bits >= 5 && pos >= 0) {
      out[static_cast<size_t>(pos--)] = kCrockford[acc & 31];
      acc >>= 5;
      bits -= 5;
    }
  }
  if (pos >= 0) out[static_cast<size_t>(pos)] = kCrockford[acc & 31];
  return out;
}

int DecodeSymbol(char c) {
  const char* p = std::strchr(kCrockford, c);
  return (p == nullptr || c == '\0') ? -1 : static_cast<int>(p - kCrockford);
}

}  // namespace

std::string IdGenerator::Next(std::string_view prefix) {
  std::array<uint8_t, 16> bytes{};
  {
    std::lock_guard lock(mu_);
    int64_t now = clock_.NowUnixMillis();
    if (now > last_ms_) {
      last_ms_ = now;
      std::string r = SecureRandomBytes(last_rand_.size());
      std::memcpy(last_rand_.data(), r.data(), last_rand_.size());
      // Leave headroom so that incrementing within one millisecond never wraps.
      last_rand_[0] &= 0x7F;
    } else {
      for (int i = static_cast<int>(last_rand_.size()) - 1; i >= 0; --i) {
        if (++last_rand_[static_cast<size_t>(i)] != 0) break;
      }
    }
    uint64_t ms = static_cast<uint64_t>(last_ms_);
    for (int i = 0; i < 6; ++i)
      bytes[static_cast<size_t>(i)] = static_cast<uint8_t>(ms >> (40 - 8 * i));
    std::memcpy(bytes.data() + 6, last_rand_.data(), last_rand_.size());
  }
  std::string out(prefix);
  out += EncodeUlid(bytes);
  return out;
}

std::string NewId(std::string_view prefix) {
  static IdGenerator generator;
  return generator.Next(prefix);
}

int64_t IdUnixMillis(std::string_view id, std::string_view prefix) {
  if (id.size() != prefix.size() + kEncodedLength || id.substr(0, prefix.size()) != prefix)
    return -1;
  std::string_view body = id.substr(prefix.size());
  if (DecodeSymbol(body[0]) > 7) return -1;  // would overflow 128 bits
  for (char c : body) {
    if (DecodeSymbol(c) < 0) return -1;
  }
  // The first 10 symbols hold 50 bits: 2 zero bits, then the 48-bit time.
  int64_t ms = 0;
  for (size_t i = 0; i < 10; ++i) ms = (ms << 5) | DecodeSymbol(body[i]);
  return ms;
}

}  // namespace hookline
