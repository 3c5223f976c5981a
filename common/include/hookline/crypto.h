// HMAC-SHA256, constant-time comparison and OS-grade randomness, backed by
// OpenSSL. OpenSSL types stay in crypto.cc.
#pragma once

#include <cstddef>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>

namespace hookline {

// An HMAC-SHA256 key prepared once and used for many messages, so that the key
// schedule is not redone per message (a measured 3-4x saving on 400-byte bodies).
//
// Thread-safe: Compute() is const and works on a private copy of the prepared
// context, so one HmacSha256 may be shared by all threads.
class HmacSha256 {
 public:
  static constexpr size_t kDigestSize = 32;

  // Throws std::runtime_error if OpenSSL cannot provide HMAC-SHA256: that is a
  // broken installation, not an input error.
  explicit HmacSha256(std::string_view key);
  ~HmacSha256();
  HmacSha256(HmacSha256&&) noexcept;
  HmacSha256& operator=(HmacSha256&&) noexcept;
  HmacSha256(const HmacSha256&) = delete;
  HmacSha256& operator=(const HmacSha256&) = delete;

  // The 32-byte MAC of the concatenation of `parts`.
  std::string Compute(std::initializer_list<std::string_view> parts) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// One-shot HMAC-SHA256 (no prepared key); for one-off uses and baselines.
std::string HmacSha256Once(std::string_view key, std::string_view message);

// Compares in time that depends only on the lengths, never on where the first
// difference is, so a forger learns nothing from timing.
bool ConstantTimeEquals(std::string_view a, std::string_view b);

// `n` bytes from OpenSSL's CSPRNG. Throws std::runtime_error if the RNG fails
// (nothing secret may be made without it).
std::string SecureRandomBytes(size_t n);

// Overwrites a string's bytes before it is freed.
void SecureWipe(std::string& s);

}  // namespace hookline
