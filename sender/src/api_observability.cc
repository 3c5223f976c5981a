#include "api_observability.h"

#include "hookd_metrics.h"

namespace hookline::sender::api {

void RegisterObservability(Router& server, const Context& ctx) {
  HookdMetrics* metrics = ctx.options.metrics;
  if (metrics == nullptr) return;
  // The logger runs once per answered request, after routing and the error
  // handler, so 404s and 413s that no handler saw are counted too.
  server.raw().set_logger([metrics](const httplib::Request& req, const httplib::Response& res) {
    metrics->RecordRequest(req.method, req.path, res.status);
  });
  if (ctx.options.metrics_access == MetricsAccess::kOff) return;
  httplib::Server::Handler handler = [metrics](const httplib::Request&, httplib::Response& res) {
    res.status = 200;
    res.set_content(metrics->Render(), metrics::kContentType);
  };
  if (ctx.options.metrics_access == MetricsAccess::kToken)
    handler = Authed(ctx, std::move(handler));
  server.Get("/metrics", std::move(handler));
}

}  // namespace hookline::sender::api
