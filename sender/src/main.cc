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
#include "hookline/db/backup.h"
#include "hookline/db/sqlite_outbox.h"
#include "http_sender.h"
#include "lock_file.h"
#include "maintenance.h"
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
  spdlog::set_default_logger(spdlog::stderr_color_mt("hookd"));
  spdlog::set_level(spdlog::level::from_str(c.log_level));
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e%z %^%l%$ %v");

  // Signals are taken by one thread with sigwait, so no handler runs inside
  // library code; every thread started below inherits the mask.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

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
  auto outbox = db::OpenSqliteOutbox(c.db_path, db_options);
  if (!outbox.ok())
    return Fail("cannot open database " + c.db_path + ": " + outbox.status().message());

  HttpSenderOptions http_options;
  http_options.timeout = c.timeout;
  http_options.connect_timeout = std::min(c.connect_timeout, c.timeout);
  auto http = NewHttplibSender(http_options);

  DispatcherOptions dispatch_options;
  dispatch_options.workers = c.workers;
  dispatch_options.schedule = c.schedule;
  dispatch_options.max_retry_after = c.max_retry_after;
  // A claim may wait behind MaxOutstanding / workers attempts, each up to the timeout.
  size_t waits = Dispatcher::MaxOutstanding(dispatch_options) / static_cast<size_t>(c.workers) + 2;
  dispatch_options.lease = std::max(std::chrono::milliseconds(60000),
                                    c.timeout * static_cast<int64_t>(waits) + c.connect_timeout);
  Dispatcher dispatcher(**outbox, *http, SystemClock::Get(), SystemRandom::Get(), dispatch_options);

  ApiOptions api_options;
  api_options.token = token;
  api_options.max_body = c.max_body;
  api_options.threads = c.api_threads;
  ApiServer api(**outbox, dispatcher, SystemClock::Get(), api_options);
  auto port = api.Bind(c.listen_host, c.listen_port);
  if (!port.ok()) return Fail(port.status().message());

  Status started = dispatcher.Start();
  if (!started.ok()) return Fail("cannot start the dispatcher: " + started.ToString());
  Maintenance maintenance(**outbox, SystemClock::Get(), std::chrono::minutes(1));
  maintenance.Start();

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
