// GET /metrics and the request counter behind hookline_http_requests_total.
#pragma once

#include <httplib.h>

#include "api_routes.h"

namespace hookline::sender::api {

// With ctx.options.metrics set: counts every request the server answers
// (route pattern, method, status; see RoutePattern) and, unless
// ctx.options.metrics_access is kOff, serves the registry at GET /metrics in
// the Prometheus text format, behind the bearer token when it is kToken.
// Takes the server's logger hook (httplib::Server::set_logger).
void RegisterObservability(Router& server, const Context& ctx);

}  // namespace hookline::sender::api
