#include "hookline/secret.h"

#include "hookline/crypto.h"
#include "hookline/encoding.h"

namespace hookline {

Result<Secret> Secret::Parse(std::string_view text) {
  if (text.substr(0, kPrefix.size()) == kPrefix) text.remove_prefix(kPrefix.size());
  if (text.empty()) return Status::InvalidArgument("secret is empty");
  auto bytes = Base64Decode(text);
  if (!bytes.ok()) {
    return Status::InvalidArgument("secret is not whsec_ followed by valid base64");
  }
  return FromBytes(std::move(bytes).value());
}

Result<Secret> Secret::FromBytes(std::string bytes) {
  if (bytes.size() < kMinBytes || bytes.size() > kMaxBytes) {
    size_t n = bytes.size();
    SecureWipe(bytes);
    return Status::InvalidArgument("secret must decode to " + std::to_string(kMinBytes) + ".." +
                                   std::to_string(kMaxBytes) + " bytes, got " + std::to_string(n));
  }
  return Secret(std::move(bytes));
}

Secret Secret::Generate() { return Secret(SecureRandomBytes(kGeneratedBytes)); }

Secret::~Secret() { SecureWipe(key_); }

std::string Secret::Reveal() const { return std::string(kPrefix) + Base64Encode(key_); }

bool operator==(const Secret& a, const Secret& b) { return ConstantTimeEquals(a.key_, b.key_); }

}  // namespace hookline
