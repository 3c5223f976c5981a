// Starts a real binary as a child process for integration tests.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

namespace hookline::testing {

// The child's stdout is read until it prints "listening on http://HOST:PORT";
// its stderr goes to `log_path` (printed by Describe() when a test fails).
// The destructor kills the child (SIGKILL) if it is still running.
class ChildProcess {
 public:
  ChildProcess(std::vector<std::string> argv, std::string log_path);
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  // Waits for the "listening on" line; returns the port, or -1 on timeout or exit.
  int WaitListening(std::chrono::milliseconds timeout = std::chrono::seconds(10));
  int port() const { return port_; }
  pid_t pid() const { return pid_; }

  void Signal(int sig);
  // Waits for exit; returns the exit code, 128+signal if killed, or -1 on timeout.
  int Wait(std::chrono::milliseconds timeout = std::chrono::seconds(20));
  bool running();
  // The stderr log so far (for failure messages).
  std::string Log() const;

 private:
  pid_t pid_ = -1;
  int stdout_fd_ = -1;
  int port_ = -1;
  int exit_code_ = -1;
  std::string log_path_;
  std::string stdout_buffer_;
};

// Polls `cond` every 10 ms until it holds or `timeout` passes.
template <typename F>
bool Eventually(F cond, std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (cond()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return cond();
}

}  // namespace hookline::testing
