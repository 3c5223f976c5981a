#include "hookline/random.h"

#include <cstring>
#include <random>

#include "hookline/crypto.h"

namespace hookline {

double Random::NextDouble() {
  // The top 53 bits fill a double's mantissa exactly.
  return static_cast<double>(NextU64() >> 11) * 0x1.0p-53;
}

SystemRandom& SystemRandom::Get() {
  static SystemRandom r;
  return r;
}

uint64_t SystemRandom::NextU64() {
  thread_local std::mt19937_64 engine = [] {
    std::string seed = SecureRandomBytes(sizeof(uint64_t));
    uint64_t s;
    std::memcpy(&s, seed.data(), sizeof(s));
    return std::mt19937_64(s);
  }();
  return engine();
}

void FakeRandom::PushU64(uint64_t v) {
  std::lock_guard lock(mu_);
  u64s_.push_back(v);
}

void FakeRandom::PushDouble(double d) {
  std::lock_guard lock(mu_);
  doubles_.push_back(d);
}

uint64_t FakeRandom::NextU64() {
  std::lock_guard lock(mu_);
  if (!u64s_.empty()) {
    last_u64_ = u64s_.front();
    u64s_.pop_front();
  }
  return last_u64_;
}

double FakeRandom::NextDouble() {
  std::lock_guard lock(mu_);
  if (!doubles_.empty()) {
    last_double_ = doubles_.front();
    doubles_.pop_front();
  }
  return last_double_;
}

}  // namespace hookline
