// Randomness as an injectable dependency (jitter, ids), with a scripted fake.
#pragma once

#include <cstdint>
#include <deque>
#include <mutex>

namespace hookline {

// Implementations are thread-safe.
class Random {
 public:
  virtual ~Random() = default;
  virtual uint64_t NextU64() = 0;
  // Uniform in [0, 1).
  virtual double NextDouble();
  // Uniform in [lo, hi).
  double Uniform(double lo, double hi) { return lo + (hi - lo) * NextDouble(); }
};

// Not for secrets (use SecureRandomBytes): a fast per-thread generator seeded
// from OpenSSL's CSPRNG, so no two processes or threads share a sequence.
class SystemRandom final : public Random {
 public:
  static SystemRandom& Get();
  uint64_t NextU64() override;
};

// Returns scripted values, then repeats the last one (or 0 / 0.5 when none).
class FakeRandom final : public Random {
 public:
  void PushU64(uint64_t v);
  // `d` in [0, 1).
  void PushDouble(double d);
  uint64_t NextU64() override;
  double NextDouble() override;

 private:
  std::mutex mu_;
  std::deque<uint64_t> u64s_;   // guarded by mu_
  std::deque<double> doubles_;  // guarded by mu_
  uint64_t last_u64_ = 0;       // guarded by mu_
  double last_double_ = 0.5;    // guarded by mu_
};

}  // namespace hookline
