// Standard Webhooks signatures: "v1,<base64 HMAC-SHA256(key, id.timestamp.body)>".
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "hookline/crypto.h"
#include "hookline/secret.h"

namespace hookline {

// The exact bytes that are signed: "<id>.<timestamp>.<body>".
// (Exposed for tests and for other schemes' documentation; Sign() does not copy them.)
std::string SignedContent(std::string_view id, int64_t timestamp, std::string_view body);

// Signs one message with a prepared key. Thread-safe; share one per secret.
class Signer {
 public:
  explicit Signer(const Secret& secret) : mac_(secret.key()) {}
  // "v1,<base64>" over the raw body bytes as given (never re-serialized).
  std::string Sign(std::string_view id, int64_t timestamp, std::string_view body) const;
  // The raw 32-byte MAC, for verifiers that compare bytes.
  std::string Mac(std::string_view id, int64_t timestamp, std::string_view body) const;

 private:
  HmacSha256 mac_;
};

// One-off convenience: Signer(secret).Sign(id, timestamp, body).
std::string Sign(const Secret& secret, std::string_view id, int64_t timestamp,
                 std::string_view body);

}  // namespace hookline
