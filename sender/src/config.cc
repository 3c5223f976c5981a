#include "config.h"

#include <CLI/CLI.hpp>
#include <charconv>
#include <cstdlib>

#include "hookline/secret.h"
#include "hookline/url.h"

namespace hookline::sender {

Result<size_t> ParseSize(std::string_view text) {
  size_t n = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || p == text.data()) {
    return Status::InvalidArgument("size '" + std::string(text) +
                                   "' must be a whole number of bytes");
  }
  std::string_view unit(p, static_cast<size_t>(text.data() + text.size() - p));
  size_t scale = 1;
  if (unit == "KiB")
    scale = 1024;
  else if (unit == "MiB")
    scale = 1024 * 1024;
  else if (!unit.empty()) {
    return Status::InvalidArgument("size '" + std::string(text) + "': unit must be KiB or MiB");
  }
  if (n == 0 || n > (256u << 20) / scale) {
    return Status::InvalidArgument("size '" + std::string(text) + "' must be 1 byte .. 256MiB");
  }
  return n * scale;
}

namespace {

Status ParseListen(const std::string& text, Config& c) {
  size_t colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0) {
    return Status::InvalidArgument("--listen '" + text +
                                   "' must be HOST:PORT, e.g. 127.0.0.1:8080");
  }
  std::string host = text.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  int port = -1;
  std::string_view p(text.data() + colon + 1, text.size() - colon - 1);
  auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), port);
  if (ec != std::errc() || end != p.data() + p.size() || port < 0 || port > 65535) {
    return Status::InvalidArgument("--listen '" + text +
                                   "': port must be 0..65535 (0 = any free port)");
  }
  c.listen_host = host;
  c.listen_port = port;
  return Status::Ok();
}

// Retention and auto-disable periods may be long; delays stop at 30 days.
constexpr std::chrono::milliseconds kMaxHistoryDuration{10LL * 365 * 24 * 3600 * 1000};

Status ParseDurationFlag(const std::string& flag, const std::string& text,
                         std::chrono::milliseconds& out, std::chrono::milliseconds min,
                         std::chrono::milliseconds max = kMaxRetryDuration) {
  auto d = ParseDuration(text, max);
  if (!d.ok()) return Status::InvalidArgument(flag + ": " + d.status().message());
  if (*d < min) {
    return Status::InvalidArgument(flag + " must be at least " + FormatDuration(min));
  }
  out = *d;
  return Status::Ok();
}

}  // namespace

Result<Config> ParseConfig(int argc, char** argv) {
  Config c;
  CLI::App app{
      "hookd: the hookline webhook sender. Stores events durably in SQLite and delivers "
      "them, signed per Standard Webhooks, with retries."};
  app.get_formatter()->column_width(34);
  // As with most daemons, a flag given twice takes its last value (wrappers append overrides).
  app.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  std::string listen = "127.0.0.1:8080", timeout = "15s", connect_timeout = "5s";
  std::string schedule = RetrySchedule::Default().ToString(), max_retry_after = "1h";
  std::string grace = "10s", max_body = "1MiB", synchronous = "full", busy = "5s";
  double jitter = 0.2;
  app.add_option("--listen", listen, "HOST:PORT for the API (port 0 picks a free one)")
      ->capture_default_str();
  app.add_option("--db", c.db_path, "SQLite database file (created if missing)")
      ->capture_default_str();
  app.add_option("--api-token", c.api_token,
                 "Bearer token for the API [env HOOKLINE_API_TOKEN; default: generated into "
                 "<db>.token on first start]");
  app.add_option("--api-threads", c.api_threads, "HTTP API threads (one per keep-alive connection)")
      ->capture_default_str()
      ->check(CLI::Range(1, 1024));
  app.add_option("--max-body", max_body, "Largest accepted request body (bytes, KiB or MiB)")
      ->capture_default_str();
  app.add_option("--workers", c.workers, "Delivery worker threads")
      ->capture_default_str()
      ->check(CLI::Range(1, 512));
  app.add_option(
         "--timeout", timeout,
         "Time an endpoint has to accept each attempt and to answer it (socket read/write timeout)")
      ->capture_default_str();
  app.add_option("--connect-timeout", connect_timeout, "Time allowed to connect to an endpoint")
      ->capture_default_str();
  app.add_option("--retry-schedule", schedule, "Delays between attempts, e.g. 5s,5m,30m")
      ->capture_default_str();
  app.add_option("--retry-jitter", jitter, "Each delay is scaled by a random factor in [1-j, 1+j]")
      ->capture_default_str();
  app.add_option("--max-retry-after", max_retry_after,
                 "Cap on a receiver's Retry-After (429/503) that delays the next attempt")
      ->capture_default_str();
  app.add_option("--shutdown-grace", grace,
                 "On SIGTERM/SIGINT, time for in-flight attempts to finish")
      ->capture_default_str();
  app.add_option("--synchronous", synchronous,
                 "SQLite synchronous mode: full (survives power loss) or normal")
      ->capture_default_str()
      ->check(CLI::IsMember({"full", "normal"}));
  app.add_option("--db-busy-timeout", busy,
                 "How long a write waits for a locked database before the API answers 503")
      ->capture_default_str();
  app.add_option("--log-level", c.log_level, "trace, debug, info, warn, error")
      ->capture_default_str()
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error"}));
  std::string breaker_cooldown = "30s", auto_disable = "5d", rotation_grace = "24h";
  std::string retention = "30d", failed_retention = "90d";
  app.add_option("--endpoint-max-in-flight", c.endpoint_max_in_flight,
                 "Concurrent attempts per endpoint unless the endpoint sets max_in_flight")
      ->capture_default_str()
      ->check(CLI::Range(1, 1024));
  app.add_option("--breaker-threshold", c.breaker_threshold,
                 "Consecutive failed attempts that open an endpoint's circuit breaker (0 = never)")
      ->capture_default_str()
      ->check(CLI::Range(0, 1000000));
  app.add_option("--breaker-cooldown", breaker_cooldown,
                 "How long an open breaker holds an endpoint's deliveries before one probe")
      ->capture_default_str();
  app.add_option("--auto-disable-after", auto_disable,
                 "Disable an endpoint whose every attempt failed for this long (0 = never)")
      ->capture_default_str();
  app.add_option("--rotation-grace", rotation_grace,
                 "After a secret rotation, how long the old secret keeps signing too")
      ->capture_default_str();
  app.add_option("--retention", retention,
                 "Keep succeeded deliveries, their attempts and their events this long")
      ->capture_default_str();
  app.add_option("--failed-retention", failed_retention,
                 "Keep failed deliveries (waiting for an operator) this long")
      ->capture_default_str();
  app.add_flag("--allow-private-networks", c.allow_private_networks,
               "Allow endpoints on loopback, private, link-local and metadata addresses "
               "(local development only; off, hookd refuses them at creation and at connect)");
  app.add_option("--api-rate-limit", c.api_rate_limit,
                 "API requests per second per token (per address without one); 0 = no limit")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1e9));
  app.add_option("--api-burst", c.api_burst, "API requests a token may make at once")
      ->capture_default_str()
      ->check(CLI::Range(1.0, 1e9));
  std::string stall_after = "60s";
  app.add_option("--log-format", c.log_format, "text (for people) or json (one object per line)")
      ->capture_default_str()
      ->check(CLI::IsMember({"text", "json"}));
  app.add_option("--stall-after", stall_after,
                 "/readyz fails (503) when due deliveries wait this long with no attempt "
                 "started, or a database write waits this long for its commit")
      ->capture_default_str();
  app.add_option("--metrics", c.metrics,
                 "GET /metrics (Prometheus): public (no token), token (bearer token), or off")
      ->capture_default_str()
      ->check(CLI::IsMember({"public", "token", "off"}));
  app.add_option("--ops-endpoint", c.ops_endpoint,
                 "URL that receives operational webhooks: endpoint.disabled, delivery.failed, "
                 "endpoint.recovered (signed; read its secret with GET "
                 "/v1/endpoints/<id>/secret)");
  app.add_option("--ops-secret", c.ops_secret,
                 "whsec_... secret that signs operational webhooks [env HOOKLINE_OPS_SECRET; "
                 "default: generated once and kept in the database]");
  // A subcommand, not a flag, because it does something else than serve; it
  // takes --db after it too, so `hookd backup PATH --db FILE` reads naturally.
  CLI::App* backup = app.add_subcommand(
      "backup", "Copy the database to PATH (online: hookd may be running) and exit");
  backup->add_option("PATH", c.backup_path, "Where to write the copy")->required();
  backup->add_option("--db", c.db_path, "SQLite database file to copy")->capture_default_str();
  backup->add_flag("--overwrite", c.backup_overwrite, "Replace PATH if it exists");
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    std::cout << app.help();
    return Status::FailedPrecondition("");
  } catch (const CLI::ParseError& e) {
    return Status::InvalidArgument(e.what());
  }
  c.backup = backup->parsed();
  if (c.backup && c.backup_path.empty()) {
    return Status::InvalidArgument("backup: PATH must not be empty");
  }
  HOOKLINE_RETURN_IF_ERROR(ParseListen(listen, c));
  HOOKLINE_RETURN_IF_ERROR(
      ParseDurationFlag("--timeout", timeout, c.timeout, std::chrono::milliseconds(10)));
  HOOKLINE_RETURN_IF_ERROR(ParseDurationFlag("--connect-timeout", connect_timeout,
                                             c.connect_timeout, std::chrono::milliseconds(10)));
  HOOKLINE_RETURN_IF_ERROR(ParseDurationFlag("--max-retry-after", max_retry_after,
                                             c.max_retry_after, std::chrono::milliseconds(0)));
  HOOKLINE_RETURN_IF_ERROR(
      ParseDurationFlag("--shutdown-grace", grace, c.shutdown_grace, std::chrono::milliseconds(0)));
  HOOKLINE_RETURN_IF_ERROR(ParseDurationFlag("--db-busy-timeout", busy, c.db_busy_timeout,
                                             std::chrono::milliseconds(0)));
  HOOKLINE_RETURN_IF_ERROR(ParseDurationFlag("--breaker-cooldown", breaker_cooldown,
                                             c.breaker_cooldown, std::chrono::milliseconds(1)));
  HOOKLINE_RETURN_IF_ERROR(ParseDurationFlag("--auto-disable-after", auto_disable,
                                             c.auto_disable_after, std::chrono::milliseconds(0),
                                             kMaxHistoryDuration));
  HOOKLINE_RETURN_IF_ERROR(ParseDurationFlag("--rotation-grace", rotation_grace, c.rotation_grace,
                                             std::chrono::milliseconds(0)));
  HOOKLINE_RETURN_IF_ERROR(ParseDurationFlag("--retention", retention, c.retention,
                                             std::chrono::milliseconds(1000), kMaxHistoryDuration));
  HOOKLINE_RETURN_IF_ERROR(ParseDurationFlag("--failed-retention", failed_retention,
                                             c.failed_retention, std::chrono::milliseconds(1000),
                                             kMaxHistoryDuration));
  HOOKLINE_RETURN_IF_ERROR(ParseDurationFlag("--stall-after", stall_after, c.stall_after,
                                             std::chrono::milliseconds(100)));
  auto sched = RetrySchedule::Parse(schedule, jitter);
  if (!sched.ok())
    return Status::InvalidArgument("--retry-schedule/--retry-jitter: " + sched.status().message());
  c.schedule = std::move(sched).value();
  auto size = ParseSize(max_body);
  if (!size.ok()) return Status::InvalidArgument("--max-body: " + size.status().message());
  c.max_body = *size;
  c.synchronous_full = synchronous == "full";
  if (c.api_token.empty()) {
    if (const char* env = std::getenv("HOOKLINE_API_TOKEN")) c.api_token = env;
  }
  if (!c.ops_secret.empty() && c.ops_endpoint.empty()) {
    return Status::InvalidArgument("--ops-secret needs --ops-endpoint");
  }
  if (c.ops_secret.empty() && !c.ops_endpoint.empty()) {
    if (const char* env = std::getenv("HOOKLINE_OPS_SECRET")) c.ops_secret = env;
  }
  if (!c.ops_endpoint.empty()) {
    if (auto url = ParseUrl(c.ops_endpoint); !url.ok()) {
      return Status::InvalidArgument("--ops-endpoint: " + url.status().message());
    }
  }
  if (!c.ops_secret.empty()) {
    // The message never repeats the value: it is a secret.
    if (auto secret = Secret::Parse(c.ops_secret); !secret.ok()) {
      return Status::InvalidArgument("--ops-secret/HOOKLINE_OPS_SECRET: " +
                                     secret.status().message());
    }
  }
  return c;
}

}  // namespace hookline::sender
