// hookd's configuration: flags, their defaults, and validation.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>

#include "hookline/retry_schedule.h"
#include "hookline/status.h"

namespace hookline::sender {

struct Config {
  std::string listen_host = "127.0.0.1";
  int listen_port = 8080;
  std::string db_path = "./hookline.db";
  std::string api_token;  // "" = from HOOKLINE_API_TOKEN, else <db>.token
  int api_threads = 32;
  size_t max_body = 1 << 20;
  int workers = 8;
  std::chrono::milliseconds timeout{15000};
  std::chrono::milliseconds connect_timeout{5000};
  RetrySchedule schedule = RetrySchedule::Default();
  std::chrono::milliseconds max_retry_after{3600 * 1000};
  std::chrono::milliseconds shutdown_grace{10000};
  bool synchronous_full = true;
  std::chrono::milliseconds db_busy_timeout{5000};
  std::string log_level = "info";
  // `hookd backup PATH [--overwrite]`: copy the database at db_path to PATH and exit.
  bool backup = false;
  std::string backup_path;
  bool backup_overwrite = false;
};

// Parses argv. On --help, prints usage and returns FailedPrecondition with an
// empty message (exit 0); on a bad flag or value, InvalidArgument with one line
// that names it.
Result<Config> ParseConfig(int argc, char** argv);

// "1048576", "512KiB", "1MiB" -> bytes.
Result<size_t> ParseSize(std::string_view text);

}  // namespace hookline::sender
