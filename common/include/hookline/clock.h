// Time as an injectable dependency, so tests control it instead of sleeping.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

namespace hookline {

using TimePoint = std::chrono::system_clock::time_point;
using Millis = std::chrono::milliseconds;

// Wall-clock time. Implementations are thread-safe.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual TimePoint Now() const = 0;

  int64_t NowUnixSeconds() const;
  int64_t NowUnixMillis() const;
};

// The real clock. Use SystemClock::Get() rather than making copies.
class SystemClock final : public Clock {
 public:
  static SystemClock& Get();
  TimePoint Now() const override { return std::chrono::system_clock::now(); }
};

// A clock that moves only when told. Thread-safe.
class FakeClock final : public Clock {
 public:
  // Starts at 2026-01-01T00:00:00Z unless told otherwise.
  FakeClock();
  explicit FakeClock(TimePoint start);
  TimePoint Now() const override;
  void Set(TimePoint t);
  void Advance(std::chrono::nanoseconds d);
  void SetUnixSeconds(int64_t s);

 private:
  std::atomic<int64_t> nanos_;
};

int64_t ToUnixMillis(TimePoint t);
TimePoint FromUnixMillis(int64_t ms);
// RFC 3339 in UTC with milliseconds, e.g. "2026-01-01T00:00:00.000Z".
std::string FormatRfc3339(TimePoint t);

}  // namespace hookline
