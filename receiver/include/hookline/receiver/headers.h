// A framework-neutral view of HTTP request headers, so the verifiers work with
// any server: fill a Headers from whatever your framework hands you.
#pragma once

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace hookline::receiver {

// An ordered list of (name, value) pairs. Names compare case-insensitively
// (ASCII), as HTTP requires. Copies what it is given; a const Headers is safe
// to read from many threads.
class Headers {
 public:
  Headers() = default;
  Headers(std::initializer_list<std::pair<std::string, std::string>> pairs) : pairs_(pairs) {}

  void Add(std::string name, std::string value) {
    pairs_.emplace_back(std::move(name), std::move(value));
  }
  void Reserve(size_t n) { pairs_.reserve(n); }

  // The value of the first header called `name` (any case), or nullopt if
  // there is none. The view is valid until this Headers is modified or dies.
  std::optional<std::string_view> Get(std::string_view name) const;

  const std::vector<std::pair<std::string, std::string>>& pairs() const { return pairs_; }

 private:
  std::vector<std::pair<std::string, std::string>> pairs_;
};

// ASCII case-insensitive equality, the comparison HTTP uses for header names.
bool EqualsIgnoreCase(std::string_view a, std::string_view b);

}  // namespace hookline::receiver
