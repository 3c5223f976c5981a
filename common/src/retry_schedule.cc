#include "hookline/retry_schedule.h"

#include <charconv>
#include <cmath>

namespace hookline {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

Result<std::chrono::milliseconds> ParseDuration(std::string_view text,
                                                std::chrono::milliseconds max) {
  std::string_view s = Trim(text);
  size_t digits = 0;
  while (digits < s.size() && s[digits] >= '0' && s[digits] <= '9') ++digits;
  if (digits == 0) {
    return Status::InvalidArgument("duration '" + std::string(text) +
                                   "' must start with a whole number, e.g. 5s or 250ms");
  }
  int64_t n = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + digits, n);
  if (ec != std::errc() || ptr != s.data() + digits) {
    return Status::InvalidArgument("duration '" + std::string(text) + "' is too large");
  }
  std::string_view unit = s.substr(digits);
  int64_t scale;
  if (unit == "ms")
    scale = 1;
  else if (unit == "s")
    scale = 1000;
  else if (unit == "m")
    scale = 60'000;
  else if (unit == "h")
    scale = 3'600'000;
  else if (unit == "d")
    scale = 86'400'000;
  else {
    return Status::InvalidArgument("duration '" + std::string(text) +
                                   "' needs a unit: ms, s, m, h or d");
  }
  if (n > max.count() / scale) {
    return Status::InvalidArgument("duration '" + std::string(text) + "' exceeds " +
                                   FormatDuration(max));
  }
  return std::chrono::milliseconds(n * scale);
}

std::string FormatDuration(std::chrono::milliseconds d) {
  int64_t ms = d.count();
  struct Unit {
    int64_t scale;
    const char* name;
  };
  static constexpr Unit kUnits[] = {
      {86'400'000, "d"}, {3'600'000, "h"}, {60'000, "m"}, {1000, "s"}};
  if (ms != 0) {
    for (const Unit& u : kUnits) {
      if (ms % u.scale == 0) return std::to_string(ms / u.scale) + u.name;
    }
  }
  return std::to_string(ms) + "ms";
}

Result<RetrySchedule> RetrySchedule::Parse(std::string_view spec, double jitter) {
  if (!(jitter >= 0.0 && jitter < 1.0)) {
    return Status::InvalidArgument("retry jitter must be in [0, 1), got " + std::to_string(jitter));
  }
  if (Trim(spec).empty()) return Status::InvalidArgument("retry schedule is empty");
  std::vector<std::chrono::milliseconds> delays;
  size_t start = 0;
  while (start <= spec.size()) {
    size_t comma = spec.find(',', start);
    std::string_view item =
        spec.substr(start, comma == std::string_view::npos ? spec.npos : comma - start);
    if (Trim(item).empty()) {
      return Status::InvalidArgument("retry schedule '" + std::string(spec) +
                                     "' has an empty entry");
    }
    auto d = ParseDuration(item);
    if (!d.ok()) return Status::InvalidArgument("retry schedule: " + d.status().message());
    delays.push_back(*d);
    if (delays.size() > kMaxSteps) {
      return Status::InvalidArgument("retry schedule has more than " + std::to_string(kMaxSteps) +
                                     " steps");
    }
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return RetrySchedule(std::move(delays), jitter);
}

RetrySchedule RetrySchedule::Default() {
  using namespace std::chrono_literals;
  return RetrySchedule({5s, 5min, 30min, 2h, 5h, 10h, 10h}, 0.2);
}

std::optional<std::chrono::milliseconds> RetrySchedule::NextDelay(int attempts_made,
                                                                  Random& random) const {
  if (attempts_made < 1 || attempts_made > static_cast<int>(delays_.size())) return std::nullopt;
  double base = static_cast<double>(delays_[static_cast<size_t>(attempts_made - 1)].count());
  double factor = jitter_ > 0 ? random.Uniform(1.0 - jitter_, 1.0 + jitter_) : 1.0;
  return std::chrono::milliseconds(static_cast<int64_t>(std::llround(base * factor)));
}

std::string RetrySchedule::ToString() const {
  std::string out;
  for (size_t i = 0; i < delays_.size(); ++i) {
    if (i > 0) out += ',';
    out += FormatDuration(delays_[i]);
  }
  return out;
}

}  // namespace hookline
