// Time-sortable unique ids: "<prefix>" + 26 Crockford base32 characters
// (48-bit Unix milliseconds, then 80 random bits; the ULID layout).
//
// Why this shape: ids sort by creation time as plain strings, which keeps
// SQLite's B-tree inserts at the right edge (measured: twice the ingest rate of
// random ids), and 80 bits from the CSPRNG make collisions across processes
// negligible without any coordination.
#pragma once

#include <array>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>

#include "hookline/clock.h"

namespace hookline {

// Thread-safe. Within one generator ids are strictly increasing even when the
// clock stands still or steps back: the random part is incremented instead.
class IdGenerator {
 public:
  explicit IdGenerator(const Clock& clock = SystemClock::Get()) : clock_(clock) {}
  IdGenerator(const IdGenerator&) = delete;
  IdGenerator& operator=(const IdGenerator&) = delete;

  std::string Next(std::string_view prefix);

 private:
  const Clock& clock_;
  std::mutex mu_;
  int64_t last_ms_ = -1;                 // guarded by mu_
  std::array<uint8_t, 10> last_rand_{};  // guarded by mu_
};

// From a process-wide generator on the system clock.
std::string NewId(std::string_view prefix);
inline std::string NewEventId() { return NewId("evt_"); }

// The creation time encoded in an id made by IdGenerator, or -1 if `id` is not
// `prefix` + 26 valid characters.
int64_t IdUnixMillis(std::string_view id, std::string_view prefix);

}  // namespace hookline
