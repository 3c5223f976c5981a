// ParseDuration and RetrySchedule::Parse on arbitrary text (hookd's
// --retry-schedule and the config file).
#include <charconv>
#include <cmath>
#include <cstdint>
#include <string>

#include "fuzz_check.h"
#include "hookline/random.h"
#include "hookline/retry_schedule.h"

using namespace hookline;
using std::chrono::milliseconds;

namespace {

constexpr milliseconds kThirtyDays{30LL * 24 * 3600 * 1000};

void CheckDuration(std::string_view text) {
  auto d = ParseDuration(text);
  if (!d.ok()) {
    FUZZ_CHECK(d.status().code() == StatusCode::kInvalidArgument);
    return;
  }
  FUZZ_CHECK(d->count() >= 0 && *d <= kThirtyDays);
  std::string shown = FormatDuration(*d);
  auto again = ParseDuration(shown);
  FUZZ_CHECK(again.ok() && *again == *d);
  FUZZ_CHECK(FormatDuration(*again) == shown);
}

}  // namespace

// Input: the schedule on the first line; the jitter, as a decimal number, on
// the second (0.2 when absent or not a number; any double is passed on,
// including the invalid ones, negative, >= 1 or NaN).
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in = fuzz::AsText(data, size);
  std::string_view text = fuzz::TakeLine(in);
  std::string_view jitter_text = fuzz::TakeLine(in);
  double jitter = 0.2;
  std::from_chars(jitter_text.data(), jitter_text.data() + jitter_text.size(), jitter);

  CheckDuration(text);
  for (size_t start = 0, comma = 0; comma != std::string_view::npos; start = comma + 1) {
    comma = text.find(',', start);
    CheckDuration(text.substr(start, comma == std::string_view::npos ? comma : comma - start));
  }

  auto schedule = RetrySchedule::Parse(text, jitter);
  if (!schedule.ok()) {
    FUZZ_CHECK(schedule.status().code() == StatusCode::kInvalidArgument);
    return 0;
  }
  FUZZ_CHECK(jitter >= 0.0 && jitter < 1.0);
  const auto& delays = schedule->delays();
  FUZZ_CHECK(!delays.empty() && delays.size() <= RetrySchedule::kMaxSteps);
  FUZZ_CHECK(schedule->max_attempts() == static_cast<int>(delays.size()) + 1);
  for (milliseconds d : delays) FUZZ_CHECK(d.count() >= 0 && d <= kThirtyDays);

  // The canonical text parses back to the same schedule.
  auto again = RetrySchedule::Parse(schedule->ToString(), jitter);
  FUZZ_CHECK(again.ok() && again->delays() == delays && again->ToString() == schedule->ToString());

  // Jittered delays stay within [1-j, 1+j] of the base (plus rounding), at the
  // extremes of the random source too, and attempts past the schedule end.
  for (double u : {0.0, 0.5, 0.999999999}) {
    FakeRandom random;
    random.PushDouble(u);
    for (int attempt = 1; attempt <= schedule->max_attempts() - 1; ++attempt) {
      auto next = schedule->NextDelay(attempt, random);
      FUZZ_CHECK(next.has_value());
      double base = static_cast<double>(delays[static_cast<size_t>(attempt - 1)].count());
      FUZZ_CHECK(next->count() >= std::floor(base * (1 - jitter)));
      FUZZ_CHECK(next->count() <= std::ceil(base * (1 + jitter)));
    }
    FUZZ_CHECK(!schedule->NextDelay(0, random).has_value());
    FUZZ_CHECK(!schedule->NextDelay(schedule->max_attempts(), random).has_value());
  }
  return 0;
}
