#include "api_server.h"

#include <httplib.h>
#include <spdlog/spdlog.h>

#include <thread>

#include "api_common.h"
#include "api_limits.h"
#include "api_observability.h"
#include "api_rate_limiter.h"
#include "api_routes.h"
#include "dispatcher.h"
#include "hookline/crypto.h"
#include "stall_detector.h"

namespace hookline::sender {

namespace api {

httplib::Server::Handler Authed(const Context& ctx, httplib::Server::Handler handler) {
  return [&ctx, handler = std::move(handler)](const httplib::Request& req, httplib::Response& res) {
    const std::string auth = req.get_header_value("Authorization");
    constexpr std::string_view kBearer = "Bearer ";
    if (auth.empty()) {
      return SendError(res, 401, "unauthenticated",
                       "missing 'Authorization: Bearer <token>' header");
    }
    if (auth.compare(0, kBearer.size(), kBearer) != 0 ||
        !ConstantTimeEquals(std::string_view(auth).substr(kBearer.size()), ctx.options.token)) {
      return SendError(res, 401, "unauthenticated", "the API token is not valid");
    }
    struct Counted {
      std::atomic<int>& n;
      explicit Counted(std::atomic<int>& c) : n(c) { ++n; }
      ~Counted() { --n; }
    } counted(ctx.in_flight);
    try {
      handler(req, res);
    } catch (const std::exception& e) {
      spdlog::error("{} {} failed: {}", req.method, req.path, e.what());
      SendError(res, 500, "internal", "internal error; see hookd's log");
    }
  };
}

}  // namespace api

namespace {

bool Exempt(const httplib::Request& req) { return req.path == "/healthz" || req.path == "/readyz"; }

// Requests with the valid token share the token's bucket; any other request
// (no token, a wrong one) is counted against its remote address, so guessing
// tokens cannot create buckets or drain the real token's.
std::string RateKey(const httplib::Request& req, const std::string& token) {
  const std::string auth = req.get_header_value("Authorization");
  constexpr std::string_view kBearer = "Bearer ";
  if (auth.compare(0, kBearer.size(), kBearer) == 0 &&
      ConstantTimeEquals(std::string_view(auth).substr(kBearer.size()), token)) {
    return "token";
  }
  return "addr:" + req.remote_addr;
}

void SetRateHeaders(httplib::Response& res, const RateDecision& d) {
  res.set_header("X-RateLimit-Limit", std::to_string(d.limit));
  res.set_header("X-RateLimit-Remaining", std::to_string(d.remaining));
  res.set_header("X-RateLimit-Reset", std::to_string(d.reset_seconds));
}

// The request's headers against kMaxHeaderCount / kMaxHeaderBytes (httplib
// bounds each line, not their number). An error message, or "" when within.
std::string CheckHeaderLimits(const httplib::Request& req) {
  if (req.headers.size() > api::kMaxHeaderCount) {
    return "request has " + std::to_string(req.headers.size()) + " headers; at most " +
           std::to_string(api::kMaxHeaderCount) + " are accepted";
  }
  size_t bytes = 0;
  for (const auto& [name, value] : req.headers) bytes += name.size() + value.size();
  if (bytes > api::kMaxHeaderBytes) {
    return "request headers total " + std::to_string(bytes) + " bytes; at most " +
           std::to_string(api::kMaxHeaderBytes) + " are accepted";
  }
  return "";
}

}  // namespace

struct ApiServer::Impl {
  Impl(db::Outbox& outbox, Dispatcher& dispatcher, const Clock& clock, ApiOptions opts)
      : options(std::move(opts)),
        ctx{outbox, dispatcher, clock, options, in_flight},
        limiter(clock, options.rate_limit) {}
  ApiOptions options;
  std::atomic<int> in_flight{0};
  api::Context ctx;
  ApiRateLimiter limiter;
  httplib::Server server;
  std::vector<std::pair<std::string, std::string>> routes;  // (method, pattern), from Router
};

ApiServer::ApiServer(db::Outbox& outbox, Dispatcher& dispatcher, const Clock& clock,
                     ApiOptions options)
    : impl_(std::make_unique<Impl>(outbox, dispatcher, clock, std::move(options))) {
  httplib::Server& server = impl_->server;
  const api::Context& ctx = impl_->ctx;
  // Measured: without TCP_NODELAY a keep-alive client waits ~40 ms per request
  // (Nagle + delayed ACK); keep-alive must not end after 5 requests; each
  // keep-alive connection holds a pool thread, so the pool sets how many
  // clients are served at once.
  server.set_tcp_nodelay(true);
  server.set_keep_alive_max_count(100000);
  server.set_keep_alive_timeout(30);
  server.set_read_timeout(30, 0);
  server.set_write_timeout(30, 0);
  server.set_payload_max_length(impl_->options.max_body);
  // httplib's default also sets SO_REUSEPORT, which lets a second hookd bind
  // the same port and silently take half of the connections. SO_REUSEADDR
  // alone still allows a quick restart over connections in TIME_WAIT.
  server.set_socket_options([](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  });
  int threads = impl_->options.threads;
  server.new_task_queue = [threads] {
    return new httplib::ThreadPool(static_cast<size_t>(threads));
  };

  // Before routing: the rate limit (every API request takes a token, errors
  // included, so a client cannot probe for free), then the header limits.
  ApiRateLimiter& limiter = impl_->limiter;
  const std::string& token = impl_->options.token;
  server.set_pre_routing_handler(
      [&limiter, &token](const httplib::Request& req, httplib::Response& res) {
        if (!Exempt(req) && limiter.enabled()) {
          RateDecision d = limiter.Take(RateKey(req, token));
          SetRateHeaders(res, d);
          if (!d.allowed) {
            res.set_header("Retry-After", std::to_string(d.retry_after_s));
            api::SendError(res, 429, "rate_limited",
                           "API rate limit exceeded (--api-rate-limit); retry in " +
                               std::to_string(d.retry_after_s) + " s");
            return httplib::Server::HandlerResponse::Handled;
          }
        }
        if (std::string too_big = CheckHeaderLimits(req); !too_big.empty()) {
          api::SendError(res, 431, "header_fields_too_large", too_big);
          return httplib::Server::HandlerResponse::Handled;
        }
        return httplib::Server::HandlerResponse::Unhandled;
      });
  // Answers httplib writes without routing (a malformed or over-long request
  // line or header) still carry the X-RateLimit-* headers, from a peek.
  server.set_post_routing_handler(
      [&limiter, &token](const httplib::Request& req, httplib::Response& res) {
        if (Exempt(req) || !limiter.enabled() || res.has_header("X-RateLimit-Limit")) return;
        SetRateHeaders(res, limiter.Peek(RateKey(req, token)));
      });

  api::Router router(server);
  router.Get("/healthz", [](const httplib::Request&, httplib::Response& res) {
    api::SendJson(res, 200, api::Json{{"status", "ok"}});
  });
  router.Get("/readyz", [&ctx](const httplib::Request&, httplib::Response& res) {
    // The stall check first: it never waits for the writer, which may be stuck.
    Status s = ctx.options.stall ? ctx.options.stall->Check() : Status::Ok();
    if (s.ok()) s = ctx.outbox.CheckWritable();
    if (s.ok() && !ctx.dispatcher.running())
      s = Status::Unavailable("the dispatcher is not running");
    if (!s.ok()) {
      spdlog::warn("not ready: {}", s.ToString());
      return api::SendJson(res, 503, api::Json{{"status", "unavailable"}, {"reason", s.message()}});
    }
    api::SendJson(res, 200, api::Json{{"status", "ready"}});
  });
  // Public: it describes the API and holds no secrets, and a client generator
  // can fetch it before it has a token.
  router.Get("/v1/openapi.json", [](const httplib::Request&, httplib::Response& res) {
    res.status = 200;
    res.set_content(api::OpenApiDocument(), "application/json");
  });
  api::RegisterEndpointRoutes(router, ctx);
  api::RegisterEventRoutes(router, ctx);
  api::RegisterDeliveryRoutes(router, ctx);
  api::RegisterObservability(router, ctx);
  impl_->routes = router.routes();

  // httplib answers some errors itself (no route, 413 over --max-body) with an
  // empty body: give them the API's error shape.
  server.set_error_handler([max = impl_->options.max_body](const httplib::Request& req,
                                                           httplib::Response& res) {
    if (!res.body.empty()) return;
    if (res.status == 400 && !req.path.empty()) {
      // httplib set the path, so the request line parsed, then refused a
      // header: in 0.11.4 read_headers fails only for a line over its
      // compiled-in limit (or a dropped connection, which reads no answer).
      api::SendError(res, 431, "header_fields_too_large",
                     "a request header line is longer than " +
                         std::to_string(api::kMaxHeaderLineBytes) + " bytes");
    } else if (res.status == 400) {
      api::SendError(res, 400, "bad_request", "malformed HTTP request line or headers");
    } else if (res.status == 414) {
      api::SendError(
          res, 414, "uri_too_long",
          "request line is longer than " + std::to_string(api::kMaxRequestLineBytes) + " bytes");
    } else if (res.status == 413) {
      api::SendError(res, 413, "payload_too_large",
                     "request body exceeds --max-body (" + std::to_string(max) + " bytes)");
    } else if (res.status == 404) {
      api::SendError(res, 404, "not_found",
                     "no route for " + req.method + " " + req.path.substr(0, 200));
    } else {
      int status = res.status;
      api::SendError(res, status, "http_" + std::to_string(status), "request could not be served");
    }
  });
  server.set_exception_handler(
      [](const httplib::Request& req, httplib::Response& res, std::exception_ptr ep) {
        std::string what = "unknown";
        try {
          if (ep) std::rethrow_exception(ep);
        } catch (const std::exception& e) {
          what = e.what();
        } catch (...) {
        }
        spdlog::error("{} {} failed: {}", req.method, req.path, what);
        api::SendError(res, 500, "internal", "internal error; see hookd's log");
      });
}

ApiServer::~ApiServer() = default;

Result<int> ApiServer::Bind(const std::string& host, int port) {
  int bound;
  if (port == 0) {
    bound = impl_->server.bind_to_any_port(host);
  } else {
    bound = impl_->server.bind_to_port(host, port) ? port : -1;
  }
  if (bound < 0) {
    return Status::Unavailable("cannot listen on " + host + ":" + std::to_string(port) +
                               " (address in use or not available)");
  }
  return bound;
}

const std::vector<std::pair<std::string, std::string>>& ApiServer::Routes() const {
  return impl_->routes;
}

void ApiServer::Serve() { impl_->server.listen_after_bind(); }

void ApiServer::Stop() { impl_->server.stop(); }

bool ApiServer::WaitIdle(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (impl_->in_flight.load() > 0) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

}  // namespace hookline::sender
