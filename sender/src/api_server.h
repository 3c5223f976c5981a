// hookd's v1 HTTP API.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "api_rate_limiter.h"
#include "hookline/clock.h"
#include "hookline/db/outbox.h"
#include "hookline/net_guard.h"
#include "hookline/status.h"

namespace hookline::sender {

class Dispatcher;
class HookdMetrics;
class StallDetector;

// Who may read GET /metrics: nobody (not served), anyone who can reach the
// port (Prometheus' default: scrapers send no token), or API token holders.
enum class MetricsAccess { kOff, kPublic, kToken };

struct ApiOptions {
  std::string token;          // required bearer token
  size_t max_body = 1 << 20;  // larger bodies get 413
  int threads = 32;           // one per concurrent keep-alive connection
  std::chrono::milliseconds rotation_grace{24 * 3600 * 1000};  // old secret keeps signing
  int breaker_threshold = 20;  // to show an endpoint's circuit state as the dispatcher sees it
  // SSRF guard: endpoint URLs whose host resolves to a non-public address are
  // refused (400) unless private networks are allowed.
  bool allow_private_networks = false;
  const Resolver* resolver = nullptr;  // nullptr: SystemResolver(); must outlive the server
  // Per token (per remote address without a valid one); rate 0 = off.
  RateLimitOptions rate_limit;
  HookdMetrics* metrics = nullptr;  // not owned; null: no /metrics, nothing counted
  MetricsAccess metrics_access = MetricsAccess::kPublic;
  StallDetector* stall = nullptr;  // not owned; null: /readyz does not look for stalls
};

// Serves the API on its own thread pool. Bind() then Serve() (blocking) on one
// thread; Stop() from any thread closes the listening socket. Serve() returns
// only once every keep-alive connection has gone idle past its timeout, so a
// caller that must exit promptly waits with WaitIdle() instead.
class ApiServer {
 public:
  // `outbox`, `dispatcher` and `clock` must outlive the server.
  ApiServer(db::Outbox& outbox, Dispatcher& dispatcher, const Clock& clock, ApiOptions options);
  ~ApiServer();
  ApiServer(const ApiServer&) = delete;
  ApiServer& operator=(const ApiServer&) = delete;

  // Binds host:port (port 0 = any free port). Unavailable if it cannot bind.
  Result<int> Bind(const std::string& host, int port);
  // Every route registered, as (method, httplib regex pattern), in registration
  // order. api/openapi.json must describe exactly these (tests/integration/openapi_test.cc).
  const std::vector<std::pair<std::string, std::string>>& Routes() const;
  void Serve();
  void Stop();
  // Waits until no API request is being handled, or `timeout` passes; true if idle.
  bool WaitIdle(std::chrono::milliseconds timeout);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace hookline::sender
