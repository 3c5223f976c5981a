#include "hookline/clock.h"

#include <cstdio>
#include <ctime>
#include <string>

namespace hookline {

int64_t Clock::NowUnixSeconds() const { return NowUnixMillis() / 1000; }
int64_t Clock::NowUnixMillis() const { return ToUnixMillis(Now()); }

SystemClock& SystemClock::Get() {
  static SystemClock clock;
  return clock;
}

namespace {
constexpr int64_t kDefaultFakeStartNanos = 1767225600LL * 1'000'000'000LL;  // 2026-01-01Z
}

FakeClock::FakeClock() : nanos_(kDefaultFakeStartNanos) {}
FakeClock::FakeClock(TimePoint start)
    : nanos_(
          std::chrono::duration_cast<std::chrono::nanoseconds>(start.time_since_epoch()).count()) {}

TimePoint FakeClock::Now() const {
  return TimePoint(std::chrono::duration_cast<TimePoint::duration>(
      std::chrono::nanoseconds(nanos_.load(std::memory_order_acquire))));
}

void FakeClock::Set(TimePoint t) {
  nanos_.store(std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count(),
               std::memory_order_release);
}

void FakeClock::Advance(std::chrono::nanoseconds d) {
  nanos_.fetch_add(d.count(), std::memory_order_acq_rel);
}

void FakeClock::SetUnixSeconds(int64_t s) { nanos_.store(s * 1'000'000'000LL); }

int64_t ToUnixMillis(TimePoint t) {
  return std::chrono::duration_cast<Millis>(t.time_since_epoch()).count();
}

TimePoint FromUnixMillis(int64_t ms) { return TimePoint(Millis(ms)); }

std::string FormatRfc3339(TimePoint t) {
  int64_t ms = ToUnixMillis(t);
  int64_t secs = ms >= 0 ? ms / 1000 : (ms - 999) / 1000;
  int millis = static_cast<int>(ms - secs * 1000);
  std::time_t tt = static_cast<std::time_t>(secs);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, millis);
  return buf;
}

}  // namespace hookline
