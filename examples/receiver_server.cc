// receiver_server: a webhook receiver built on hookline_receiver the way a user
// would write one. Standard Webhooks at POST /webhooks (verify -> dedupe ->
// handler), optional Stripe and GitHub routes, and a few endpoints that tests
// use to see what happened.
//
//   receiver_server --secret whsec_... [--secret whsec_old...] [--port 0] [--db dedupe.db]
//
// Prints "listening on http://HOST:PORT" on stdout once it accepts connections;
// logs go to stderr. SIGTERM or SIGINT stops it with exit code 0.

#include <httplib.h>
#include <pthread.h>
#include <signal.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "hookline/receiver/httplib_adapter.h"
#include "hookline/receiver/memory_dedupe_store.h"
#include "hookline/receiver/receiver.h"
#include "hookline/receiver/sqlite_dedupe_store.h"
#include "hookline/receiver/verifier.h"
#include "hookline/retry_schedule.h"

namespace {

using hookline::Status;
using namespace hookline::receiver;

struct Flags {
  std::string host = "127.0.0.1";
  int port = 9000;
  std::vector<std::string> secrets;
  std::string db;
  std::string tolerance = "5m";
  std::vector<std::string> stripe_secrets;
  std::vector<std::string> github_secrets;
  int fail_first = 0;
};

// What the handler did, in order; shared by all server threads.
class Journal {
 public:
  explicit Journal(int fail_first) : fail_first_(fail_first) {}

  Status Handle(const Event& event) {
    InFlight counted(in_flight_);
    std::lock_guard<std::mutex> lock(mu_);
    if (fail_first_ > 0) {
      int& failed = failures_[event.id];
      if (failed < fail_first_) {
        ++failed;
        spdlog::warn("failing {} on purpose ({} of {}, --fail-first)", event.id, failed,
                     fail_first_);
        return Status::Unavailable("--fail-first: failing attempt " + std::to_string(failed));
      }
      failures_.erase(event.id);
    }
    processed_.push_back(event.id);
    spdlog::info("processed {} type={} ({} bytes)", event.id, event.type, event.raw_body.size());
    return Status::Ok();
  }

  // Handler calls running right now; shutdown waits for them to finish.
  int in_flight() const { return in_flight_.load(); }

  std::string ProcessedJson() {
    std::lock_guard<std::mutex> lock(mu_);
    return nlohmann::json{{"processed", processed_}}.dump(-1, ' ', false,
                                                          nlohmann::json::error_handler_t::replace);
  }

 private:
  struct InFlight {
    explicit InFlight(std::atomic<int>& n) : n_(n) { ++n_; }
    ~InFlight() { --n_; }
    std::atomic<int>& n_;
  };

  const int fail_first_;
  std::atomic<int> in_flight_{0};
  std::mutex mu_;
  std::vector<std::string> processed_;             // guarded by mu_
  std::unordered_map<std::string, int> failures_;  // guarded by mu_
};

Headers ToHeaders(const httplib::Request& req) {
  Headers headers;
  for (const auto& [name, value] : req.headers) headers.Add(name, value);
  return headers;
}

// Stripe and GitHub deliveries are only verified and logged here; a real
// handler would dedupe on the event id (Stripe) or X-GitHub-Delivery (GitHub).
template <typename V>
void MountVerifyOnly(httplib::Server& server, const std::string& path, std::string name,
                     std::shared_ptr<V> verifier) {
  server.Post(path, [verifier, name](const httplib::Request& req, httplib::Response& res) {
    VerifyResult r = verifier->Verify(ToHeaders(req), req.body);
    nlohmann::json body;
    if (r.ok()) {
      spdlog::info("verified {} delivery ({} bytes)", name, req.body.size());
      res.status = 200;
      body = {{"status", "verified"}};
    } else {
      spdlog::warn("rejected {} delivery: {}", name, r.message);
      res.status = r.outcome == VerifyOutcome::kMissingHeader ||
                           r.outcome == VerifyOutcome::kMalformedTimestamp
                       ? 400
                       : 401;
      body = {
          {"status", "rejected"}, {"reason", VerifyOutcomeName(r.outcome)}, {"message", r.message}};
    }
    res.set_content(body.dump(), "application/json");
  });
}

int Fail(const std::string& message) {
  std::fprintf(stderr, "receiver_server: %s\n", message.c_str());
  return 2;
}

int Run(const Flags& flags) {
  auto tolerance = hookline::ParseDuration(flags.tolerance);
  if (!tolerance.ok()) return Fail("bad --tolerance: " + tolerance.status().message());
  Verifier::Options options;
  options.tolerance = std::chrono::duration_cast<std::chrono::seconds>(*tolerance);

  auto verifier = Verifier::Create(flags.secrets, options);
  if (!verifier.ok()) return Fail("bad --secret: " + verifier.status().message());

  std::shared_ptr<DedupeStore> store;
  if (flags.db.empty()) {
    store = std::make_shared<MemoryDedupeStore>();
  } else {
    auto sqlite = SqliteDedupeStore::Open(flags.db);
    if (!sqlite.ok()) return Fail("bad --db: " + sqlite.status().message());
    store = std::move(sqlite).value();
  }

  auto journal = std::make_shared<Journal>(flags.fail_first);
  auto receiver =
      std::make_shared<Receiver>(std::move(verifier).value(), store,
                                 [journal](const Event& event) { return journal->Handle(event); });

  httplib::Server server;
  // cpp-httplib's defaults cost 100x here (Nagle + delayed ACK, 5 requests per
  // connection, 8 threads each pinned by one keep-alive connection).
  server.set_tcp_nodelay(true);
  server.set_keep_alive_max_count(10000);
  server.set_keep_alive_timeout(5);
  server.new_task_queue = [] { return new httplib::ThreadPool(64); };
  server.set_payload_max_length(1 << 20);
  // cpp-httplib's default sets SO_REUSEPORT, which lets a second server bind
  // the same port and silently share its connections. SO_REUSEADDR alone still
  // allows a quick restart on a port with connections in TIME_WAIT.
  server.set_socket_options([](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  });

  MountReceiver(server, "/webhooks", receiver);
  if (!flags.stripe_secrets.empty()) {
    auto stripe = StripeVerifier::Create(flags.stripe_secrets, options);
    if (!stripe.ok()) return Fail("bad --stripe-secret: " + stripe.status().message());
    MountVerifyOnly(server, "/webhooks/stripe", "stripe",
                    std::make_shared<StripeVerifier>(std::move(stripe).value()));
  }
  if (!flags.github_secrets.empty()) {
    auto github = GithubVerifier::Create(flags.github_secrets);
    if (!github.ok()) return Fail("bad --github-secret: " + github.status().message());
    MountVerifyOnly(server, "/webhooks/github", "github",
                    std::make_shared<GithubVerifier>(std::move(github).value()));
  }
  server.Get("/processed", [journal](const httplib::Request&, httplib::Response& res) {
    res.set_content(journal->ProcessedJson(), "application/json");
  });
  server.Get("/healthz", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(R"({"status":"ok"})", "application/json");
  });

  int port = flags.port;
  if (port == 0) {
    port = server.bind_to_any_port(flags.host);
    if (port < 0) return Fail("cannot listen on " + flags.host + " (any port)");
  } else if (!server.bind_to_port(flags.host, port)) {
    return Fail("cannot listen on " + flags.host + ":" + std::to_string(port));
  }

  // Signals are blocked here, before any thread starts, so every thread
  // inherits the mask and only sigwait() below ever sees them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  std::atomic<bool> stopping{false};
  std::atomic<bool> serving_done{false};
  bool listen_failed = false;
  std::thread serving([&] {
    if (!server.listen_after_bind()) listen_failed = true;
    serving_done = true;
    // Wakes the main thread if serving ended by itself.
    if (!stopping) kill(getpid(), SIGTERM);
  });
  std::printf("listening on http://%s:%d\n", flags.host.c_str(), port);
  std::fflush(stdout);

  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  stopping = true;
  spdlog::info("stopping on signal {}", signal_number);
  server.stop();
  // stop() closes the listening socket, but each worker notices only when its
  // keep-alive wait ends, up to the keep-alive timeout later. Wait for running
  // handlers (whose work must not be cut off), not for idle connections.
  using std::chrono::steady_clock;
  auto deadline = steady_clock::now() + std::chrono::seconds(10);
  auto quiet_since = steady_clock::now();
  while (!serving_done && steady_clock::now() < deadline) {
    if (journal->in_flight() > 0) quiet_since = steady_clock::now();
    if (steady_clock::now() - quiet_since > std::chrono::milliseconds(100)) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  if (!serving_done) {
    // Only idle keep-alive connections are left: leave without waiting for them.
    // The SQLite store needs no close: every completed write is already committed.
    spdlog::shutdown();
    std::fflush(nullptr);
    std::_Exit(0);
  }
  serving.join();
  return listen_failed ? 1 : 0;
}

}  // namespace

int main(int argc, char** argv) {
  Flags flags;
  CLI::App app{"A Standard Webhooks receiver built on hookline_receiver."};
  app.add_option("--host", flags.host, "address to listen on")->capture_default_str();
  app.add_option("--port", flags.port, "port to listen on; 0 picks a free one")
      ->check(CLI::Range(0, 65535))
      ->capture_default_str();
  app.add_option("--secret", flags.secrets,
                 "whsec_... signing secret; repeat during a rotation (new and old)")
      ->required()
      ->expected(1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  app.add_option("--db", flags.db, "SQLite file for durable dedupe (default: in memory)");
  app.add_option("--tolerance", flags.tolerance,
                 "how far a signed timestamp may be from now, e.g. 30s, 5m")
      ->capture_default_str();
  app.add_option("--stripe-secret", flags.stripe_secrets,
                 "enables POST /webhooks/stripe (Stripe-Signature); repeatable")
      ->expected(1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  app.add_option("--github-secret", flags.github_secrets,
                 "enables POST /webhooks/github (X-Hub-Signature-256); repeatable")
      ->expected(1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  app.add_option("--fail-first", flags.fail_first,
                 "TEST HOOK: answer 500 to the first N deliveries of each event id, to "
                 "exercise a sender's retries")
      ->check(CLI::NonNegativeNumber);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    return Fail(e.what());
  }

  spdlog::set_default_logger(spdlog::stderr_color_mt("receiver_server"));
  try {
    return Run(flags);
  } catch (const std::exception& e) {
    return Fail(e.what());
  }
}
