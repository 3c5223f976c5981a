// Flags, checks and timing shared by the soak programs (crash_soak,
// chaos_soak). They are plain programs rather than Catch2 tests because they
// take parameters (kills, clients, a duration cap) and print one summary; the
// exit status is 0 only if every check held.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

namespace hookline::soak {

// "--name value" pairs over defaults; anything else is a usage error.
class Flags {
 public:
  Flags(std::map<std::string, std::string> defaults) : values_(std::move(defaults)) {}

  // False (after printing why and the usage) on an unknown flag or a missing value.
  bool Parse(int argc, char** argv) {
    for (int i = 1; i < argc; ++i) {
      std::string name = argv[i];
      if (name == "--help" || name.rfind("--", 0) != 0 || !values_.count(name.substr(2)) ||
          i + 1 >= argc) {
        if (name != "--help") std::fprintf(stderr, "%s: bad argument '%s'\n", argv[0], argv[i]);
        std::fprintf(stderr, "usage: %s", argv[0]);
        for (const auto& [k, v] : values_) std::fprintf(stderr, " [--%s %s]", k.c_str(), v.c_str());
        std::fprintf(stderr, "\n");
        return false;
      }
      values_[name.substr(2)] = argv[++i];
    }
    return true;
  }
  std::string Str(const std::string& name) const { return values_.at(name); }
  long Int(const std::string& name) const {
    return std::strtol(values_.at(name).c_str(), nullptr, 10);
  }
  double Num(const std::string& name) const {
    return std::strtod(values_.at(name).c_str(), nullptr);
  }

 private:
  std::map<std::string, std::string> values_;
};

// Counts failed checks; each failure is printed when it happens.
class Checks {
 public:
  void Expect(bool ok, const std::string& what) {
    if (ok) return;
    ++failures_;
    std::printf("FAILED: %s\n", what.c_str());
    std::fflush(stdout);
  }
  int failures() const { return failures_; }

 private:
  int failures_ = 0;
};

// Seconds since `start`, for log lines.
inline double Since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// The q-quantile (0..1) of `v` by nearest rank; 0 if empty.
inline double Quantile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t i = static_cast<size_t>(q * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

}  // namespace hookline::soak
