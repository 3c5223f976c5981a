// Helpers shared by the libFuzzer targets in this directory.
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

// An invariant of the code under test. libFuzzer treats the abort as a crash
// and saves the input, so a broken invariant fails scripts/fuzz like a memory
// error would. (assert() is not used: NDEBUG builds would drop the check.)
#define FUZZ_CHECK(cond)                                                                \
  do {                                                                                  \
    if (!(cond)) {                                                                      \
      std::fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                     \
    }                                                                                   \
  } while (0)

namespace hookline::fuzz {

inline std::string_view AsText(const uint8_t* data, size_t size) {
  return std::string_view(reinterpret_cast<const char*>(data), size);
}

// Removes and returns everything up to the first '\n' (all of `in` when there
// is none), so that seed files can give one field per line.
inline std::string_view TakeLine(std::string_view& in) {
  size_t nl = in.find('\n');
  std::string_view line = in.substr(0, nl);
  in.remove_prefix(nl == std::string_view::npos ? in.size() : nl + 1);
  return line;
}

}  // namespace hookline::fuzz
