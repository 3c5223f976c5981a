// Endpoint signing secrets in the Standard Webhooks form "whsec_<base64>".
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "hookline/status.h"

namespace hookline {

// A signing key of 24..64 raw bytes.
//
// It deliberately has no stream operator and no implicit conversion to text:
// the only way to get the secret's text is Reveal(), so a log line cannot print
// it by accident. The raw bytes are wiped when the object dies.
// Thread-safe for concurrent const use.
class Secret {
 public:
  static constexpr std::string_view kPrefix = "whsec_";
  static constexpr size_t kMinBytes = 24;
  static constexpr size_t kMaxBytes = 64;
  static constexpr size_t kGeneratedBytes = 32;

  // Accepts "whsec_<base64>" and, as the official libraries do, bare base64.
  // InvalidArgument when the base64 is malformed or the key is not 24..64 bytes;
  // the message never contains the secret.
  static Result<Secret> Parse(std::string_view text);
  // InvalidArgument unless 24..64 bytes.
  static Result<Secret> FromBytes(std::string bytes);
  // 32 bytes from OpenSSL's CSPRNG; throws std::runtime_error if the RNG fails.
  static Secret Generate();

  Secret(const Secret&) = default;
  Secret& operator=(const Secret&) = default;
  Secret(Secret&&) noexcept = default;
  Secret& operator=(Secret&&) noexcept = default;
  ~Secret();

  // The raw key bytes (the HMAC key).
  const std::string& key() const { return key_; }
  // "whsec_<base64>": the secret itself, for the one API answer that hands it out.
  std::string Reveal() const;
  // What logs and error messages show in place of a secret.
  static constexpr std::string_view kRedacted = "whsec_***";

  friend bool operator==(const Secret& a, const Secret& b);

 private:
  explicit Secret(std::string key) : key_(std::move(key)) {}
  std::string key_;
};

}  // namespace hookline
