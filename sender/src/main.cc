// hookd: the hookline webhook sender.
#include <signal.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <thread>

#include "api_server.h"
#include "config.h"
#include "dispatcher.h"
#include "hookd_metrics.h"
#include "hookline/db/backup.h"
#include "hookline/db/sqlite_outbox.h"
#include "hookline/net_guard.h"
#include "hookline/secret.h"
#include "hookline/url.h"
#include "http_sender.h"
#include "lock_file.h"
#include "logging.h"
#include "maintenance.h"
#include "stall_detector.h"
#include "token.h"

using namespace hookline;
using namespace hookline::sender;

namespace {

int Fail(const std::string& line) {
  std::cerr << "hookd: " << line << "\n";
  return 1;
}

// `hookd backup PATH`: takes no lock and starts no server, so it runs beside
// the hookd that serves the same database.
int RunBackup(const Config& c) {
  db::BackupOptions options;
  options.overwrite = c.backup_overwrite;
  auto report = db::BackupDatabase(c.db_path, c.backup_path, options);
  if (!report.ok()) {
    bool exists = report.status().code() == StatusCode::kAlreadyExists;
    return Fail("backup failed: " + report.status().message() +
                (exists ? " (pass --overwrite to replace it)" : ""));
  }
  std::printf(
      "backup of %s written to %s: %lld pages, %lld bytes, %d steps, %lld ms, integrity ok\n",
      c.db_path.c_str(), c.backup_path.c_str(), static_cast<long long>(report->pages),
      static_cast<long long>(report->bytes), report->steps,
      static_cast<long long>(report->elapsed.count()));
  return 0;
}

// Creates or updates the operations endpoint (or disables it when none is
// configured) and returns its id for the dispatcher; "" = no operational webhooks.
Result<std::string> ConfigureOperations(const Config& c, db::Outbox& outbox) {
  db::OperationsEndpointSpec spec;
  spec.url = c.ops_endpoint;
  spec.replace_secret = !c.ops_secret.empty();
  spec.secret = spec.replace_secret ? c.ops_secret : Secret::Generate().Reveal();
  spec.now = SystemClock::Get().NowUnixMillis();
  if (!spec.url.empty() && !c.allow_private_networks) {
    // The dispatcher's SSRF guard would refuse every notice: say so now, not
    // in the first notice's attempt hours later.
    auto url = ParseUrl(spec.url);
    if (!url.ok()) return Status::InvalidArgument("--ops-endpoint: " + url.status().message());
    auto checked = ResolvePublicAddress(SystemResolver(), url->host);
    if (checked.status().code() == StatusCode::kPermissionDenied) {
      return Status::InvalidArgument("--ops-endpoint host " + checked.status().message() +
                                     ", which the SSRF guard refuses; start hookd with "
                                     "--allow-private-networks to send operational webhooks "
                                     "to a private address");
    }
    if (!checked.ok()) {
      spdlog::warn("--ops-endpoint host {}; notices wait and retry until it resolves",
                   checked.status().message());
    }
  }
  auto ops = outbox.ConfigureOperationsEndpoint(spec);
  if (!ops.ok())
    return Status(ops.status().code(),
                  "cannot configure --ops-endpoint: " + ops.status().message());
  if (!*ops) return std::string();
  const db::Endpoint& e = **ops;
  if (spec.url.empty()) {
    spdlog::info("operations endpoint {} is disabled: {} (its waiting notices are kept)", e.id,
                 e.disabled_reason);
    return std::string();
  }
  if (e.disabled) {
    spdlog::warn(
        "operations endpoint {} is disabled ({}); notices wait until `hookctl endpoints enable "
        "{}`",
        e.id, e.disabled_reason, e.id);
  } else {
    spdlog::info(
        "operational webhooks go to {} (endpoint {}; read its signing secret with GET "
        "/v1/endpoints/{}/secret)",
        e.url, e.id, e.id);
  }
  return e.id;
}

}  // namespace

int main(int argc, char** argv) {
  auto config = ParseConfig(argc, argv);
  if (!config.ok()) {
    if (config.status().code() == StatusCode::kFailedPrecondition) return 0;  // --help
    return Fail(config.status().message() + " (see hookd --help)");
  }
  const Config& c = *config;
  if (c.backup) return RunBackup(c);
  // Logs go to stderr; stdout carries only the "listening on" line.
  if (Status logging = ConfigureLogging(c.log_format, c.log_level); !logging.ok())
    return Fail(logging.message());
  HookdMetrics metrics;

  // Signals are taken by one thread with sigwait, so no handler runs inside
  // library code; every thread started below inherits the mask.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  signal(SIGPIPE, SIG_IGN);
  // A file size limit (ulimit -f) is a full disk by another name: with SIGXFSZ
  // ignored the write fails with EFBIG, SQLite reports an I/O error and the API
  // answers 503 until the limit is raised, instead of the process dying.
  signal(SIGXFSZ, SIG_IGN);

  if (Status locked = LockDatabase(c.db_path); !locked.ok()) return Fail(locked.message());

  std::string token = c.api_token;
  if (token.empty()) {
    bool created = false;
    auto t = LoadOrCreateToken(c.db_path, created);
    if (!t.ok()) return Fail(t.status().message());
    token = *t;
    if (created) {
      spdlog::info(
          "generated an API token in {}.token (mode 0600); pass it as 'Authorization: "
          "Bearer <token>'",
          c.db_path);
    } else {
      spdlog::info("using the API token in {}.token", c.db_path);
    }
  }

  db::SqliteOutboxOptions db_options;
  db_options.synchronous_full = c.synchronous_full;
  db_options.busy_timeout_ms = static_cast<int>(c.db_busy_timeout.count());
  db_options.metrics = &metrics.registry();
  auto outbox = db::OpenSqliteOutbox(c.db_path, db_options);
  if (!outbox.ok())
    return Fail("cannot open database " + c.db_path + ": " + outbox.status().message());

  auto ops_endpoint = ConfigureOperations(c, **outbox);
  if (!ops_endpoint.ok()) return Fail(ops_endpoint.status().message());

  HttpSenderOptions http_options;
  http_options.timeout = c.timeout;
  http_options.connect_timeout = std::min(c.connect_timeout, c.timeout);
  http_options.allow_private_networks = c.allow_private_networks;
  auto http = NewHttplibSender(http_options);

  DispatcherOptions dispatch_options;
  dispatch_options.workers = c.workers;
  dispatch_options.schedule = c.schedule;
  dispatch_options.max_retry_after = c.max_retry_after;
  dispatch_options.gates.default_max_in_flight = c.endpoint_max_in_flight;
  dispatch_options.gates.breaker_threshold = c.breaker_threshold;
  dispatch_options.gates.breaker_cooldown = c.breaker_cooldown;
  dispatch_options.gates.auto_disable_after = c.auto_disable_after;
  dispatch_options.metrics = &metrics;
  dispatch_options.ops_endpoint_id = *ops_endpoint;
  // A claim may wait behind MaxOutstanding / workers attempts, each up to the timeout.
  size_t waits = Dispatcher::MaxOutstanding(dispatch_options) / static_cast<size_t>(c.workers) + 2;
  dispatch_options.lease = std::max(std::chrono::milliseconds(60000),
                                    c.timeout * static_cast<int64_t>(waits) + c.connect_timeout);
  Dispatcher dispatcher(**outbox, *http, SystemClock::Get(), SystemRandom::Get(), dispatch_options);

  ApiOptions api_options;
  api_options.token = token;
  api_options.max_body = c.max_body;
  api_options.threads = c.api_threads;
  api_options.rotation_grace = c.rotation_grace;
  api_options.breaker_threshold = c.breaker_threshold;
  api_options.allow_private_networks = c.allow_private_networks;
  api_options.rate_limit.rate_per_s = c.api_rate_limit;
  api_options.rate_limit.burst = c.api_burst;
  if (c.allow_private_networks) {
    spdlog::warn(
        "--allow-private-networks: the SSRF guard is off; endpoints may target "
        "loopback, private and metadata addresses");
  }
  metrics.AddOutboxGauges(**outbox, SystemClock::Get());
  // Only endpoints whose breaker is not closed: bounded by the trouble, not by
  // the number of endpoints (and capped at 100 series, open ones first).
  metrics.registry().AddCallback(
      "hookline_endpoint_circuit_state",
      "1 for each endpoint whose circuit breaker is open or half_open (closed ones are omitted).",
      metrics::MetricType::kGauge, {"endpoint", "state"},
      [&dispatcher](std::vector<metrics::Sample>& out) {
        for (const auto& [endpoint, state] : dispatcher.CircuitsNotClosed()) {
          out.push_back(metrics::Sample{{endpoint, std::string(CircuitStateName(state))}, 1});
        }
      },
      metrics::FamilyOptions{100, metrics::FamilyOptions::Overflow::kDrop});
  api_options.metrics = &metrics;
  api_options.metrics_access = c.metrics == "off"     ? MetricsAccess::kOff
                               : c.metrics == "token" ? MetricsAccess::kToken
                                                      : MetricsAccess::kPublic;
  StallDetector stall(**outbox, dispatcher, SystemClock::Get(), c.stall_after);
  api_options.stall = &stall;
  ApiServer api(**outbox, dispatcher, SystemClock::Get(), api_options);
  auto port = api.Bind(c.listen_host, c.listen_port);
  if (!port.ok()) return Fail(port.status().message());

  Status started = dispatcher.Start();
  if (!started.ok()) return Fail("cannot start the dispatcher: " + started.ToString());
  MaintenanceOptions maintenance_options;
  maintenance_options.retention = c.retention;
  maintenance_options.failed_retention = c.failed_retention;
  // Often enough that a short retention (tests, small disks) is kept closely.
  maintenance_options.interval =
      std::clamp(std::min(c.retention, c.failed_retention) / 4, std::chrono::milliseconds(100),
                 std::chrono::milliseconds(60000));
  Maintenance maintenance(**outbox, SystemClock::Get(), maintenance_options);
  maintenance.Start();
  stall.Start();

  bool v6 = c.listen_host.find(':') != std::string::npos;
  std::string shown = v6 ? "[" + c.listen_host + "]" : c.listen_host;
  spdlog::info("hookd listening on http://{}:{} db={} workers={} schedule={} jitter={}", shown,
               *port, c.db_path, c.workers, c.schedule.ToString(), c.schedule.jitter());

  std::atomic<bool> serving_done{false};
  std::thread serving([&] {
    api.Serve();
    serving_done = true;
    // If serving ended by itself, wake the main thread as a signal would.
    kill(getpid(), SIGTERM);
  });
  // One machine-readable line on stdout, for scripts and tests that start hookd on port 0.
  std::printf("listening on http://%s:%d\n", shown.c_str(), *port);
  std::fflush(stdout);

  int sig = 0;
  sigwait(&stop_signals, &sig);
  spdlog::info("received {}: stopping the API, then the dispatcher (grace {} ms)",
               sig == SIGTERM ? "SIGTERM" : "SIGINT", c.shutdown_grace.count());
  api.Stop();
  // Requests being handled get their answer (an acknowledged event is committed
  // before its 202 is written); idle keep-alive connections are not waited for.
  if (!api.WaitIdle(c.shutdown_grace)) spdlog::warn("API requests still running after the grace");
  maintenance.Stop();
  stall.Stop();
  dispatcher.Stop(c.shutdown_grace);
  if (!serving_done) {
    // httplib keeps idle keep-alive connections until their timeout (30 s): do
    // not make the operator wait for them. Everything acknowledged is committed.
    spdlog::info("hookd stopped cleanly");
    spdlog::shutdown();
    std::fflush(nullptr);
    std::_Exit(0);
  }
  serving.join();
  spdlog::info("hookd stopped cleanly");
  return 0;
}
