// How a hookctl command ends: the exit code an operator or a script sees, and
// one line saying what went wrong and what to do.
//
// Expected failures (hookd down, a 404, a bad flag) travel as values; nothing
// in hookctl throws for them. Copyable and movable; not shared between threads.
#pragma once

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace hookline::ctl {

// The process exit codes, documented in `hookctl --help` and the README.
enum class ExitCode : int {
  kOk = 0,
  kRefused = 1,      // hookd refused the request: 400, 409, other 4xx
  kUsage = 2,        // bad flags or arguments; nothing was sent
  kNotFound = 3,     // 404: no such endpoint, event or delivery
  kAuth = 4,         // 401: the token is missing or wrong
  kUnavailable = 5,  // hookd unreachable, timed out, or answered 5xx
};

class [[nodiscard]] Failure {
 public:
  Failure(ExitCode code, std::string message) : code_(code), message_(std::move(message)) {
    assert(code != ExitCode::kOk);
  }
  static Failure Refused(std::string m) { return {ExitCode::kRefused, std::move(m)}; }
  static Failure Usage(std::string m) { return {ExitCode::kUsage, std::move(m)}; }
  static Failure NotFound(std::string m) { return {ExitCode::kNotFound, std::move(m)}; }
  static Failure Auth(std::string m) { return {ExitCode::kAuth, std::move(m)}; }
  static Failure Unavailable(std::string m) { return {ExitCode::kUnavailable, std::move(m)}; }

  ExitCode code() const { return code_; }
  // One line without the "hookctl: " prefix, e.g. "no delivery with id 'dlv_x'".
  const std::string& message() const { return message_; }

 private:
  ExitCode code_;
  std::string message_;
};

// Either a value or a Failure. value() of a failed Outcome is a programming
// error (asserted in debug builds).
template <typename T>
class [[nodiscard]] Outcome {
 public:
  Outcome(T value) : v_(std::move(value)) {}            // NOLINT: implicit by design
  Outcome(Failure failure) : v_(std::move(failure)) {}  // NOLINT: implicit by design

  bool ok() const { return std::holds_alternative<T>(v_); }
  const Failure& failure() const {
    assert(!ok());
    return std::get<Failure>(v_);
  }
  T& value() & {
    assert(ok());
    return std::get<T>(v_);
  }
  const T& value() const& {
    assert(ok());
    return std::get<T>(v_);
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Failure> v_;
};

// What a command returns: nothing on success.
struct Done {};
using CommandOutcome = Outcome<Done>;

}  // namespace hookline::ctl
