#include "hookline/crypto.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include <stdexcept>

namespace hookline {
namespace {

struct MacDeleter {
  void operator()(EVP_MAC* m) const { EVP_MAC_free(m); }
};

// Fetching the algorithm walks OpenSSL's provider tables; do it once per process.
EVP_MAC* HmacAlgorithm() {
  static std::unique_ptr<EVP_MAC, MacDeleter> mac(EVP_MAC_fetch(nullptr, "HMAC", nullptr));
  if (!mac) throw std::runtime_error("OpenSSL: HMAC is not available");
  return mac.get();
}

}  // namespace

struct HmacSha256::Impl {
  EVP_MAC_CTX* prototype = nullptr;
  ~Impl() { EVP_MAC_CTX_free(prototype); }
};

HmacSha256::HmacSha256(std::string_view key) : impl_(std::make_unique<Impl>()) {
  impl_->prototype = EVP_MAC_CTX_new(HmacAlgorithm());
  if (impl_->prototype == nullptr) throw std::runtime_error("OpenSSL: EVP_MAC_CTX_new failed");
  char digest[] = "SHA256";
  OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                         OSSL_PARAM_construct_end()};
  // An empty key is legal HMAC; OpenSSL wants a non-null pointer for it.
  static const unsigned char kEmpty = 0;
  const auto* key_bytes =
      key.empty() ? &kEmpty : reinterpret_cast<const unsigned char*>(key.data());
  if (EVP_MAC_init(impl_->prototype, key_bytes, key.size(), params) != 1) {
    throw std::runtime_error("OpenSSL: HMAC-SHA256 init failed");
  }
}

HmacSha256::~HmacSha256() = default;
HmacSha256::HmacSha256(HmacSha256&&) noexcept = default;
HmacSha256& HmacSha256::operator=(HmacSha256&&) noexcept = default;

std::string HmacSha256::Compute(std::initializer_list<std::string_view> parts) const {
  // The prototype holds the keyed state; a duplicate carries it without redoing the key schedule.
  EVP_MAC_CTX* ctx = EVP_MAC_CTX_dup(impl_->prototype);
  if (ctx == nullptr) throw std::runtime_error("OpenSSL: EVP_MAC_CTX_dup failed");
  for (std::string_view p : parts) {
    EVP_MAC_update(ctx, reinterpret_cast<const unsigned char*>(p.data()), p.size());
  }
  std::string out(kDigestSize, '\0');
  size_t len = 0;
  int rc = EVP_MAC_final(ctx, reinterpret_cast<unsigned char*>(out.data()), &len, out.size());
  EVP_MAC_CTX_free(ctx);
  if (rc != 1 || len != kDigestSize) throw std::runtime_error("OpenSSL: HMAC final failed");
  return out;
}

std::string HmacSha256Once(std::string_view key, std::string_view message) {
  std::string out(HmacSha256::kDigestSize, '\0');
  unsigned int len = 0;
  static const unsigned char kEmpty = 0;
  const auto* msg =
      message.empty() ? &kEmpty : reinterpret_cast<const unsigned char*>(message.data());
  if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), msg, message.size(),
           reinterpret_cast<unsigned char*>(out.data()), &len) == nullptr) {
    throw std::runtime_error("OpenSSL: HMAC failed");
  }
  return out;
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string SecureRandomBytes(size_t n) {
  std::string out(n, '\0');
  if (n > 0 && RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)) != 1) {
    throw std::runtime_error("OpenSSL: RAND_bytes failed");
  }
  return out;
}

void SecureWipe(std::string& s) {
  if (!s.empty()) OPENSSL_cleanse(s.data(), s.size());
}

}  // namespace hookline
