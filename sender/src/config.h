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
  // Per-endpoint resilience (see endpoint_gate.h) and history.
  int endpoint_max_in_flight = 4;
  int breaker_threshold = 20;
  std::chrono::milliseconds breaker_cooldown{30000};
  std::chrono::milliseconds auto_disable_after{5LL * 24 * 3600 * 1000};
  std::chrono::milliseconds rotation_grace{24LL * 3600 * 1000};
  std::chrono::milliseconds retention{30LL * 24 * 3600 * 1000};
  std::chrono::milliseconds failed_retention{90LL * 24 * 3600 * 1000};
  bool allow_private_networks = false;  // SSRF guard off (local development, tests)
  double api_rate_limit = 10000;        // API requests/s per token (or address); 0 = off
  double api_burst = 20000;             // API requests at once per token (or address)
  std::string log_format = "text";      // text | json
  // /readyz fails when due work has waited this long with no attempt started,
  // or a write this long without a commit.
  std::chrono::milliseconds stall_after{60000};
  std::string metrics = "public";  // GET /metrics: public | token | off
  // Operational webhooks (ops_notices.h): "" = none. The secret signs them;
  // "" = from HOOKLINE_OPS_SECRET, else the stored one (generated at first).
  std::string ops_endpoint;
  std::string ops_secret;
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
